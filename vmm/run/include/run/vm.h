/* SPDX-License-Identifier: MIT */
/* Running the guest under our own VMM on /dev/kvm. */
#ifndef ENTRYBOX_VM_H
#define ENTRYBOX_VM_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include "result/result.h"
#include "trace/trace.h"

struct inject_spec;
struct inject_point;
struct gdb_config;

struct vm_config {
	const char *guest_path;   /* guest ELF */
	const char *cmdline;      /* complete guest command line */
	unsigned vcpus;
	double timeout_seconds;   /* watchdog; <= 0 means the default (30 s) */
	uint64_t ram_bytes;       /* 0 = default (64 MiB) */
	FILE *diag;               /* where error and warning lines go (the CLI: stderr); NULL = nowhere */
	bool echo_serial;         /* copy guest console lines to diag */
	const struct trace_config *trace; /* single-step trace of one entry path, NULL = none */
	bool no_confine;          /* skip the seccomp confinement (debugging) */
	const struct inject_spec *inject;  /* --inject, parsed (inject_spec.h) */
	size_t ninject;
	bool sweep_reboot;        /* --sweep-mode reboot: a fresh boot per sweep point */
	bool sweep_to_end;        /* --sweep-horizon end: each point runs to the guest's end */
	const struct gdb_config *gdb; /* --gdb: a gdb remote stub on the run, NULL = none */
	/* Internal to sweeps (sweep.c): the one point this run delivers, and
	 * whether it records the path (enum inject_trigger). */
	const struct inject_point *point;
	int discover;
};

/* Boots and runs the guest to its end, filling r.  Returns the verdict:
 * RUN_VERDICT_BAD_INPUT for a bad guest image, RUN_VERDICT_ENVIRONMENT when
 * /dev/kvm is missing, else result_verdict(r).  One error line goes to
 * cfg->diag on failure. */
enum run_verdict vm_run(const struct vm_config *cfg, struct run_result *r);

#endif
