/* SPDX-License-Identifier: MIT */
/*
 * The guest command line (docs/design.md §2):
 * space-separated KEY=VALUE.  The selection keys (entry, pti, pcid, vcpus,
 * tasks, scenario, iters) and the kernel's keys (timer, kernel_bug, espfix) every
 * model takes; any other key is an option of the selected model, from its rows in entry/models.def.  The parser is pure
 * (no I/O, no libc) so that the same file builds into the freestanding guest
 * and into the host, where the CLI runs it on a command line before it boots
 * anything.
 */
#ifndef ENTRYBOX_CMDLINE_H
#define ENTRYBOX_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model_table.h"

#define CMDLINE_MAX_LEN     1024u   /* longer command lines are rejected, not cut */
#define CMDLINE_MAX_VCPUS   8u
#define CMDLINE_MAX_TASKS   8u
#define CMDLINE_MAX_ITERS   10000000ul

/* kernel_bug=: deliberate breakage of the kernel and of the entry paths every
 * model shares (entrybox/kernel_bugs.def). */
enum ebx_kernel_bug {
#define KERNEL_BUG(id, value, help) EBX_KBUG_##id,
#include "entrybox/kernel_bugs.def"
#undef KERNEL_BUG
	EBX_KBUG_COUNT
};

struct boot_options {
	unsigned model;        /* enum entry_model_id: index into models.def */
	unsigned scenario;     /* index into scenarios.def */
	bool pti, pcid;
	unsigned vcpus, tasks;
	unsigned long iters;
	/* Every model's options (the selected model's as given, the others at
	 * their defaults), by enum entry_option_id: read with ENTRY_OPT(). */
	unsigned long opt[ENTRY_OPTION_SLOTS];
	/* The keys every model takes beyond the selection keys. */
	enum ebx_kernel_bug kernel_bug;
	bool timer;            /* the LAPIC timer ticks (and preempts) whatever the scenario */
	/* An IRET to a 16-bit stack segment goes through the per-CPU ministack
	 * (ESPFIX64, entry/espfix.S), so ESP[31:16] show no kernel address. */
	bool espfix;
};

/* Parses the NUL-terminated `line` into *out (defaults for absent keys).
 * Returns true on success; otherwise writes what is wrong (one line, no
 * prefix, no newline, always NUL-terminated) into err. */
bool cmdline_parse(const char *line, struct boot_options *out, char *err, size_t errlen);

/* Names for printing; NULL for an index out of range. */
const char *cmdline_model_name(unsigned model);
const char *cmdline_scenario_name(unsigned scenario);
const char *cmdline_kernel_bug_name(unsigned bug);
unsigned cmdline_model_count(void);
unsigned cmdline_scenario_count(void);

/* The selected model's options as given or defaulted, "key=value ..." (empty
 * for a model without options), always NUL-terminated. */
void cmdline_model_options(const struct boot_options *o, char *buf, size_t len);

#endif
