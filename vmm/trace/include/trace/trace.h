/* SPDX-License-Identifier: MIT */
/*
 * Single-step traces of an entry path (docs/design.md §7).  The path starts at a
 * user->kernel boundary the VMM sees after the layout (the syscall boundary by
 * default) and ends at the instruction that returns to ring 3; --trace-trips
 * traces that many consecutive round trips on the same vCPU.  Every
 * instruction becomes one JSON line in the trace file with the state the rules
 * judge (CPL, PGD half, stack region, GS kind, IF) and the rules that failed
 * there; every rule is evaluated at every step.  Every step is checked as it
 * is recorded: it must land on the next instruction, the branch target, or a
 * gate of the IDT (an exception, an interrupt, an injection), else the trace
 * ends as "lost-step" with both addresses.  A last "summary" line gives
 * counts, stack usage and the stepping rate, next to the rate of a bare
 * single-step loop over the following round trips of the same syscall,
 * measured in the same run.
 */
#ifndef ENTRYBOX_TRACE_H
#define ENTRYBOX_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "run/observer.h"

enum trace_path {
	TRACE_PATH_SYSCALL = 0,   /* a syscall round trip, up to its return to ring 3 */
	TRACE_PATH_NULL_SYSCALL,  /* the same, of null syscalls (number 0) only */
	TRACE_PATH_USER_FAULT,    /* a #PF taken from ring 3, up to its iretq */
};

#define TRACE_DEFAULT_BARE_ROUND_TRIPS 16u
#define TRACE_DEFAULT_MAX_STEPS        100000u   /* a looping guest cannot fill the disk */
#define TRACE_MAX_MAX_STEPS            100000000u
#define TRACE_MAX_TRIPS                64u
#define TRACE_MAX_OCCURRENCE           1000000u

struct trace_config {
	const char *file;             /* JSON lines written here */
	enum trace_path path;
	unsigned occurrence;          /* trace the Nth boundary of the path (1 = the first) */
	unsigned trips;               /* consecutive round trips traced (0 = 1) */
	uint64_t max_steps;           /* the trace ends as "step-limit" there (0 = the default) */
	unsigned bare_round_trips;    /* round trips stepped without rules afterwards */
	uint64_t drop_step;           /* self-test of the step check: this step is not recorded (0 = none) */
};

/* "syscall", "null-syscall" or "user-fault", optionally ":N" for the Nth
 * occurrence (default 1), e.g. "syscall:2" skips the first round trip.  False
 * for anything else. */
bool trace_path_parse(const char *text, enum trace_path *out, unsigned *occurrence);
const char *trace_path_name(enum trace_path p);

struct trace;
struct session;
struct vcpu_state;

/* Opens the trace file (before the VMM confines itself).  NULL with a reason in err. */
struct trace *trace_open(const struct trace_config *cfg, char *err, size_t errlen);
/* Writes the summary line and closes the file; t may be NULL. */
void trace_finish(struct trace *t, struct session *s);

/* The exit loop's view of a trace: the boundaries that start it, and the
 * steps it asks for (owner DBG_OWNER_TRACE).  Its context is the struct trace. */
extern const struct exit_observer trace_observer;

#endif
