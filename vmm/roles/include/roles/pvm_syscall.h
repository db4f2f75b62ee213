/* SPDX-License-Identifier: MIT */
/*
 * The kvm_pvm SYSCALL repair (docs/design.md §10).  On kvm_pvm a ring-3 SYSCALL
 * jumps to MSR_LSTAR but stays at CPL 3; since the guest keeps LSTAR's page
 * supervisor-only, that becomes a #PF (instruction fetch from user mode,
 * CR2 = RIP = LSTAR).  A hardware breakpoint on the guest's #PF handler lets us
 * finish the SYSCALL the way the CPU should have: CPL 0 selectors from
 * MSR_STAR, the user RSP, the flags SFMASK already masked, RIP = LSTAR.  The
 * guest's entry code never learns about it.
 *
 * A SYSCALL from compatibility mode goes wrong differently: kvm_pvm jumps to
 * the low 32 bits of MSR_CSTAR in ring 0, whose fetch faults there (CR2 = RIP
 * = the truncated CSTAR, frame CS = the kernel's, pushed on the user's stack
 * since the CPL did not change).  The repair is the same with RIP = CSTAR.
 * Everything backend-specific about SYSCALL lives in this file, and so does
 * its twin for single steps: kvm_pvm turns a single step the VMM asks for in
 * ring 3 into a #DB of the guest's own; a breakpoint on the guest's #DB
 * handler catches it, and the VMM takes the delivery back (pvm_step_take_back).
 */
#ifndef ENTRYBOX_PVM_SYSCALL_H
#define ENTRYBOX_PVM_SYSCALL_H

#include <stdbool.h>
#include <stdint.h>
#include "kvm/kvm.h"

struct pvm_syscall {
	uint64_t pf_handler;  /* IDT[14] target, where the breakpoint sits */
	uint64_t db_handler;  /* IDT[1] target: where a ring-3 step arrives */
	uint64_t lstar;
	uint64_t cstar;
	uint64_t star;
	uint64_t repairs;
	uint64_t genuine_faults;
	uint64_t steps_taken_back;
};

/* Reads IDT[14] and IDT[1] (through the guest's current page tables) and MSR_LSTAR/CSTAR/STAR.
 * False with a reason when the guest's IDT or MSRs are unusable. */
bool pvm_syscall_prepare(struct pvm_syscall *p, struct kvm_vcpu *vcpu, char *err, size_t errlen);

enum pvm_verdict {
	PVM_REPAIRED,      /* the vCPU now stands at LSTAR (or CSTAR) in the post-SYSCALL state */
	PVM_GENUINE_FAULT, /* a real #PF: let the handler run (step over the breakpoint) */
	PVM_UNREADABLE,    /* the exception frame could not be read */
};

/* Called at the breakpoint on the #PF handler. */
enum pvm_verdict pvm_syscall_on_pf_handler(struct pvm_syscall *p, struct kvm_vcpu *vcpu);

/* kvm_pvm reports no single-step trap after some instructions it completes
 * itself (swapgs, and IN/OUT once the VMM has served the port): the next
 * instruction runs as well before the step exit comes.  A breakpoint on the instruction after one does fire.  Returns the
 * length of the instruction at `code` when it is one of these, else 0. */
size_t pvm_unreported_step_len(const uint8_t *code, size_t n);
/* The same after an iretq: the instruction it returns to runs before the
 * step exit comes.  A breakpoint on the return address (the frame at RSP)
 * stands in for it.  True when the bytes at `code` are an iretq. */
bool pvm_unreported_step_after_iret(const uint8_t *code, size_t n);

/*
 * A single step from ring 3 on kvm_pvm is no exit but a #DB the guest takes
 * (the step's trap flag reaches ring 3, the VMM's exit for it does not).
 * Where to catch it before the guest runs a single instruction of its
 * handler: the #DB handler, or 0 when the vCPU is not in ring 3 or the guest
 * keeps a trap flag of its own (its #DB is its own).
 */
uint64_t pvm_step_catch_addr(const struct pvm_syscall *p, struct kvm_vcpu *vcpu);
/* At that catch: the delivery is taken back -- the vCPU stands after the
 * user instruction with the user's registers, as after a reported step.
 * False when the exception frame cannot be read. */
bool pvm_step_take_back(struct pvm_syscall *p, struct kvm_vcpu *vcpu);

#endif
