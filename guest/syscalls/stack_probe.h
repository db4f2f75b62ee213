/* SPDX-License-Identifier: MIT */
/* The entry stack overflow knob (stack_probe.S), for C and the assembler. */
#ifndef ENTRYBOX_STACK_PROBE_H
#define ENTRYBOX_STACK_PROBE_H

/* struct stack_probe */
#define PROBE_RESUME_RIP 0
#define PROBE_RESUME_RSP 8

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

/* Where the #DF handler resumes an armed probe. */
struct stack_probe {
	uint64_t resume_rip;
	uint64_t resume_rsp;
};
_Static_assert(offsetof(struct stack_probe, resume_rip) == PROBE_RESUME_RIP, "stack_probe layout");
_Static_assert(offsetof(struct stack_probe, resume_rsp) == PROBE_RESUME_RSP, "stack_probe layout");

/* Moves RSP to the top of this CPU's entry stack and pushes until it runs
 * into the guard page below (the #DF handler then resumes at p's point and
 * this returns 1).  Returns 0 after max_pushes pushes without a fault: no
 * guard page.  Interrupts must be off. */
long entry_stack_overflow_probe(struct stack_probe *p, uint64_t max_pushes);
#endif

#endif
