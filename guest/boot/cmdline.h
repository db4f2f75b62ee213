/* SPDX-License-Identifier: MIT */
/*
 * The guest command line (design.md §2): space-separated KEY=VALUE.  The
 * parser is pure (no I/O, no libc) so that the same file builds into the
 * freestanding guest and into a hosted unit test.
 */
#ifndef ENTRYBOX_CMDLINE_H
#define ENTRYBOX_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMDLINE_MAX_LEN     1024u   /* longer command lines are rejected, not cut */
#define CMDLINE_MAX_VCPUS   8u
#define CMDLINE_MAX_TASKS   8u
#define CMDLINE_MAX_ITERS   10000000ul

/* Deliberate breakage of the syscall exit path, to prove the VMM's checks can fail. */
enum ebx_bug {
	EBX_BUG_NONE = 0,
	EBX_BUG_SKIP_USER_CR3,  /* return to user on the kernel PGD */
	EBX_BUG_SKIP_SWAPGS,    /* return to user with the kernel GS base */
	/* Every model: its paranoid (IST) entries decide about GS wrongly. */
	EBX_BUG_DB_TRUST_CS,    /* #DB swaps GS by the interrupted CS, not by what GS holds */
	EBX_BUG_PARANOID_GS_SIGN, /* #DB, NMI, #DF, #MC take any negative GS.base for the kernel's */
	EBX_BUG_NAIVE_NMI,      /* NMI takes the plain paranoid entry: a nested NMI overwrites the first */
	EBX_BUG_SYSCALL_USER_STACK, /* kpti: the SYSCALL entry saves a register on the user's stack */
	EBX_BUG_UKL_TRUST_APP_RSP,  /* ukl: an application's syscall is served whatever its RSP */
	/* The kernel, whatever the model. */
	EBX_BUG_DIRTY_INITIAL_REGS, /* a new task enters user mode with a kernel address in RBX */
	EBX_BUG_SYSRET_SS_NULL,     /* a context switch keeps SS = 0 from an interrupt entry (AMD's SYSRET keeps it) */
	EBX_BUG_COUNT
};

/* pervcpu: what a syscall that wants to block on the per-vCPU stack gets. */
enum pervcpu_sleep { PERVCPU_SLEEP_FORBID = 0, PERVCPU_SLEEP_COPY, PERVCPU_SLEEP_PIN };
/* xen: who plays the hypervisor of the syscall bounce and the iret hypercall. */
enum xen_hv { XEN_HV_SHIM = 0, XEN_HV_VMM };
/* ukl: how a #PF on the application's own stack (no stack switch, so #DF) is survived. */
/* none: #DF keeps no IST either -- the unrepaired UKL design, whose #PF on the
 * application stack ends in a triple fault (for the VMM's diagnosis). */
enum ukl_df { UKL_DF_WORKAROUND = 0, UKL_DF_IST, UKL_DF_NONE };

struct boot_options {
	unsigned model;        /* index into models.def */
	unsigned scenario;     /* index into scenarios.def */
	bool pti, pcid;
	unsigned vcpus, tasks;
	unsigned long iters;
	enum ebx_bug bug;
	enum pervcpu_sleep pervcpu_sleep;
	enum xen_hv hv;
	unsigned ukl_tasks;    /* ring-0 applications (entry=ukl) */
	enum ukl_df ukl_df;
	bool timer;            /* the LAPIC timer ticks (and preempts) whatever the scenario */
};

/* Parses the NUL-terminated `line` into *out (defaults for absent keys).
 * Returns true on success; otherwise writes what is wrong (one line, no
 * prefix, no newline, always NUL-terminated) into err. */
bool cmdline_parse(const char *line, struct boot_options *out, char *err, size_t errlen);

/* Names for printing; NULL for an index out of range. */
const char *cmdline_model_name(unsigned model);
const char *cmdline_scenario_name(unsigned scenario);
const char *cmdline_bug_name(enum ebx_bug bug);
const char *cmdline_pervcpu_sleep_name(enum pervcpu_sleep p);
const char *cmdline_hv_name(enum xen_hv hv);
const char *cmdline_ukl_df_name(enum ukl_df df);
unsigned cmdline_model_count(void);
unsigned cmdline_scenario_count(void);

#endif
