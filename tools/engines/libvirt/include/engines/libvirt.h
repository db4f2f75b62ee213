/* SPDX-License-Identifier: MIT */
/* Running the same guest image and command line as a transient libvirt
 * domain (docs/design.md §1, §8): any libvirt host, local or remote, becomes one
 * more machine for the experiment. */
#ifndef ENTRYBOX_ENGINE_LIBVIRT_H
#define ENTRYBOX_ENGINE_LIBVIRT_H

#include <stdbool.h>
#include <stddef.h>
#include "result/result.h"

/* kvm boots microvm with the host CPU; qemu is TCG on q35, the reference CPU. */
enum libvirt_domain_type { LIBVIRT_DOMAIN_QEMU = 0, LIBVIRT_DOMAIN_KVM };

/* How the guest image reaches the libvirt host. */
enum libvirt_image_mode {
	LIBVIRT_IMAGE_AUTO = 0,   /* this machine's hypervisor: the path as it is; another host: upload */
	LIBVIRT_IMAGE_UPLOAD,     /* a volume of the host's storage pool "entrybox", uploaded unless there */
	LIBVIRT_IMAGE_SAME_PATH,  /* the host has the image at the same path (checked) */
};

struct libvirt_config {
	const char *uri;          /* any libvirt URI; NULL: libvirt's default ($LIBVIRT_DEFAULT_URI, ...) */
	const char *guest_path;   /* guest ELF on this machine (absolute path) */
	enum libvirt_image_mode image;
	const char *cmdline;      /* complete guest command line, passed as <cmdline> */
	enum libvirt_domain_type type;
	unsigned vcpus;
	double timeout_seconds;   /* from domain start to its end; <= 0 means the default (60 s) */
	bool echo_serial;         /* copy guest console lines to stderr */
	const char *console_host; /* an address of this machine that the libvirt host reaches (its
				   * QEMU connects COM1 there over TCP); NULL: 127.0.0.1, right
				   * for local URIs */
};

#define LIBVIRT_URI_LIST_MAX 64

/* Number of URIs in a comma-separated list, at most LIBVIRT_URI_LIST_MAX
 * (0 when the list is malformed: empty, an empty item, or too many). */
unsigned libvirt_uri_count(const char *list);

/* Whether a URI names this machine's hypervisor (no host part). */
bool libvirt_uri_is_local(const char *uri);

/* Connects to uri, answers, and disconnects: false with libvirt's reason in
 * err when the host cannot be reached (a matrix asks before and after runs). */
bool libvirt_host_reachable(const char *uri, char *err, size_t errlen);

/* Connects to uri and makes the guest image bootable there, as a run would
 * (libvirt_image_mode); the path on the host goes to out.  False with one
 * line in err.  A matrix does it once per host before spreading its runs. */
bool libvirt_prepare_image(const char *uri, const char *local_path, enum libvirt_image_mode mode, char *out,
			   size_t outlen, char *err, size_t errlen);

/* Places the guest image on the host (libvirt_image_mode), defines a
 * transient domain that direct-boots it, takes its serial console over TCP,
 * and waits for the domain to stop.  The domain is destroyed on timeout or
 * error, and libvirt destroys it too if this process dies (it is started with
 * VIR_DOMAIN_START_AUTODESTROY).  r->host names the URI; a connection lost
 * while the domain runs ends the run as RUN_END_HOST_LOST.
 *
 * libvirt does not report QEMU's exit status, so the isa-debug-exit value is
 * recovered from what the guest printed before writing it: the result line
 * (pass when outcome == expected, else fail), a panic event, or the guest's
 * refusal of its command line or of the CPU.  Fields of r the guest does not
 * report keep what the caller put there.  Returns RUN_VERDICT_ENVIRONMENT
 * when the connection or the domain cannot be had, else result_verdict(r).
 * One error line goes to stderr on failure. */
enum run_verdict libvirt_run(const struct libvirt_config *cfg, struct run_result *r);

#endif
