/* SPDX-License-Identifier: MIT */
/*
 * Single-step traces of one entry path (docs/design.md §7).  The path starts at the
 * first user->kernel boundary the VMM sees after the layout (the SYSCALL
 * boundary by default) and ends at the instruction that returns to ring 3.
 * Every instruction becomes one JSON line in the trace file with the state the
 * rules judge (CPL, PGD half, stack region, GS kind, IF) and the rules that
 * failed there; every rule is evaluated at every step.  A last "summary" line
 * gives counts, stack usage and the stepping rate, next to the rate of a bare
 * single-step loop over the following round trips of the same path, measured
 * in the same run.
 */
#ifndef ENTRYBOX_TRACE_H
#define ENTRYBOX_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include "run/observer.h"

enum trace_path {
	TRACE_PATH_SYSCALL = 0,   /* one SYSCALL round trip, up to its sysretq */
	TRACE_PATH_USER_FAULT,    /* the first #PF taken from ring 3, up to its iretq */
};

#define TRACE_DEFAULT_BARE_ROUND_TRIPS 16u
#define TRACE_MAX_STEPS                200000u
#define TRACE_MAX_OCCURRENCE           1000000u

struct trace_config {
	const char *file;             /* JSON lines written here */
	enum trace_path path;
	unsigned occurrence;          /* trace the Nth boundary of the path (1 = the first) */
	unsigned bare_round_trips;    /* round trips stepped without rules afterwards */
};

/* "syscall" or "user-fault", optionally ":N" for the Nth occurrence (default
 * 1), e.g. "syscall:2" skips the first round trip.  False for anything else. */
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
