/* SPDX-License-Identifier: MIT */
/*
 * The kpti entry model, after Linux arch/x86/entry/entry_64.S.
 *
 * Everything here runs, at least partly, on the user CR3, so it all lives in
 * .entry.text, the only kernel text the user PGD maps (supervisor-only).  The
 * data it touches before the CR3 switch -- the per-CPU page through GS, the
 * entry stack, the TSS, GDT and IDT -- lives in the cpu_entry_area, which
 * every page table maps.
 *
 * Each stub exists once per mode (nopti / pti / pti+pcid) and, for the
 * SYSCALL exit, once per deliberate bug, so the normal paths carry no runtime
 * branch on the command line.
 */
#include "calling.h"

/* The deliberate breakage of the SYSCALL exit: bug= values by number (kpti.c checks them). */
#define BUG_NONE        0
#define BUG_SKIP_CR3    1
#define BUG_SKIP_SWAPGS 2
#define BUG_USER_STACK  3

	.section .entry.text, "ax"

/* ---------------------------------------------------------------------------
 * SYSCALL.  On entry: RCX = user RIP, R11 = user RFLAGS, RSP = user RSP, CS/SS
 * from STAR, RFLAGS masked by SFMASK (IF, TF, DF, AC, NT, IOPL clear).  No
 * register is free and the stack is the user's, so the order is forced.
 */
.macro SYSCALL_ENTRY name, mode, tag, bug, cs=$GDT_USER_CS, syscall_c=kpti_syscall_c, sysret=sysretq
	.balign 16
	.globl \name
	.type \name, @function
\name:
	.if \bug == BUG_USER_STACK
	/* The classic mistake: a scratch register saved on whatever RSP user
	 * mode left, before the stack switch. */
	pushq %rcx
	popq %rcx
	.endif
	SYSCALL_TO_TASK_STACK \mode, \cs
	pushq %rax                       /* orig_rax = syscall number */
	PUSH_REGS rax=$-ENOSYS

	movq %rsp, %rdi
	call \syscall_c                 /* returns true when SYSRET is safe */
	testb %al, %al
	jz kpti_return_to_user_\tag

	/* Fast exit.  RCX/R11 come back from pt_regs, which C verified equal RIP/RFLAGS. */
	POP_REGS pop_rdi=0
	/* The last pops must come from a stack the user PGD maps: the entry stack. */
	movq %rsp, %rdi
	movq %gs:PCPU_ENTRY_STACK_TOP, %rsp
	pushq (PTR_RSP - PTR_RDI)(%rdi)
	pushq (%rdi)
	.if \bug != BUG_SKIP_CR3
	/* Last thing before leaving: from here on kernel memory is gone. */
	SWITCH_TO_USER_CR3 \mode, %rdi
	.endif
	popq %rdi
	popq %rsp
	.if \bug != BUG_SKIP_SWAPGS
	/* After the last GS access and right before the privilege change. */
	swapgs
	.endif
	.globl \name\()_\sysret
\name\()_\sysret:
	\sysret
	.size \name, . - \name
.endm

/* ---------------------------------------------------------------------------
 * Return to user through IRET: used by exceptions, by syscalls SYSRET cannot
 * return from, and by a new task's first entry to user.  RSP = pt_regs on the
 * task stack, kernel CR3 and GS.
 */
.macro RETURN_TO_USER mode, tag
	.balign 16
	.globl kpti_return_to_user_\tag
	.type kpti_return_to_user_\tag, @function
kpti_return_to_user_\tag:
	POP_REGS pop_rdi=0
	/* Copy the IRET frame to the entry stack: the task stack vanishes with the CR3 switch. */
	movq %rsp, %rdi
	movq %gs:PCPU_ENTRY_STACK_TOP, %rsp
	pushq (PTR_SS - PTR_RDI)(%rdi)
	pushq (PTR_RSP - PTR_RDI)(%rdi)
	pushq (PTR_RFLAGS - PTR_RDI)(%rdi)
	pushq (PTR_CS - PTR_RDI)(%rdi)
	pushq (PTR_RIP - PTR_RDI)(%rdi)
	pushq (%rdi)
	SWITCH_TO_USER_CR3 \mode, %rdi
	popq %rdi
	swapgs
	ESPFIX_IRET \mode, kpti_return_to_user_\tag\()_espfix_iretq
	.globl kpti_return_to_user_\tag\()_iretq
kpti_return_to_user_\tag\()_iretq:
	iretq
	.size kpti_return_to_user_\tag, . - kpti_return_to_user_\tag
.endm

/* ---------------------------------------------------------------------------
 * Exceptions and interrupts.  Every vector's stub pushes an error code (the
 * CPU's, or -1) and its vector, then jumps to the common code of its kind:
 *   [vector] [error] RIP CS RFLAGS RSP SS
 */
.macro EXC_COMMON mode, tag
	.balign 16
	.type kpti_exc_common_\tag, @function
kpti_exc_common_\tag:
	testb $SEL_RPL_MASK, STUB_CS(%rsp)  /* CPL of the interrupted context */
	jz .Lfrom_kernel_\tag

.Lfrom_user_\tag:
	/* From user: we are on this CPU's entry stack (TSS.RSP0), user GS and CR3. */
	swapgs
	pushq %rdi                       /* the scratch register for the CR3 switch */
	SWITCH_TO_KERNEL_CR3 \mode, %rdi
	COPY_FRAME_TO_TASK_STACK
	call entry_exception_c
	jmp kpti_return_to_user_\tag

.Lfrom_kernel_\tag:
	/* The IRET back to user can fault before it leaves ring 0 (bad SS or CS,
	 * non-canonical RIP on Intel): entry stack, user GS and CR3, every
	 * register already the user's.  Like Linux's bad-IRET fixup, make it the
	 * fault of the user context the IRET was returning to. */
	cmpq $kpti_return_to_user_\tag\()_iretq, STUB_RIP(%rsp)
	je .Lbad_iret_\tag
	/* ... and so can the IRET of a #DB or #MC from user mode, on its IST stack. */
	cmpq $kpti_paranoid_common_\tag\()_iretq, STUB_RIP(%rsp)
	je .Lbad_iret_\tag
	SAVE_REGS_FROM_KERNEL \mode
	movq %rdi, %rsi
	movq %rsp, %rdi
	call entry_exception_c
	POP_REGS
	addq $8, %rsp                    /* orig_rax */
	iretq

.Lbad_iret_\tag:
	/* [vector] [error] RIP CS RFLAGS RSP SS, RSP pointing at the five words
	 * the IRET was loading: copy them over RIP..SS, mark the vector, and
	 * enter as from user (the iretq ran after swapgs and the CR3 switch). */
	BAD_IRET_TAKE_USER_FRAME
	jmp .Lfrom_user_\tag
	.size kpti_exc_common_\tag, . - kpti_exc_common_\tag
.endm


/* One stub: error code (if the CPU pushes none), vector, jump to common code. */
.macro VECTOR_STUB name, vec, common
	.balign 16
	.globl \name
	.type \name, @function
\name:
	.if VEC_HAS_ERROR(\vec) == 0
	pushq $-1
	.endif
	pushq $\vec
	jmp \common
	.size \name, . - \name
.endm

/* The exception vectors by name, Linux's names. */
.macro EXCEPTION_STUBS mode, tag, sfx
	VECTOR_STUB asm_exc_divide_error\sfx,                VEC_DE,     kpti_exc_common_\tag
	VECTOR_STUB asm_exc_debug\sfx,                       VEC_DB,     kpti_paranoid_common_\tag
	NMI_ENTRY asm_exc_nmi\sfx, \mode, entry_exception_c
	VECTOR_STUB asm_exc_int3\sfx,                        VEC_BP,     kpti_exc_common_\tag
	VECTOR_STUB asm_exc_overflow\sfx,                    VEC_OF,     kpti_exc_common_\tag
	VECTOR_STUB asm_exc_bounds\sfx,                      VEC_BR,     kpti_exc_common_\tag
	VECTOR_STUB asm_exc_invalid_op\sfx,                  VEC_UD,     kpti_exc_common_\tag
	VECTOR_STUB asm_exc_device_not_available\sfx,        VEC_NM,     kpti_exc_common_\tag
	VECTOR_STUB asm_exc_double_fault\sfx,                VEC_DF,     kpti_paranoid_common_\tag
	VECTOR_STUB asm_exc_coproc_overrun\sfx,              VEC_OLD_MF, kpti_exc_common_\tag
	VECTOR_STUB asm_exc_invalid_tss\sfx,                 VEC_TS,     kpti_exc_common_\tag
	VECTOR_STUB asm_exc_segment_not_present\sfx,         VEC_NP,     kpti_exc_common_\tag
	VECTOR_STUB asm_exc_stack_segment\sfx,               VEC_SS,     kpti_exc_common_\tag
	VECTOR_STUB asm_exc_general_protection\sfx,          VEC_GP,     kpti_exc_common_\tag
	VECTOR_STUB asm_exc_page_fault\sfx,                  VEC_PF,     kpti_exc_common_\tag
	VECTOR_STUB asm_exc_spurious\sfx,                    15,         kpti_exc_common_\tag
	VECTOR_STUB asm_exc_coprocessor_error\sfx,           VEC_MF,     kpti_exc_common_\tag
	VECTOR_STUB asm_exc_alignment_check\sfx,             VEC_AC,     kpti_exc_common_\tag
	VECTOR_STUB asm_exc_machine_check\sfx,               VEC_MC,     kpti_paranoid_common_\tag
	VECTOR_STUB asm_exc_simd_coprocessor_error\sfx,      VEC_XM,     kpti_exc_common_\tag
	VECTOR_STUB asm_exc_virtualization\sfx,              VEC_VE,     kpti_exc_common_\tag
	VECTOR_STUB asm_exc_control_protection\sfx,          VEC_CP,     kpti_exc_common_\tag
	VECTOR_STUB asm_exc_reserved22\sfx,                  22,         kpti_exc_common_\tag
	VECTOR_STUB asm_exc_reserved23\sfx,                  23,         kpti_exc_common_\tag
	VECTOR_STUB asm_exc_reserved24\sfx,                  24,         kpti_exc_common_\tag
	VECTOR_STUB asm_exc_reserved25\sfx,                  25,         kpti_exc_common_\tag
	VECTOR_STUB asm_exc_reserved26\sfx,                  26,         kpti_exc_common_\tag
	VECTOR_STUB asm_exc_reserved27\sfx,                  27,         kpti_exc_common_\tag
	VECTOR_STUB asm_exc_hv_injection\sfx,                VEC_HV,     kpti_exc_common_\tag
	VECTOR_STUB asm_exc_vmm_communication\sfx,           VEC_VC,     kpti_exc_common_\tag
	VECTOR_STUB asm_exc_security\sfx,                    VEC_SX,     kpti_exc_common_\tag
	VECTOR_STUB asm_exc_reserved31\sfx,                  31,         kpti_exc_common_\tag
.endm

/* Vectors X86_EXCEPTIONS..255 (no device raises them yet): unnamed stubs in one block. */
.macro SPARE_STUBS tag
	.balign 16
	.globl asm_spare_vectors_\tag
	.type asm_spare_vectors_\tag, @function
asm_spare_vectors_\tag:
	.set vec, X86_EXCEPTIONS
	.rept IDT_ENTRIES - X86_EXCEPTIONS
	.balign 16
	pushq $-1
	pushq $vec
	jmp kpti_exc_common_\tag
	.set vec, vec + 1
	.endr
	.size asm_spare_vectors_\tag, . - asm_spare_vectors_\tag
.endm

/* The gate targets, in vector order, for the IDT. */
.macro IDT_TABLE tag, sfx
	.section .rodata
	.balign 8
	.globl kpti_idt_stubs_\tag
kpti_idt_stubs_\tag:
	.quad asm_exc_divide_error\sfx, asm_exc_debug\sfx, asm_exc_nmi\sfx, asm_exc_int3\sfx
	.quad asm_exc_overflow\sfx, asm_exc_bounds\sfx, asm_exc_invalid_op\sfx, asm_exc_device_not_available\sfx
	.quad asm_exc_double_fault\sfx, asm_exc_coproc_overrun\sfx, asm_exc_invalid_tss\sfx, asm_exc_segment_not_present\sfx
	.quad asm_exc_stack_segment\sfx, asm_exc_general_protection\sfx, asm_exc_page_fault\sfx, asm_exc_spurious\sfx
	.quad asm_exc_coprocessor_error\sfx, asm_exc_alignment_check\sfx, asm_exc_machine_check\sfx, asm_exc_simd_coprocessor_error\sfx
	.quad asm_exc_virtualization\sfx, asm_exc_control_protection\sfx, asm_exc_reserved22\sfx, asm_exc_reserved23\sfx
	.quad asm_exc_reserved24\sfx, asm_exc_reserved25\sfx, asm_exc_reserved26\sfx, asm_exc_reserved27\sfx
	.quad asm_exc_hv_injection\sfx, asm_exc_vmm_communication\sfx, asm_exc_security\sfx, asm_exc_reserved31\sfx
	.set i, 0
	.rept IDT_ENTRIES - X86_EXCEPTIONS
	.quad asm_spare_vectors_\tag + i * 16
	.set i, i + 1
	.endr
	.previous
.endm

/* One stub family. */
.macro MODE_STUBS mode, tag, sfx
	RETURN_TO_USER \mode, \tag
	EXC_COMMON \mode, \tag
	PARANOID_ENTRY kpti_paranoid_common_\tag, \mode, entry_exception_c
	PARANOID_BUG_VARIANTS kpti, \mode, \tag, entry_exception_c, kpti_paranoid_common_\tag
	EXCEPTION_STUBS \mode, \tag, \sfx
	SPARE_STUBS \tag
	IDT_TABLE \tag, \sfx
.endm

/* pti=on is the default and gets Linux's plain names. */
	SYSCALL_ENTRY entry_SYSCALL_64, PTI_ON, pti, BUG_NONE
	SYSCALL_ENTRY entry_SYSCALL_64_skip_user_cr3, PTI_ON, pti, BUG_SKIP_CR3
	SYSCALL_ENTRY entry_SYSCALL_64_skip_swapgs, PTI_ON, pti, BUG_SKIP_SWAPGS
	SYSCALL_ENTRY entry_SYSCALL_64_pcid, PTI_PCID, pcid, BUG_NONE
	SYSCALL_ENTRY entry_SYSCALL_64_pcid_skip_user_cr3, PTI_PCID, pcid, BUG_SKIP_CR3
	SYSCALL_ENTRY entry_SYSCALL_64_pcid_skip_swapgs, PTI_PCID, pcid, BUG_SKIP_SWAPGS
	SYSCALL_ENTRY entry_SYSCALL_64_nopti, PTI_OFF, nopti, BUG_NONE
	SYSCALL_ENTRY entry_SYSCALL_64_nopti_skip_swapgs, PTI_OFF, nopti, BUG_SKIP_SWAPGS
	SYSCALL_ENTRY entry_SYSCALL_64_user_stack, PTI_ON, pti, BUG_USER_STACK
	SYSCALL_ENTRY entry_SYSCALL_64_pcid_user_stack, PTI_PCID, pcid, BUG_USER_STACK
	SYSCALL_ENTRY entry_SYSCALL_64_nopti_user_stack, PTI_OFF, nopti, BUG_USER_STACK
/* SYSCALL from compatibility mode (MSR_CSTAR): the same path with a 32-bit
 * frame, C's 32-bit view of the registers, and SYSRETL back. */
	SYSCALL_ENTRY entry_SYSCALL_compat, PTI_ON, pti, BUG_NONE, $GDT_USER32_CS, entry_syscall32_c, sysretl
	SYSCALL_ENTRY entry_SYSCALL_compat_pcid, PTI_PCID, pcid, BUG_NONE, $GDT_USER32_CS, entry_syscall32_c, sysretl
	SYSCALL_ENTRY entry_SYSCALL_compat_nopti, PTI_OFF, nopti, BUG_NONE, $GDT_USER32_CS, entry_syscall32_c, sysretl

	MODE_STUBS PTI_ON, pti,
	MODE_STUBS PTI_PCID, pcid, _pcid
	MODE_STUBS PTI_OFF, nopti, _nopti
