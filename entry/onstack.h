/* SPDX-License-Identifier: MIT */
/*
 * Assembler macros shared by the entry models whose C part runs on the very
 * stack the entry landed on (pertask: the task's PTI stack; pervcpu: the
 * vCPU's entry stack).  That stack is mapped in the kernel and the user PGD
 * and its top is %gs:PCPU_ENTRY_STACK_TOP (= TSS.RSP0), so pt_regs is built
 * in place: no frame copy on entry, and the exit pops straight from it on
 * either CR3.
 *
 * `mode` is PTI_OFF or PTI_ON (calling.h); `cr3_in_c` = 1 leaves the
 * entry's CR3 switch to the model's C function (which must then live in
 * .entry.text); the exit's switch is always here, after the last pop that
 * needs kernel memory.
 *
 * The C halves (glue.h) a family calls: `syscall_c` (bool (struct ebx_pt_regs *),
 * true: SYSRET may return) and `exception_c` (void (struct ebx_pt_regs *,
 * uint64_t vector), the vector may carry ENTRY_VEC_BAD_IRET: see
 * ONSTACK_BAD_IRET_FIXUP).
 */
#ifndef ENTRYBOX_ONSTACK_H
#define ENTRYBOX_ONSTACK_H

#include "calling.h"

/* SYSCALL: swapgs, stack from the per-CPU page, pt_regs in place, C, exit.
 * `name` is the stub's (prefix_syscall_tag by default); a SYSCALL from
 * compatibility mode passes its own with cs=$GDT_USER32_CS and sysret=sysretl. */
.macro ONSTACK_SYSCALL prefix, mode, tag, cr3_in_c, syscall_c, name=, cs=$GDT_USER_CS, sysret=sysretq
	.ifb \name
	ONSTACK_SYSCALL \prefix, \mode, \tag, \cr3_in_c, \syscall_c, \prefix\()_syscall_\tag, \cs, \sysret
	.else
	.balign 16
	.globl \name
	.type \name, @function
\name:
	swapgs
	movq %rsp, %gs:PCPU_USER_RSP
	/* The entry stack is mapped in the user PGD: no CR3 switch needed to use it. */
	movq %gs:PCPU_ENTRY_STACK_TOP, %rsp
	PUSH_SYSCALL_FRAME \cs
	pushq %rax                       /* orig_rax = syscall number */
	PUSH_REGS rax=$-ENOSYS
	.if \cr3_in_c == 0
	SWITCH_TO_KERNEL_CR3 \mode, %rax /* RAX is saved: free as scratch */
	.endif
	movq %rsp, %rdi
	call \syscall_c
	testb %al, %al
	jz \prefix\()_return_to_user_\tag
	POP_REGS pop_rdi=0
	/* Still on the entry stack, which the user PGD maps: switch, then pop. */
	SWITCH_TO_USER_CR3 \mode, %rdi
	popq %rdi
	movq (PTR_RSP - PTR_ORIG_RAX)(%rsp), %rsp
	swapgs
	.globl \name\()_\sysret
\name\()_\sysret:
	\sysret
	.size \name, . - \name
	.endif
.endm

/* IRET exit from pt_regs on the entry stack (kernel CR3 and GS). */
.macro ONSTACK_RETURN prefix, mode, tag
	.balign 16
	.globl \prefix\()_return_to_user_\tag
	.type \prefix\()_return_to_user_\tag, @function
\prefix\()_return_to_user_\tag:
	POP_REGS pop_rdi=0
	SWITCH_TO_USER_CR3 \mode, %rdi
	popq %rdi
	addq $8, %rsp                    /* orig_rax */
	swapgs
	ESPFIX_IRET \mode, \prefix\()_return_to_user_\tag\()_espfix_iretq
	.globl \prefix\()_return_to_user_\tag\()_iretq
\prefix\()_return_to_user_\tag\()_iretq:
	iretq
	.size \prefix\()_return_to_user_\tag, . - \prefix\()_return_to_user_\tag

/* The same exit for a pt_regs elsewhere (a new task's kernel stack, a frame
 * copied off the entry stack): the pops after the CR3 switch need a stack
 * the user PGD maps, so pt_regs moves to the entry stack first.  No live
 * frame can be there: the task that runs here is the one returning. */
	.balign 16
	.globl \prefix\()_return_from_copy_\tag
	.type \prefix\()_return_from_copy_\tag, @function
\prefix\()_return_from_copy_\tag:
	movq %rsp, %rsi
	movq %gs:PCPU_ENTRY_STACK_TOP, %rdi
	subq $PTR_SIZE, %rdi
	movq %rdi, %rsp
	movl $(PTR_SIZE / 8), %ecx
	cld
	rep movsq
	jmp \prefix\()_return_to_user_\tag
	.size \prefix\()_return_from_copy_\tag, . - \prefix\()_return_from_copy_\tag
.endm

/* The IRET of the exit can fault before it leaves ring 0 (bad SS or CS,
 * non-canonical RIP on Intel), after swapgs and the CR3 switch, with every
 * register the user's: as Linux's bad-IRET fixup does, the exception becomes
 * the user context's, taken at the frame the IRET was loading (its RSP slot
 * points there).  The vector is marked ENTRY_VEC_BAD_IRET for the C side. */
.macro ONSTACK_BAD_IRET_FIXUP iretq, from_user, paranoid_iretq=
	cmpq $\iretq, STUB_RIP(%rsp)
	je .Lbad_iret_\@
	.ifnb \paranoid_iretq
	/* The IRET of a #DB or #MC from user mode, on its IST stack. */
	cmpq $\paranoid_iretq, STUB_RIP(%rsp)
	je .Lbad_iret_\@
	.endif
	jmp .Lnot_bad_iret_\@
.Lbad_iret_\@:
	BAD_IRET_TAKE_USER_FRAME
	jmp \from_user
.Lnot_bad_iret_\@:
.endm

/* Exceptions and interrupts that do not use an IST: [vector] [error] hw frame. */
.macro ONSTACK_EXC_COMMON prefix, mode, tag, cr3_in_c, exception_c
	.balign 16
	.type \prefix\()_exc_common_\tag, @function
\prefix\()_exc_common_\tag:
	testb $SEL_RPL_MASK, STUB_CS(%rsp)  /* CPL of the interrupted context */
	jz 1f
.Lfrom_user_\prefix\()_\tag:
	/* From user: already on the entry stack (TSS.RSP0), which stays ours. */
	swapgs
	xchgq %rdi, (%rsp)               /* vector slot becomes pt_regs->rdi */
	PUSH_REGS push_rdi=0
	.if \cr3_in_c == 0
	SWITCH_TO_KERNEL_CR3 \mode, %rax
	.endif
	movq %rdi, %rsi
	movq %rsp, %rdi
	call \exception_c
	jmp \prefix\()_return_to_user_\tag
1:
	ONSTACK_BAD_IRET_FIXUP \prefix\()_return_to_user_\tag\()_iretq, .Lfrom_user_\prefix\()_\tag, \prefix\()_paranoid_\tag\()_iretq
	/* From kernel: same stack, same GS. */
	SAVE_REGS_FROM_KERNEL \mode
	movq %rdi, %rsi
	movq %rsp, %rdi
	call \exception_c
	POP_REGS
	addq $8, %rsp
	iretq
	.size \prefix\()_exc_common_\tag, . - \prefix\()_exc_common_\tag
.endm

/* Vector stubs: IDT_ENTRIES of them, 16 bytes apart from \prefix\()_vectors_\tag,
 * each pushing the error code the CPU did not (-1) and its vector, except
 * NMI's, which goes to `nmi` (an NMI_ENTRY) as it is.  pf_ist=1 sends #PF to
 * the paranoid path too (for a model that gives it an IST). */
.macro ONSTACK_VECTORS prefix, tag, common, paranoid, nmi, pf_ist=0
	.balign 16
	.globl \prefix\()_vectors_\tag
	.type \prefix\()_vectors_\tag, @function
\prefix\()_vectors_\tag:
	.set vec, 0
	.rept IDT_ENTRIES
	.balign 16
	.if vec == VEC_NMI
	jmp \nmi                        /* NMI_ENTRY wants the bare hardware frame */
	.else
	.if VEC_HAS_ERROR(vec) == 0
	pushq $-1
	.endif
	pushq $vec
	.if (vec == VEC_DB) || (vec == VEC_DF) || (vec == VEC_MC) || ((vec == VEC_PF) && \pf_ist)
	jmp \paranoid
	.else
	jmp \common
	.endif
	.endif
	.set vec, vec + 1
	.endr
	.size \prefix\()_vectors_\tag, . - \prefix\()_vectors_\tag

	.section .rodata
	.balign 8
	.globl \prefix\()_idt_\tag
\prefix\()_idt_\tag:
	.set i, 0
	.rept IDT_ENTRIES
	.quad \prefix\()_vectors_\tag + i * 16
	.set i, i + 1
	.endr
	.previous
.endm

/* A whole stub family for one mode: SYSCALL from 64-bit and from
 * compatibility mode (\prefix\()_syscall32_\tag, with syscall32_c), the IRET
 * exit, exceptions and interrupts. */
.macro ONSTACK_FAMILY prefix, mode, tag, cr3_in_c, syscall_c, exception_c, syscall32_c
	ONSTACK_SYSCALL \prefix, \mode, \tag, \cr3_in_c, \syscall_c
	ONSTACK_SYSCALL \prefix, \mode, \tag, \cr3_in_c, \syscall32_c, \prefix\()_syscall32_\tag, $GDT_USER32_CS, sysretl
	ONSTACK_RETURN \prefix, \mode, \tag
	ONSTACK_EXC_COMMON \prefix, \mode, \tag, \cr3_in_c, \exception_c
	PARANOID_ENTRY \prefix\()_paranoid_\tag, \mode, \exception_c
	NMI_ENTRY \prefix\()_nmi_\tag, \mode, \exception_c
	PARANOID_BUG_VARIANTS \prefix, \mode, \tag, \exception_c, \prefix\()_paranoid_\tag
	ONSTACK_VECTORS \prefix, \tag, \prefix\()_exc_common_\tag, \prefix\()_paranoid_\tag, \prefix\()_nmi_\tag
.endm

#endif
