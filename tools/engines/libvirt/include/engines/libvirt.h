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

struct libvirt_config {
	const char *uri;          /* any libvirt URI; NULL: libvirt's default ($LIBVIRT_DEFAULT_URI, ...) */
	const char *guest_path;   /* guest ELF: a path on the libvirt host, booted as <kernel> */
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

/* Picks the URI for run number `index` from a comma-separated list, round
 * robin, so runs spread evenly over several hosts.  False (out = "") when the
 * list is empty, has an empty item, or an item does not fit outlen. */
bool libvirt_uri_pick(const char *list, unsigned index, char *out, size_t outlen);

/* Number of URIs in a comma-separated list as libvirt_uri_pick reads it
 * (0 when the list is malformed). */
unsigned libvirt_uri_count(const char *list);

/* Defines a transient domain that direct-boots the guest, takes its serial
 * console over TCP, and waits for the domain to stop.  The
 * domain is destroyed on timeout or error, and libvirt destroys it too if this
 * process dies (it is started with VIR_DOMAIN_START_AUTODESTROY).
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
