/* SPDX-License-Identifier: MIT */
/*
 * One line of a trace: the instruction a vCPU is about to execute, the state
 * the rules judge there, and the rules that failed.  trace.c decides which
 * instructions belong to the path; this file only describes one of them.
 */
#ifndef ENTRYBOX_TRACE_RECORD_H
#define ENTRYBOX_TRACE_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct vcpu_state;

/* What trace.c needs back from a recorded step. */
struct trace_step_out {
	uint64_t rsp;
	int stack_index;          /* into layout.raw.stacks[], -1 when unregistered */
	const char *pgd_kind;     /* "kernel", "user", "shared" (pti=off) or "other" */
	uint8_t cpl;
	bool returns_to_user;     /* sysret, or iret with a ring-3 frame: the path's last instruction */
	size_t failed;            /* rules that failed here */
};

/* Evaluates every rule at the vCPU's current state and writes one JSON line to
 * f.  `event` (may be NULL) marks how the step was reached ("syscall-boundary",
 * "exception").  False when the vCPU state cannot be read. */
bool trace_record_step(FILE *f, struct vcpu_state *v, uint64_t index, const char *event, int vector,
		       struct trace_step_out *out);

#endif
