/* SPDX-License-Identifier: MIT */
/*
 * The guest image on the libvirt host.  A domain boots <kernel> from a path
 * on the host that runs it, so for a remote host the image goes there the
 * way a user's disk images do: as a volume of a storage pool, uploaded
 * through the libvirt connection itself (no ssh, no shared file system).
 *
 * The pool is "entrybox", a directory pool under the host's image folder,
 * defined transiently when the host has none of that name.  The volume is
 * named after the image's size and content hash, so every run and every
 * matrix cell of the same image finds it there; an existing volume is used
 * only when its bytes are the image's (compared after downloading them), so
 * an upload cut short is never booted.
 */
#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IMAGE_MAX        (64u << 20)
#define POOL_NAME        "entrybox"
#define POOL_DIR         "/var/lib/libvirt/images/entrybox"
/* Another process may be uploading the same volume right now: its bytes are
 * waited for this long before the volume is called broken. */
#define CONCURRENT_UPLOAD_WAIT_S 30.0

static const char *libvirt_error(void)
{
	const char *msg = virGetLastErrorMessage();
	return msg && *msg ? msg : "unknown libvirt error";
}

static bool fail(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
	snprintf(err, errlen, fmt, a, b);
	return false;
}

/* ---- the local image ------------------------------------------------------------------ */

struct local_image {
	uint8_t *bytes;
	size_t size;
	char volume[80];
};

static bool read_image(const char *path, struct local_image *img, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > IMAGE_MAX) {
		if (fd >= 0)
			close(fd);
		return fail(err, errlen, "guest image %s: %s", path,
			    fd < 0 ? strerror(errno) : "not a regular file of 1 byte to 64 MiB");
	}
	img->size = (size_t)st.st_size;
	img->bytes = malloc(img->size);
	size_t got = 0;
	while (img->bytes && got < img->size) {
		ssize_t n = read(fd, img->bytes + got, img->size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!img->bytes || got != img->size) {
		free(img->bytes);
		img->bytes = NULL;
		return fail(err, errlen, "guest image %s: %s", path, "short read");
	}
	/* FNV-1a names the content; the bytes themselves are compared before use. */
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < img->size; i++)
		h = (h ^ img->bytes[i]) * 0x100000001b3ull;
	snprintf(img->volume, sizeof(img->volume), "entrybox-guest-%zu-%016llx.elf", img->size, (unsigned long long)h);
	return true;
}

/* ---- the pool ------------------------------------------------------------------------- */

static virStoragePoolPtr entrybox_pool(virConnectPtr conn, char *err, size_t errlen)
{
	virStoragePoolPtr pool = virStoragePoolLookupByName(conn, POOL_NAME);
	if (!pool) {
		static const char xml[] = "<pool type='dir'><name>" POOL_NAME "</name>"
					  "<target><path>" POOL_DIR "</path></target></pool>";
		pool = virStoragePoolCreateXML(conn, xml, VIR_STORAGE_POOL_CREATE_WITH_BUILD);
		/* Someone else defined it in between. */
		if (!pool)
			pool = virStoragePoolLookupByName(conn, POOL_NAME);
	}
	if (!pool) {
		fail(err, errlen, "no storage pool '%s' for the guest image: %s", POOL_NAME, libvirt_error());
		return NULL;
	}
	if (virStoragePoolIsActive(pool) != 1 && virStoragePoolCreate(pool, 0) < 0 && virStoragePoolIsActive(pool) != 1) {
		fail(err, errlen, "storage pool '%s' cannot be started: %s", POOL_NAME, libvirt_error());
		virStoragePoolFree(pool);
		return NULL;
	}
	return pool;
}

/* ---- the volume ----------------------------------------------------------------------- */

struct compare {
	const struct local_image *img;
	size_t at;
	bool same;
};

static int take_downloaded(virStreamPtr st, const char *bytes, size_t n, void *opaque)
{
	(void)st;
	struct compare *c = opaque;
	if (c->at + n > c->img->size || memcmp(c->img->bytes + c->at, bytes, n) != 0)
		c->same = false;
	c->at += n;
	return (int)n;
}

/* True when the volume holds exactly the image's bytes. */
static bool volume_matches(virConnectPtr conn, virStorageVolPtr vol, const struct local_image *img)
{
	virStorageVolInfo info;
	if (virStorageVolGetInfo(vol, &info) < 0 || info.capacity != img->size)
		return false;
	virStreamPtr st = virStreamNew(conn, 0);
	if (!st)
		return false;
	struct compare c = { .img = img, .same = true };
	bool ok = virStorageVolDownload(vol, st, 0, img->size, 0) == 0 && virStreamRecvAll(st, take_downloaded, &c) == 0;
	ok = ok && virStreamFinish(st) == 0;
	if (!ok)
		virStreamAbort(st);
	virStreamFree(st);
	return ok && c.same && c.at == img->size;
}

struct upload {
	const struct local_image *img;
	size_t at;
};

static int give_bytes(virStreamPtr st, char *buf, size_t n, void *opaque)
{
	(void)st;
	struct upload *u = opaque;
	size_t left = u->img->size - u->at;
	size_t take = n < left ? n : left;
	memcpy(buf, u->img->bytes + u->at, take);
	u->at += take;
	return (int)take;
}

static bool upload(virConnectPtr conn, virStorageVolPtr vol, const struct local_image *img)
{
	virStreamPtr st = virStreamNew(conn, 0);
	if (!st)
		return false;
	struct upload u = { .img = img };
	bool ok = virStorageVolUpload(vol, st, 0, img->size, 0) == 0 && virStreamSendAll(st, give_bytes, &u) == 0;
	ok = ok && virStreamFinish(st) == 0;
	if (!ok)
		virStreamAbort(st);
	virStreamFree(st);
	return ok;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A volume that exists: ours when its bytes match, perhaps after another
 * run's upload of it finishes. */
static bool wait_for_match(virConnectPtr conn, virStorageVolPtr vol, const struct local_image *img)
{
	double end = now_seconds() + CONCURRENT_UPLOAD_WAIT_S;
	while (!volume_matches(conn, vol, img)) {
		if (now_seconds() > end)
			return false;
		usleep(200 * 1000);
	}
	return true;
}

static virStorageVolPtr create_volume(virStoragePoolPtr pool, const struct local_image *img)
{
	char xml[512];
	snprintf(xml, sizeof(xml),
		 "<volume><name>%s</name><capacity unit='bytes'>%zu</capacity>"
		 "<allocation unit='bytes'>%zu</allocation><target><format type='raw'/>"
		 "<permissions><mode>0644</mode></permissions></target></volume>",
		 img->volume, img->size, img->size);
	return virStorageVolCreateXML(pool, xml, 0);
}

static bool place_volume(virConnectPtr conn, virStoragePoolPtr pool, const struct local_image *img, char *out,
			 size_t outlen, char *err, size_t errlen)
{
	virStorageVolPtr vol = virStorageVolLookupByName(pool, img->volume);
	bool ok;
	if (vol) {
		ok = wait_for_match(conn, vol, img);
		if (!ok)
			fail(err, errlen, "volume %s in pool '%s' holds other bytes than the guest image", img->volume,
			     POOL_NAME);
	} else {
		vol = create_volume(pool, img);
		/* Created in between by another run: wait for its bytes. */
		if (!vol && (vol = virStorageVolLookupByName(pool, img->volume)) != NULL)
			ok = wait_for_match(conn, vol, img);
		else
			ok = vol && upload(conn, vol, img);
		if (!ok)
			fail(err, errlen, "cannot upload the guest image as volume %s: %s", img->volume, libvirt_error());
	}
	char *path = ok ? virStorageVolGetPath(vol) : NULL;
	if (ok && (!path || (size_t)snprintf(out, outlen, "%s", path) >= outlen)) {
		ok = false;
		fail(err, errlen, "volume %s has no usable path: %s", img->volume, path ? "too long" : libvirt_error());
	}
	free(path);
	if (vol)
		virStorageVolFree(vol);
	return ok;
}

static bool upload_image(virConnectPtr conn, const char *local, char *out, size_t outlen, char *err, size_t errlen)
{
	struct local_image img = { 0 };
	if (!read_image(local, &img, err, errlen))
		return false;
	virStoragePoolPtr pool = entrybox_pool(conn, err, errlen);
	bool ok = pool && place_volume(conn, pool, &img, out, outlen, err, errlen);
	if (pool)
		virStoragePoolFree(pool);
	free(img.bytes);
	return ok;
}

/* ---- an image already on the host ------------------------------------------------------ */

/* Whether a file exists on the libvirt host, asked through libvirt: a
 * transient directory pool over its folder lists it, and goes again. */
static bool exists_on_host(virConnectPtr conn, const char *path, bool *exists, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path || !slash[1])
		return fail(err, errlen, "guest image path '%s' %s", path, "is not an absolute file path");
	char xml[PATH_MAX + 256], name[64];
	snprintf(name, sizeof(name), "entrybox-check-%ld-%ld", (long)getpid(), (long)(now_seconds() * 1e6));
	snprintf(xml, sizeof(xml), "<pool type='dir'><name>%s</name><target><path>%.*s</path></target></pool>", name,
		 (int)(slash - path), path);
	virStoragePoolPtr pool = virStoragePoolCreateXML(conn, xml, 0);
	if (!pool) {
		/* The folder itself is not there (or not readable): neither is the file. */
		*exists = false;
		return true;
	}
	virStorageVolPtr vol = virStorageVolLookupByName(pool, slash + 1);
	*exists = vol != NULL;
	if (vol)
		virStorageVolFree(vol);
	virStoragePoolDestroy(pool);
	virStoragePoolFree(pool);
	return true;
}

bool libvirt_image_place(virConnectPtr conn, const char *uri, const char *local_path, enum libvirt_image_mode mode,
			 bool local_host, char *out, size_t outlen, char *err, size_t errlen)
{
	if (mode == LIBVIRT_IMAGE_UPLOAD || (mode == LIBVIRT_IMAGE_AUTO && !local_host))
		return upload_image(conn, local_path, out, outlen, err, errlen);
	if ((size_t)snprintf(out, outlen, "%s", local_path) >= outlen)
		return fail(err, errlen, "guest image path %s%s", local_path, " too long");
	if (local_host)
		return true;
	bool exists = false;
	if (!exists_on_host(conn, local_path, &exists, err, errlen))
		return false;
	if (!exists) {
		snprintf(err, errlen, "the guest image %s is not on the libvirt host %s (without --image same-path "
				      "entrybox uploads it)", local_path, uri ? uri : "(default URI)");
		return false;
	}
	return true;
}
