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

#include "check/snap.h"
#include "entrybox/x86.h"

struct vcpu_state;

/* What trace.c knows about the step it asks to record. */
struct trace_step_in {
	uint64_t index;           /* in the whole trace */
	unsigned trip;            /* which traced round trip, from 0 */
	bool boundary;            /* the path's first instruction, entered from ring 3 (CR3, GS still the user's) */
	const char *event;        /* how the step was reached ("syscall-boundary", "exception", ...), or NULL */
	int vector;               /* the vector it was reached by, or -1 */
	bool repeat;              /* another iteration of the REP string instruction before */
	bool past_gate;           /* the handler's first instruction ran unreported (counted) */
};

/* What trace.c needs back from a recorded step. */
struct trace_step_out {
	uint64_t rsp;
	int stack_index;          /* into layout.raw.stacks[], -1 when unregistered */
	const char *pgd_kind;     /* "kernel", "user", "shared" (pti=off) or "other" */
	uint8_t cpl;
	bool returns_to_user;     /* sysret, or iret with a ring-3 frame: the path's last instruction */
	size_t failed;            /* rules that failed here */
	/* The instruction and the state before it, for checking where it goes. */
	uint8_t code[X86_MAX_INSN_LEN];
	size_t code_len;          /* bytes of code readable (0: none) */
	struct vcpu_snap snap;
};

/* Evaluates every rule at the vCPU's current state and writes one JSON line to
 * f.  False when the vCPU state cannot be read. */
bool trace_record_step(FILE *f, struct vcpu_state *v, const struct trace_step_in *in, struct trace_step_out *out);

#endif
