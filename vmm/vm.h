/* SPDX-License-Identifier: MIT */
/* Running the guest under our own VMM on /dev/kvm. */
#ifndef ENTRYBOX_VM_H
#define ENTRYBOX_VM_H

#include <stdbool.h>
#include <stdint.h>
#include "result.h"

struct vm_config {
	const char *guest_path;   /* guest ELF */
	const char *cmdline;      /* complete guest command line */
	unsigned vcpus;
	double timeout_seconds;   /* watchdog; <= 0 means the default (30 s) */
	uint64_t ram_bytes;       /* 0 = default (64 MiB) */
	bool echo_serial;         /* copy guest console lines to stderr */
};

/* Boots and runs the guest to its end, filling r.  Returns the CLI exit status:
 * EBX_STATUS_USAGE for a bad guest image, EBX_STATUS_ENV when /dev/kvm is
 * missing, else result_status(r). One error line goes to stderr on failure. */
enum ebx_status vm_run(const struct vm_config *cfg, struct run_result *r);

#endif
