/* SPDX-License-Identifier: MIT */
/*
 * The vCPU's guest-debug state, the one place that decides it: the four
 * hardware breakpoint slots (instruction breakpoints and data watchpoints)
 * and single-stepping, requested by owners
 * (the exit loop's boundary checks, measurement, traces, injection, passing a
 * breakpoint, a debugger).  Stepping is on while any owner wants it; each
 * breakpoint slot belongs to the owner that armed it.  Nothing else writes
 * this state: owners ask through these functions.
 *
 * KVM gives no reliable "resume past this breakpoint" on every backend
 * (kvm_pvm ignores RFLAGS.RF), so a breakpoint is passed by turning the
 * instruction breakpoints at its address off for exactly one single step
 * (the step-over owner; every other slot stays on) -- except where
 * a single step cannot be relied on: stepping across SYSRET loses the step on
 * the way to ring 3 (SYSRET reloads RFLAGS.TF from R11), so the breakpoint on
 * the sysretq is instead parked until the next kernel entry unparks it.
 *
 * A debug exit is explained by what was in effect when the guest ran (the
 * state last applied), not by what owners want now: debugctl_classify() says
 * whether it was a step the VMM asked for, which VMM breakpoints it stands on,
 * or neither -- then the #DB is the guest's own and goes back to the guest.
 */
#ifndef ENTRYBOX_DEBUGCTL_H
#define ENTRYBOX_DEBUGCTL_H

#include <stdbool.h>
#include <stdint.h>
#include "kvm/kvm.h"

#define DBG_SLOTS 4

/* What a slot watches: DR7's R/W field. */
enum dbg_kind {
	DBG_EXEC = 0,           /* an instruction breakpoint: fires before the instruction at addr */
	DBG_WRITE = 1,          /* a data watchpoint: fires after an instruction wrote [addr, addr+len) */
	DBG_ACCESS = 3,         /* a data watchpoint: after a read or a write */
};

enum dbg_owner {
	DBG_OWNER_BOUNDARY = 0, /* the exit loop: syscall entry and return, the kvm_pvm #PF handler */
	DBG_OWNER_STEP_OVER,    /* passing the VMM breakpoint the vCPU stands on: one step, breakpoints off */
	DBG_OWNER_STEP_CATCH,   /* a step the backend does not report, caught by a breakpoint after it */
	DBG_OWNER_MEASURE,      /* instruction counts of the guest-marked region */
	DBG_OWNER_TRACE,        /* --trace */
	DBG_OWNER_INJECT,       /* --inject at a location, sweep points */
	DBG_OWNER_DEBUGGER,     /* an attached debugger */
	DBG_OWNER_FAULTS,       /* the handlers of kernel-mode exceptions the rules judge (run/fault_watch.c) */
	DBG_OWNERS
};

const char *debugctl_owner_name(enum dbg_owner o);

struct debugctl_slot {
	bool armed;
	bool parked;            /* armed but off until debugctl_unpark() */
	enum dbg_owner owner;
	int tag;                /* the owner's own name for why it is armed */
	uint64_t addr;
	enum dbg_kind kind;
	unsigned len;           /* data watchpoints: 1, 2, 4 or 8, addr aligned to it; 1 for DBG_EXEC */
};

/* What the vCPU ran with since the last debugctl_apply(). */
struct debugctl_live {
	bool valid;
	unsigned step_owners;   /* bit per enum dbg_owner that wanted the step */
	unsigned enabled_slots; /* bit per slot enabled in DR7 */
	unsigned data_slots;    /* bit per enabled slot that is a data watchpoint */
	uint64_t addr[DBG_SLOTS];
};

struct debugctl {
	struct debugctl_slot slot[DBG_SLOTS];
	unsigned step_owners;   /* bit per enum dbg_owner that wants stepping */
	uint64_t over_addr;     /* the breakpoint being passed (while the step-over owner steps) */
	bool changed;           /* differs from what the vCPU runs with */
	/* The vCPU ran with a VMM breakpoint at least once: KVM then loads our
	 * debug registers, and the guest's own DR7 is not live meanwhile. */
	bool hw_bp_used;
	struct debugctl_live live;
};

void debugctl_init(struct debugctl *d);
/* Forgets every owner's breakpoints and steps (the vCPU was restored to an
 * earlier state; owners arm again). */
void debugctl_reset(struct debugctl *d);

/* ---- stepping ---- */
void debugctl_want_step(struct debugctl *d, enum dbg_owner o, bool on);
bool debugctl_owner_steps(const struct debugctl *d, enum dbg_owner o);
/* Any owner wants stepping. */
bool debugctl_stepping(const struct debugctl *d);
/* The owners whose step the vCPU ran with (bit per enum dbg_owner), 0 when it ran without. */
unsigned debugctl_live_step_owners(const struct debugctl *d);

/* ---- breakpoints ---- */
/* Arms a slot for `o` at addr; the slot index, or -1 when all four are taken.
 * An owner arming an address it already holds gets that slot back. */
int debugctl_bp_add(struct debugctl *d, enum dbg_owner o, uint64_t addr, int tag);
/* Arms a slot for `o` as a data watchpoint on [addr, addr+len): len 1, 2, 4
 * or 8 and addr aligned to it (the debug registers' own rule).  The slot
 * index, or -1 when all four are taken or the range is not one the hardware
 * can watch. */
int debugctl_watch_add(struct debugctl *d, enum dbg_owner o, uint64_t addr, unsigned len, enum dbg_kind kind,
		       int tag);
void debugctl_bp_remove(struct debugctl *d, int slot);
void debugctl_bp_remove_owner(struct debugctl *d, enum dbg_owner o);
/* The armed instruction breakpoint of owner o at addr, or -1. */
int debugctl_bp_find(const struct debugctl *d, enum dbg_owner o, uint64_t addr);
/* An armed, unparked instruction breakpoint of any owner but `except` at addr. */
bool debugctl_exec_bp_at(const struct debugctl *d, uint64_t addr, enum dbg_owner except);
const struct debugctl_slot *debugctl_bp(const struct debugctl *d, int slot);
unsigned debugctl_free_slots(const struct debugctl *d);
/* Disables one breakpoint until debugctl_unpark(). */
void debugctl_bp_park(struct debugctl *d, int slot);
void debugctl_unpark(struct debugctl *d, enum dbg_owner o);

/* ---- passing a breakpoint ---- */
/* Passes the breakpoint the vCPU is stopped at, at addr: the instruction
 * breakpoints there off for one step. */
void debugctl_begin_step_over(struct debugctl *d, uint64_t addr);
void debugctl_end_step_over(struct debugctl *d);
bool debugctl_stepping_over(const struct debugctl *d);

/* Hands the state to KVM when it changed, and again after the VMM changed
 * the registers of a vCPU it steps (KVM keeps a step only for the RIP it
 * was asked at).  -1 with errno. */
int debugctl_apply(struct debugctl *d, struct kvm_vcpu *vcpu);

/* ---- explaining a debug exit ---- */
struct debug_cause {
	bool step;              /* a step the VMM asked for ended here */
	unsigned step_owners;   /* who asked for it */
	unsigned slots;         /* bit per VMM breakpoint (applied, enabled) at rip, and per data
				   watchpoint that DR6 names */
	bool guest;             /* neither: the guest's own #DB, to be delivered to it */
	uint64_t guest_dr6_payload; /* its DR6 cause bits as a positive mask (exception payload) */
};

/*
 * dr6 as KVM reports it at KVM_EXIT_DEBUG, rip where the vCPU stands.
 * - DR6.BS while the vCPU ran with stepping on: a VMM step.  It stands before
 *   every armed, unparked breakpoint at rip (`slots`), even one that was off
 *   for that step (a step-over turns the ones at the address it passes off).
 * - An enabled VMM breakpoint at rip, reported by its DR6.B<n> or with no
 *   cause bit at all: a VMM breakpoint.  While stepping, kvm_pvm reports the
 *   step that reaches an armed breakpoint as that breakpoint, so it is the
 *   step too.
 * - An enabled data watchpoint whose DR6.B<n> is set: it fired after the
 *   instruction before rip (a trap); a step may end at the same time.
 * - Anything else: while KVM_GUESTDBG_USE_HW_BP or _SINGLESTEP is on, kvm_amd
 *   and kvm_intel send every #DB of the guest to us (a guest TF trap, an
 *   ICEBP): the guest's, re-delivered with its DR6.
 */
struct debug_cause debugctl_classify(const struct debugctl *d, uint64_t dr6, uint64_t rip);

#endif
