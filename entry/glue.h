/* SPDX-License-Identifier: MIT */
/*
 * The C half of the entry stubs, written once.  Most stubs call
 * entry_syscall_c and entry_exception_c (glue.c); a model whose C half must
 * do more, or live elsewhere, wraps the same bodies:
 *   kpti     kpti_syscall_c, the measured round trip, in kpti.c;
 *   pertask  both in .entry.text, after the CR3 switch its stubs leave to C;
 *   ukl      the #DF/#PF fixups of application stacks around entry_vector();
 *   xen      SYSRET is never the exit: xen_syscall_c returns true.
 */
#ifndef ENTRYBOX_GLUE_H
#define ENTRYBOX_GLUE_H

#include "entry_model.h"
#include "frames.h"

/* Runs the syscall in pt_regs; true when SYSRET may return (false: IRET). */
bool entry_syscall_c(struct ebx_pt_regs *regs);
/* The same for a SYSCALL from compatibility mode; true when SYSRETL may return. */
bool entry_syscall32_c(struct ebx_pt_regs *regs);
/* Handles exception or interrupt `vector`, which may carry ENTRY_VEC_BAD_IRET. */
void entry_exception_c(struct ebx_pt_regs *regs, uint64_t vector);

/* entry_sysret_allowed() (entry_model.h), inlined into every model's syscall path. */
static inline __attribute__((always_inline)) bool entry_sysret_ok(const struct ebx_pt_regs *regs)
{
	if (regs->rcx != regs->rip || regs->r11 != regs->rflags)
		return false;
	if (regs->cs != GDT_USER_CS || regs->ss != GDT_USER_SS)
		return false;
	/* Only the lower canonical half: SYSRET to a kernel address is wrong too. */
	if (regs->rip >> 47)
		return false;
	/* SYSRET cannot restore RF, and TF would trap on the instruction after
	 * SYSRET in ring 3 with a kernel stack view Linux does not want to debug. */
	return !(regs->rflags & (RFLAGS_TF | RFLAGS_RF));
}

static inline __attribute__((always_inline)) bool entry_syscall_body(struct ebx_pt_regs *regs)
{
	syscall_dispatch(regs);
	return entry_sysret_ok(regs);
}

/* A SYSCALL from compatibility mode (CSTAR): the registers as a 32-bit task
 * has them (entry_compat_view), the syscall, and whether SYSRETL may return. */
static inline __attribute__((always_inline)) bool entry_syscall32_body(struct ebx_pt_regs *regs)
{
	entry_compat_view(regs);
	syscall_dispatch_compat(regs);
	return entry_sysretl_allowed(regs);
}

/* The vector without ENTRY_VEC_BAD_IRET, after reporting the fixup it marks. */
static inline __attribute__((always_inline)) unsigned entry_vector(const struct ebx_pt_regs *regs, uint64_t vector)
{
	if (vector & ENTRY_VEC_BAD_IRET) {
		vector &= ~(uint64_t)ENTRY_VEC_BAD_IRET;
		entry_bad_iret_fixed(regs, (unsigned)vector);
	}
	return (unsigned)vector;
}

static inline __attribute__((always_inline)) void entry_exception_body(struct ebx_pt_regs *regs, uint64_t vector)
{
	trap_dispatch(regs, entry_vector(regs, vector));
}

#endif
