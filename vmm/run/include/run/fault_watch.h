/* SPDX-License-Identifier: MIT */
/*
 * Checks where mistakes happen, part one: the rules judged on the state of
 * the instruction that raised a kernel-mode #PF, #GP or #UD, rebuilt from
 * the exception frame at the handler's first instruction (SNAP_FAULT), so a
 * violation names that instruction rather than the crash it leads to.  A
 * #DF's saved RIP is undefined, so a #DF is judged as its handler finds the
 * CPU (on the #DF stack, with the CR3 and GS of the moment).
 *
 * The handlers are watched with hardware breakpoints (debugctl owner
 * "faults"), in the slots the other owners leave: the IDT's gate for each
 * vector, or -- where the vectors' stubs only push their vector and jump to
 * one common path, as every model's do -- that path once for all of them
 * (the frame there is [vector][error][hardware frame]).  On kvm_pvm the #PF
 * gate is the syscall boundary's breakpoint already; its genuine faults
 * come here through on_user_fault, and one slot stays free for the steps
 * kvm_pvm does not report.  A debugger outranks the watch: the slots gdb's
 * breakpoints need are taken back from it (fault_watch_yield).  A vector no
 * slot was left for, or whose slot went to gdb, is named in the result
 * (fault_watch) and, when the guest then panics on it, the run says the
 * check did not run.
 */
#ifndef ENTRYBOX_FAULT_WATCH_H
#define ENTRYBOX_FAULT_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include "run/observer.h"

struct session;
struct vcpu_state;

/* A kernel-mode exception one vCPU took, as the watch saw it. */
struct fault_seen {
	bool valid;
	unsigned vector;
	uint64_t error, rip, rsp, cr2, cr3;
};

extern const struct exit_observer fault_watch_observer;

/* Creates the watch and registers its observer; false when out of memory. */
bool fault_watch_setup(struct session *s);
void fault_watch_teardown(struct session *s);
/* On vCPU v's own thread: gives up to n of the watch's breakpoint slots to
 * an owner whose request outranks it (a debugger); how many it freed.  The
 * vectors they judged count as unwatched for the run (run_result.fault_watch). */
unsigned fault_watch_yield(struct vcpu_state *v, unsigned n);
/* The last kernel-mode exception vCPU `vcpu` took, if the watch saw one. */
bool fault_watch_last(const struct session *s, unsigned vcpu, struct fault_seen *out);
/* Fills the result's account of what was watched (run_result.fault_watch). */
void fault_watch_finish(struct session *s);

/* A vector stub at rip (code, n bytes) that pushes immediates and jumps: its
 * jump target, how many qwords it pushed and the last one.  False for
 * anything else (then the gate itself is watched). */
bool fault_watch_decode_stub(const uint8_t *code, size_t n, uint64_t rip, uint64_t *target, unsigned *pushes,
			     int64_t *last);

#endif
