/* SPDX-License-Identifier: MIT */
/*
 * What the exit loop tells the parts of a run that follow the guest
 * (measurement, traces, injection, a debugger) and what they answer.
 *
 * Every handler of an exit -- the loop's own, a port's, an observer's --
 * returns an exit_decision instead of acting on the run itself; the loop
 * combines them (END over REENTER over CONTINUE) and acts in one place.  An
 * observer registers once (session_observe) and is then called at the points
 * below on every vCPU thread; it never edits the loop.  Its single-steps and
 * breakpoints are requested through debugctl under its own owner, so it
 * learns about exactly the steps and breakpoints it asked for.
 */
#ifndef ENTRYBOX_OBSERVER_H
#define ENTRYBOX_OBSERVER_H

#include <stdint.h>
#include "kvm/debugctl.h"
#include "machine/events.h"

struct session;
struct vcpu_state;
struct violation_report;

enum exit_decision {
	EXIT_CONTINUE = 0, /* handled: resume, passing the VMM breakpoint the vCPU stands on, if any */
	EXIT_REENTER,      /* resume exactly as the handler left the vCPU (it moved it, parked or removed the
			      breakpoint, or queued an event that runs first): no step over a breakpoint */
	EXIT_END,          /* the run ends; the vCPU's `ending` says how and why (vcpu_end()) */
};

/* The stronger of two decisions: END, then REENTER, then CONTINUE. */
static inline enum exit_decision exit_decision_merge(enum exit_decision a, enum exit_decision b)
{
	return a > b ? a : b;
}

/* Every hook is optional.  `ctx` is what session_observe() was given. */
struct exit_observer {
	const char *name;
	enum dbg_owner owner;   /* its breakpoints and steps in debugctl */
	/* The guest's layout is known (or changed): arm this observer's breakpoints. */
	enum exit_decision (*on_arm)(void *ctx, struct vcpu_state *v);
	/* The vCPU stands on the syscall entry (MSR_LSTAR) in the post-SYSCALL
	 * state: CPL 0, CR3 and GS still as user mode left them. */
	enum exit_decision (*on_syscall_boundary)(void *ctx, struct vcpu_state *v);
	/* A syscall returns to ring 3: the vCPU stands on the fast exit path's
	 * sysretq, or the VMM itself just completed the return (entry=xen
	 * hv=vmm's iret hypercall, whose OUT is then the returning instruction). */
	enum exit_decision (*on_syscall_return)(void *ctx, struct vcpu_state *v);
	/* The vCPU stands on the #PF handler's first instruction, reached by a
	 * genuine fault from ring 3 (seen where the #PF handler is watched: kvm_pvm). */
	enum exit_decision (*on_user_fault)(void *ctx, struct vcpu_state *v);
	/* A single step this observer asked for ended; rip is the next instruction. */
	enum exit_decision (*on_step)(void *ctx, struct vcpu_state *v, uint64_t rip);
	/* A breakpoint this observer armed is where the vCPU stands. */
	enum exit_decision (*on_breakpoint)(void *ctx, struct vcpu_state *v, int slot);
	/* A checkpoint record of a kind the loop does not handle itself. */
	enum exit_decision (*on_checkpoint)(void *ctx, struct vcpu_state *v, const struct event_view *ev);
	/* After every exit, once the loop and the other hooks have handled it. */
	enum exit_decision (*on_exit)(void *ctx, struct vcpu_state *v);
	/* Before every KVM_RUN, once the loop has armed what the layout asks for:
	 * the observer may hold the vCPU here (a debugger that stopped the VM)
	 * and change what it asks of debugctl for the run that follows. */
	enum exit_decision (*on_run)(void *ctx, struct vcpu_state *v);
	/* The run reports a violation for the first time (this rule at this
	 * instruction); called without the session's lock. */
	void (*on_violation)(void *ctx, struct vcpu_state *v, const struct violation_report *rep);
	/* An injection delivered its event to the guest (`what`: the injection as given). */
	enum exit_decision (*on_injected)(void *ctx, struct vcpu_state *v, const char *what);
	/* This vCPU ends the run (v->ending says how): the last look at it as it stands. */
	void (*on_end)(void *ctx, struct vcpu_state *v);
	/* The run ended (every vCPU thread joined; before a sweep's points): add
	 * what the observer reports, and its coverage checks, to s->r. */
	void (*on_finish)(void *ctx, struct session *s);
};

#define SESSION_MAX_OBSERVERS 8

#endif
