/* SPDX-License-Identifier: MIT */
/*
 * The vCPU's guest-debug state: up to four hardware instruction breakpoints
 * (each tagged with why it is armed) and single-stepping.  KVM gives no
 * reliable "resume past this breakpoint" on every backend (kvm_pvm ignores
 * RFLAGS.RF), so a breakpoint is passed by disarming all of them for exactly
 * one single-step and re-arming afterwards -- except where a single step
 * cannot be relied on: stepping across SYSRET loses the step on the way to
 * ring 3 (SYSRET reloads RFLAGS.TF from R11), so the breakpoint on the
 * sysretq is instead parked until the next kernel entry re-arms it.
 */
#ifndef ENTRYBOX_DEBUGCTL_H
#define ENTRYBOX_DEBUGCTL_H

#include <stdbool.h>
#include <stdint.h>
#include "kvm/kvm.h"

enum bp_purpose {
	BP_NONE = 0,
	BP_PVM_PF_HANDLER,   /* the guest's #PF handler: kvm_pvm SYSCALL repair */
	BP_SYSCALL_ENTRY,    /* MSR_LSTAR: user-boundary checks where SYSCALL works natively */
	BP_SYSCALL_RETURN,   /* the sysretq of the fast exit path */
	BP_INJECT,           /* an --inject LOC or sweep point (slots 2-3) */
};

struct debugctl {
	uint64_t addr[4];
	enum bp_purpose purpose[4];
	bool parked[4];          /* armed but disabled until debugctl_unpark_all() */
	bool single_step;        /* the user asked for stepping (measurement, trace) */
	bool stepping_over;      /* breakpoints are off for one step */
	bool applied;
};

void debugctl_init(struct debugctl *d);
/* Frees every slot; single-stepping is left as it is. */
void debugctl_disarm_all(struct debugctl *d);
/* Arms the first free slot; false when all four are taken. */
bool debugctl_arm(struct debugctl *d, uint64_t addr, enum bp_purpose purpose);
/* Frees one slot (a one-shot breakpoint that has fired). */
void debugctl_disarm(struct debugctl *d, int slot);
/* Which armed, unparked slot sits at `rip`, or -1. */
int debugctl_slot_at(const struct debugctl *d, uint64_t rip);
void debugctl_set_single_step(struct debugctl *d, bool on);
/* Disables one breakpoint until the next debugctl_unpark_all(). */
void debugctl_park(struct debugctl *d, int slot);
void debugctl_unpark_all(struct debugctl *d);
/* Passes the breakpoint the vCPU is stopped at: breakpoints off for one step. */
void debugctl_begin_step_over(struct debugctl *d);
void debugctl_end_step_over(struct debugctl *d);
int debugctl_apply(struct debugctl *d, struct kvm_vcpu *vcpu);

#endif
