/* SPDX-License-Identifier: MIT */
/* Running the same guest image and command line under qemu-system-x86_64
 * (docs/design.md §1): TCG is the reference CPU, KVM gives boot timing. */
#ifndef ENTRYBOX_ENGINE_QEMU_H
#define ENTRYBOX_ENGINE_QEMU_H

#include <stdbool.h>
#include <stddef.h>
#include "result/result.h"

enum qemu_accel { QEMU_ACCEL_TCG = 0, QEMU_ACCEL_KVM };

struct qemu_config {
	const char *qemu_path;    /* NULL: $ENTRYBOX_QEMU if set, else qemu-system-x86_64 on $PATH */
	const char *guest_path;   /* guest ELF, booted with -kernel (PVH) */
	const char *cmdline;      /* complete guest command line, passed with -append */
	enum qemu_accel accel;
	unsigned vcpus;           /* -smp */
	double timeout_seconds;   /* watchdog; <= 0 means the default (30 s) */
	bool echo_serial;         /* copy guest console lines to stderr */
	const char *gdb;          /* QEMU's own gdb stub: "tcp:HOST:PORT" for -gdb, NULL = none */
	bool gdb_wait;            /* -S: stopped before the first instruction until gdb continues */
};

/* Finds the QEMU binary as qemu_run would (an explicit path, $ENTRYBOX_QEMU,
 * then $PATH).  False when none is executable. */
bool qemu_find_binary(const char *qemu_path, char *out, size_t outlen);

/* Boots the guest under QEMU and runs it to its end, filling r from the
 * "@entrybox" result line and QEMU's exit status (isa-debug-exit v -> (v<<1)|1).
 * Fields of r the guest does not report (model, scenario, ...) keep what the
 * caller put there.  Returns RUN_VERDICT_ENVIRONMENT when QEMU or /dev/kvm (for
 * KVM) is missing, else result_verdict(r).  One error line goes to stderr on
 * failure. */
enum run_verdict qemu_run(const struct qemu_config *cfg, struct run_result *r);

#endif
