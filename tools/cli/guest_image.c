/* SPDX-License-Identifier: MIT */
#include "cli/guest_image.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_common.h"

/* <dir of /proc/self/exe>/GUEST_IMAGE_BUILD_PATH, or false. */
static bool build_tree_image(char *out, size_t outlen)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = '\0';
	int w = snprintf(out, outlen, "%s/%s", exe, GUEST_IMAGE_BUILD_PATH);
	return w > 0 && (size_t)w < outlen && access(out, F_OK) == 0;
}

/* A regular, readable file that starts with the ELF magic: anything else
 * would only fail later with a worse message. */
static int check_elf(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_fail(EBX_STATUS_USAGE, "cannot open guest image '%s': %s", path, strerror(errno));
	struct stat st;
	unsigned char magic[4] = { 0 };
	bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	bool elf = regular && read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
		   memcmp(magic, "\177ELF", 4) == 0;
	close(fd);
	if (!regular)
		return cli_fail(EBX_STATUS_USAGE, "guest image '%s' is not a regular file", path);
	if (!elf)
		return cli_fail(EBX_STATUS_USAGE, "guest image '%s' is not an ELF file", path);
	return 0;
}

static int use_path(const char *path, char *out, size_t outlen)
{
	if ((size_t)snprintf(out, outlen, "%s", path) >= outlen)
		return cli_fail(EBX_STATUS_USAGE, "guest image path too long");
	return check_elf(out);
}

int guest_image_resolve(const char *explicit_path, char *out, size_t outlen)
{
	if (explicit_path)
		return use_path(explicit_path, out, outlen);
	if (build_tree_image(out, outlen))
		return check_elf(out);
	const char *env = getenv(GUEST_IMAGE_ENV);
	if (env && *env)
		return use_path(env, out, outlen);
	return cli_fail(EBX_STATUS_ENV, "no guest image: build it (ninja -C build), set %s or pass --guest ELF",
			GUEST_IMAGE_ENV);
}
