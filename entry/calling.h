/* SPDX-License-Identifier: MIT */
/*
 * Assembler macros every entry model builds its stubs from, in the spirit of
 * Linux arch/x86/entry/calling.h.  `mode` selects the stub family at assembly
 * time: PTI_OFF (no CR3 switch), PTI_ON (PGD pair, no PCID), PTI_PCID (PGD
 * pair with kernel/user PCIDs and NOFLUSH).
 */
#ifndef ENTRYBOX_CALLING_H
#define ENTRYBOX_CALLING_H

#include "percpu.h"
#include "frames.h"
#include "user/user_abi.h"

#define PTI_OFF  0
#define PTI_ON   1
#define PTI_PCID 2

/* Save the general registers below an existing orig_rax/hardware frame, in
 * pt_regs order (frames.h's PTR_*, highest first); rdi is optional because
 * some paths have already put it there. */
.macro PUSH_REGS push_rdi=1 rax=%rax
	.if \push_rdi
	pushq %rdi
	.endif
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq \rax
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
.endm

.macro POP_REGS pop_rdi=1
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rax
	popq %rcx
	popq %rdx
	popq %rsi
	.if \pop_rdi
	popq %rdi
	.endif
.endm

/* Kernel CR3 = user CR3 with the user-half bit (and user PCID bit) cleared:
 * derived from CR3 itself so that no memory needs to be reachable first. With
 * PCID the kernel PCID's TLB entries are still valid, so NOFLUSH. */
.macro SWITCH_TO_KERNEL_CR3 mode, scratch
	.if \mode != PTI_OFF
	movq %cr3, \scratch
	.if \mode == PTI_PCID
	btsq $PT_CR3_NOFLUSH_NR, \scratch
	andq $~(PT_CR3_USER_BIT | CR3_PTI_USER_PCID), \scratch
	.else
	andq $~PT_CR3_USER_BIT, \scratch
	.endif
	movq \scratch, %cr3
	.endif
.endm

/* User CR3 = kernel CR3 | user-half bit (| user PCID bit).  With PCID the user
 * PCID is flushed once if the kernel changed its mappings (bit set in
 * PCPU_USER_PCID_FLUSH); otherwise NOFLUSH keeps its TLB entries. Needs a
 * stack mapped in the user PGD for the second scratch register. */
.macro SWITCH_TO_USER_CR3 mode, scratch
	.if \mode == PTI_ON
	movq %cr3, \scratch
	orq $PT_CR3_USER_BIT, \scratch
	movq \scratch, %cr3
	.elseif \mode == PTI_PCID
	pushq %rax
	movq %cr3, \scratch
	movq \scratch, %rax
	andq $CR3_PTI_KERNEL_PCID_MASK, %rax
	btq %rax, %gs:PCPU_USER_PCID_FLUSH
	jnc .Lnoflush_\@
	btrq %rax, %gs:PCPU_USER_PCID_FLUSH
	jmp .Lwrite_\@
.Lnoflush_\@:
	btsq $PT_CR3_NOFLUSH_NR, \scratch
.Lwrite_\@:
	orq $(PT_CR3_USER_BIT | CR3_PTI_USER_PCID), \scratch
	movq \scratch, %cr3
	popq %rax
	.endif
.endm

/* ESPFIX64 (after Linux's native_irq_return_ldt), right before an IRET to
 * user mode: RSP at the IRET frame on a stack the user PGD maps, user GS and
 * CR3, every register the user's.  An IRET to a 16-bit stack segment loads
 * only SP[15:0]; ESP[31:16] keep what RSP held at the IRET, so the task reads
 * bits of the kernel's stack address.  With espfix=on (PCPU_ESPFIX_STACK set)
 * a frame whose SS comes from the LDT (the only place a 16-bit stack segment
 * can come from) is copied, with RAX, to this CPU's ministack through its
 * writable alias, and the IRET runs on the read-only alias in the espfix area
 * whose bits 31:16 are the user's own ESP[31:16] (guest/cpu/espfix.c maps the
 * page at every such address).  With espfix=off the IRET runs where it is.
 * `name` labels the ministack's iretq. */
.macro ESPFIX_IRET mode, name
	testb $SEL_TI, IRET_SS(%rsp)
	jz .Lespfix_done_\@
	pushq %rdi
	swapgs
	SWITCH_TO_KERNEL_CR3 \mode, %rdi
	cmpq $0, %gs:PCPU_ESPFIX_STACK
	je .Lespfix_off_\@
	movq %gs:PCPU_ESPFIX_WADDR, %rdi
	movq %rax, (%rdi)
	movq (8 + IRET_RIP)(%rsp), %rax
	movq %rax, (8 + IRET_RIP)(%rdi)
	movq (8 + IRET_CS)(%rsp), %rax
	movq %rax, (8 + IRET_CS)(%rdi)
	movq (8 + IRET_RFLAGS)(%rsp), %rax
	movq %rax, (8 + IRET_RFLAGS)(%rdi)
	movq (8 + IRET_SS)(%rsp), %rax
	movq %rax, (8 + IRET_SS)(%rdi)
	movq (8 + IRET_RSP)(%rsp), %rax
	movq %rax, (8 + IRET_RSP)(%rdi)
	andl $0xffff0000, %eax           /* RAX = the user's ESP[31:16], nothing else */
	orq %gs:PCPU_ESPFIX_STACK, %rax  /* ... in the read-only alias of the frame */
	SWITCH_TO_USER_CR3 \mode, %rdi
	swapgs
	popq %rdi
	movq %rax, %rsp
	popq %rax
	.globl \name
\name:
	iretq
.Lespfix_off_\@:
	SWITCH_TO_USER_CR3 \mode, %rdi
	swapgs
	popq %rdi
.Lespfix_done_\@:
.endm

/* The bad-IRET fixup's core, shared by every model: on [vector] [error] RIP
 * CS RFLAGS RSP SS of a fault raised by an exit's iretq, whose RSP slot points
 * at the five words the IRET was loading, copy those over RIP..SS and mark the
 * vector ENTRY_VEC_BAD_IRET, so the fault becomes the user context's.
 * Preserves every register. */
.macro BAD_IRET_TAKE_USER_FRAME
	pushq %rax                       /* the stub frame is 16 bytes up from here */
	pushq %rbx
	movq (16 + STUB_RSP)(%rsp), %rax /* the failed IRET's frame */
	movq IRET_RIP(%rax), %rbx
	movq %rbx, (16 + STUB_RIP)(%rsp)
	movq IRET_CS(%rax), %rbx
	movq %rbx, (16 + STUB_CS)(%rsp)
	movq IRET_RFLAGS(%rax), %rbx
	movq %rbx, (16 + STUB_RFLAGS)(%rsp)
	movq IRET_RSP(%rax), %rbx
	movq %rbx, (16 + STUB_RSP)(%rsp)
	movq IRET_SS(%rax), %rbx
	movq %rbx, (16 + STUB_SS)(%rsp)
	orq $ENTRY_VEC_BAD_IRET, (16 + STUB_VECTOR)(%rsp)
	popq %rbx
	popq %rax
.endm

/* The hardware frame SYSCALL did not push, from what it left: SS RSP RFLAGS
 * CS RIP, with the user RSP parked at %gs:PCPU_USER_RSP.  What follows then
 * looks as after an interrupt from user mode.  `cs` is the code segment user
 * mode ran in: GDT_USER_CS, or GDT_USER32_CS for a SYSCALL from compatibility
 * mode (CSTAR). */
.macro PUSH_SYSCALL_FRAME cs=$GDT_USER_CS
	pushq $GDT_USER_SS
	pushq %gs:PCPU_USER_RSP
	pushq %r11
	pushq \cs
	pushq %rcx
.endm

/* SYSCALL's first steps, the same in every model that takes SYSCALL in
 * ring 0: GS first (until then the only kernel memory reachable without a
 * free register is %gs-relative), the user RSP parked in the per-CPU page so
 * RSP can serve as scratch for the CR3 switch (the kernel stack is not mapped
 * in the user PGD), then the hardware frame SYSCALL did not push, so what
 * follows looks as after an interrupt: SS RSP RFLAGS CS RIP on the task stack. */
.macro SYSCALL_TO_TASK_STACK mode, cs=$GDT_USER_CS
	swapgs
	movq %rsp, %gs:PCPU_USER_RSP
	SWITCH_TO_KERNEL_CR3 \mode, %rsp
	movq %gs:PCPU_TOP_OF_STACK, %rsp
	PUSH_SYSCALL_FRAME \cs
.endm

/* From [saved RDI] [stub frame] on a per-CPU stack, on kernel CR3 and GS:
 * to the task's kernel stack, pushing the hardware frame and the error code
 * (pt_regs' tail, the error code as orig_rax).  Leaves RDI at the saved RDI. */
.macro STUB_FRAME_TO_TASK_STACK
	movq %rsp, %rdi                  /* the stub frame is 8 bytes up from here */
	movq %gs:PCPU_TOP_OF_STACK, %rsp
	pushq (8 + STUB_SS)(%rdi)
	pushq (8 + STUB_RSP)(%rdi)
	pushq (8 + STUB_RFLAGS)(%rdi)
	pushq (8 + STUB_CS)(%rdi)
	pushq (8 + STUB_RIP)(%rdi)
	pushq (8 + STUB_ERROR)(%rdi)
.endm

/* An event from user (or UKL application) code arrives on a per-CPU stack as
 * [saved RDI] [vector] [error] RIP CS RFLAGS RSP SS.  The per-CPU stack is tiny
 * and the handler may schedule, so the frame moves to the task stack and
 * becomes pt_regs there (error code as orig_rax).  Leaves RDI = pt_regs and
 * RSI = vector, ready for the C handler. */
.macro COPY_FRAME_TO_TASK_STACK
	STUB_FRAME_TO_TASK_STACK
	pushq (%rdi)                     /* the interrupted RDI */
	PUSH_REGS push_rdi=0
	movq (8 + STUB_VECTOR)(%rdi), %rsi
	movq %rsp, %rdi
.endm

/* An exception from kernel code: same stack, same GS; the vector's slot
 * becomes pt_regs->rdi (RDI = vector afterwards).  Only the entry code runs in
 * ring 0 on a user CR3; a fault there is fatal, but reporting it needs kernel
 * memory, so switch if CR3 is a user half. */
.macro SAVE_REGS_FROM_KERNEL mode
	xchgq %rdi, (%rsp)
	PUSH_REGS push_rdi=0
	.if \mode != PTI_OFF
	movq %cr3, %rax
	btq $PT_CR3_USER_NR, %rax
	jnc .Lkernel_cr3_\@
	SWITCH_TO_KERNEL_CR3 \mode, %rax
.Lkernel_cr3_\@:
	.endif
.endm

/* How a paranoid entry decides whether GS already holds the kernel's base.
 * Only the first is sound on every CPU; the others are mistakes a bug= knob
 * selects, so that the checks can be seen failing. */
#define PARANOID_GS_EXACT    0   /* GS.base (MSR) == this CPU's per-CPU page, found by SGDT */
#define PARANOID_GS_SIGN     1   /* GS.base negative: sound only while user mode cannot write GS
				  * (no FSGSBASE), as Linux assumes without it */
#define PARANOID_GS_TRUST_CS 2   /* the interrupted CS was ring 0: wrong between SYSCALL and
				  * swapgs, and between swapgs and SYSRET/IRET */

/* RAX := this CPU's per-CPU page, without GS or any per-CPU memory: the GDT
 * this CPU loaded is the first page of its cpu_entry_area, and the per-CPU
 * page lies PCPU_GDT_DISTANCE above it (percpu.h).  Needs 16 bytes of stack. */
.macro PERCPU_FROM_GDT
	subq $16, %rsp
	sgdt 6(%rsp)                     /* limit at 6, base at 8: the base 8-aligned */
	movq 8(%rsp), %rax
	addq $16, %rsp
	addq $PCPU_GDT_DISTANCE, %rax
.endm

/* Sets EBX = 1 when GS is already the kernel's, else swapgs and EBX = 0.
 * RSP at pt_regs.  Clobbers RAX, RCX, RDX. */
.macro PARANOID_GS policy
	movl $1, %ebx
	.if \policy == PARANOID_GS_TRUST_CS
	testb $SEL_RPL_MASK, PTR_CS(%rsp)
	jz .Lgs_done_\@
	.else
	movl $MSR_GS_BASE, %ecx
	rdmsr
	.if \policy == PARANOID_GS_SIGN
	testl %edx, %edx
	js .Lgs_done_\@                  /* kernel addresses are negative */
	.else
	shlq $32, %rdx
	orq %rax, %rdx                   /* RDX = GS.base */
	PERCPU_FROM_GDT
	cmpq %rax, %rdx
	je .Lgs_done_\@
	.endif
	.endif
	swapgs
	xorl %ebx, %ebx
.Lgs_done_\@:
.endm

/* IST vectors (#DB, NMI, #DF, #MC) can hit anywhere, including the entry code
 * between SYSCALL and swapgs or between swapgs and SYSRET, so like Linux's
 * paranoid_entry they trust neither CS nor GS: GS is decided by what the GS
 * base register holds (`gs` policy above), CR3 is saved and restored (with
 * PCID, keeping the interrupted PCID's TLB entries).  From the stub frame,
 * calls handler(pt_regs, vector) and returns by IRET. */
.macro PARANOID_ENTRY name, mode, handler, gs=PARANOID_GS_EXACT
	.balign 16
	.type \name, @function
\name:
	PARANOID_CALL \mode, \handler, \gs
	addq $8, %rsp
	/* A #DB or #MC from user mode returns to it from here, GS and CR3 the user's again. */
	ESPFIX_IRET \mode, \name\()_espfix_iretq
	.globl \name\()_iretq
\name\()_iretq:
	iretq
	.size \name, . - \name
.endm

/* PARANOID_ENTRY's body: from [vector] [error] on top of a hardware frame,
 * everything up to the IRET, which leaves RSP at the error slot. */
.macro PARANOID_CALL mode, handler, gs
	xchgq %rdi, (%rsp)
	PUSH_REGS push_rdi=0
	movq %rdi, %r13                  /* vector (callee-saved across the C call) */
	movq %cr3, %r14                  /* CR3 to restore */
	.if \mode != PTI_OFF
	movq %r14, %rax
	SWITCH_TO_KERNEL_CR3 \mode, %rax
	.endif
	PARANOID_GS \gs
	movq %rsp, %rdi
	movq %r13, %rsi
	call \handler
	testl %ebx, %ebx
	jnz 2f
	swapgs
2:
	.if \mode == PTI_PCID
	btsq $PT_CR3_NOFLUSH_NR, %r14
	.endif
	.if \mode != PTI_OFF
	movq %r14, %cr3
	.endif
	POP_REGS
.endm

/*
 * NMI, after Linux's nested-NMI logic (entry_64.S), in its own words.  NMIs
 * are blocked from the CPU's delivery until the next IRET -- but that may be
 * the IRET of an exception the NMI handler took (a #DB, a #PF, the #UD the
 * nested-nmi scenario provokes), after which a second NMI lands on the same
 * IST stack and overwrites the first one's hardware frame and everything
 * below it.  So the first NMI keeps its own copies, and a nested one only
 * makes the first repeat its work.  The NMI stack, from its top T:
 *
 *   T-40..T-8    hardware frame (RIP CS RFLAGS RSP SS): rewritten by a nested NMI
 *   T-48         RDX, saved while deciding
 *   T-56         "NMI executing": 1 from the copy to the final IRET
 *   T-96..T-64   the frame the final IRET uses; a nested NMI points it at
 *                the repeat (kernel CS, IF off, RSP = T-136)
 *   T-136..T-104 the outermost frame: the interrupted context, kept for good
 *   below        [vector] [error] pt_regs, C; the error code is
 *                NMI_REPEAT_ASKED in a round a nested NMI asked for
 *
 * A new NMI is nested when "NMI executing" is set, when what it interrupted
 * ran on this NMI stack (the first one's prologue or epilogue), or when it
 * interrupted the repeat's copy, which is about to run the handler anyway
 * (then it only returns).  GS and CR3 are decided by the paranoid body each
 * round, with the interrupted CR3 kept in a register the C handler preserves
 * (R14), as the KAISER CR3 switch of the NMI path must.
 */
#define NMI_FRAME_RIP      (-40)
#define NMI_TMP_RDX        (-48)
#define NMI_EXECUTING      (-56)
#define NMI_IRET_FRAME     (-96)
#define NMI_OUTERMOST      (-136)

.macro NMI_ENTRY name, mode, handler
	.balign 16
	.type \name, @function
\name:
	pushq %rdx                       /* RSP = T-48 */
	cmpq $0, (NMI_EXECUTING - NMI_TMP_RDX)(%rsp)
	jne .Lnmi_nested_\@
	/* What it interrupted ran on this stack: [T - size, T]. */
	leaq -NMI_TMP_RDX(%rsp), %rdx    /* T */
	cmpq %rdx, (8 + IRET_RSP)(%rsp)
	ja .Lnmi_first_\@
	subq $NMI_STACK_SIZE, %rdx
	cmpq %rdx, (8 + IRET_RSP)(%rsp)
	jb .Lnmi_first_\@
.Lnmi_nested_\@:
	/* Interrupted the repeat's copy: the handler runs again anyway. */
	leaq \name\()_repeat(%rip), %rdx
	cmpq %rdx, (8 + IRET_RIP)(%rsp)
	jb .Lnmi_redirect_\@
	leaq \name\()_repeat_end(%rip), %rdx
	cmpq %rdx, (8 + IRET_RIP)(%rsp)
	jb .Lnmi_nested_out_\@
.Lnmi_redirect_\@:
	/* Make the first NMI's final IRET go to the repeat instead. */
	leaq \name\()_repeat(%rip), %rdx
	movq %rdx, (NMI_IRET_FRAME - NMI_TMP_RDX + IRET_RIP)(%rsp)
	movq $GDT_KERNEL_CS, (NMI_IRET_FRAME - NMI_TMP_RDX + IRET_CS)(%rsp)
	movq $RFLAGS_FIXED, (NMI_IRET_FRAME - NMI_TMP_RDX + IRET_RFLAGS)(%rsp)
	leaq (NMI_OUTERMOST - NMI_TMP_RDX)(%rsp), %rdx
	movq %rdx, (NMI_IRET_FRAME - NMI_TMP_RDX + IRET_RSP)(%rsp)
	movq $GDT_KERNEL_SS, (NMI_IRET_FRAME - NMI_TMP_RDX + IRET_SS)(%rsp)
.Lnmi_nested_out_\@:
	popq %rdx
	.globl \name\()_nested_iretq
\name\()_nested_iretq:
	iretq

.Lnmi_first_\@:
	popq %rdx                        /* RSP = T-40 */
	subq $(NMI_FRAME_RIP - NMI_IRET_FRAME), %rsp   /* over the saved RDX, the flag and the IRET frame */
	.rept 5
	pushq (NMI_FRAME_RIP - NMI_OUTERMOST - 8)(%rsp)  /* the hardware frame, SS first, as the outermost */
	.endr
	/* RSP = T-136.  The error code C sees: 0 for a first round. */
	pushq $0
	jmp .Lnmi_copy_\@

	/* Where a nested NMI sends the first one's final IRET, RSP = T-136,
	 * NMIs unblocked: a round C sees with error code NMI_REPEAT_ASKED. */
	.globl \name\()_repeat
\name\()_repeat:
	pushq $NMI_REPEAT_ASKED
.Lnmi_copy_\@:
	/* RSP = T-144.  The IRET frame := the outermost, then "executing". */
	pushq %rdx
	.irp i, 0, 1, 2, 3, 4
	movq (16 + \i * 8)(%rsp), %rdx
	movq %rdx, (16 + NMI_IRET_FRAME - NMI_OUTERMOST + \i * 8)(%rsp)
	.endr
	movq $1, (16 + NMI_EXECUTING - NMI_OUTERMOST)(%rsp)
	popq %rdx
	.globl \name\()_repeat_end
\name\()_repeat_end:
	pushq $VEC_NMI
	PARANOID_CALL \mode, \handler, PARANOID_GS_EXACT
	addq $(8 + NMI_IRET_FRAME - NMI_OUTERMOST), %rsp   /* the error slot and the outermost frame */
	movq $0, (NMI_EXECUTING - NMI_IRET_FRAME)(%rsp)
	/* NMIs stay blocked until the IRET, wherever it runs. */
	ESPFIX_IRET \mode, \name\()_espfix_iretq
	.globl \name\()_iretq
\name\()_iretq:
	iretq                            /* may go to the repeat: a nested NMI said so */
	.size \name, . - \name
.endm

/* The paranoid entries of the bug= knobs that break the GS decision (cmdline.h's
 * enum ebx_bug), for one stub family: bug=db-trust-cs gives #DB alone an entry
 * that trusts CS, bug=paranoid-gs-sign gives every IST vector one that trusts
 * the sign of GS.base, bug=naive-nmi gives NMI the family's plain paranoid
 * entry (`paranoid`) instead of NMI_ENTRY.  \prefix\()_ist_bugs_\tag is their gate targets, a row
 * per knob (ENTRY_IST_BUG_*), a column per IST vector (ENTRY_IST_VECTORS order:
 * #DB NMI #DF #MC), 0 where the knob keeps the family's own. */
.macro PARANOID_BUG_VARIANTS prefix, mode, tag, handler, paranoid
	PARANOID_ENTRY \prefix\()_paranoid_trust_cs_\tag, \mode, \handler, PARANOID_GS_TRUST_CS
	PARANOID_ENTRY \prefix\()_paranoid_gs_sign_\tag, \mode, \handler, PARANOID_GS_SIGN
	.balign 16
	.type \prefix\()_ist_trust_cs_\tag, @function
\prefix\()_ist_trust_cs_\tag:
	pushq $-1
	pushq $VEC_DB
	jmp \prefix\()_paranoid_trust_cs_\tag
	.balign 16
	.type \prefix\()_ist_naive_nmi_\tag, @function
\prefix\()_ist_naive_nmi_\tag:
	pushq $-1
	pushq $VEC_NMI
	jmp \paranoid
	.irp vec, VEC_DB, VEC_NMI, VEC_DF, VEC_MC
	.balign 16
	.type \prefix\()_ist_gs_sign_\tag\()_\vec, @function
\prefix\()_ist_gs_sign_\tag\()_\vec:
	.if VEC_HAS_ERROR(\vec) == 0
	pushq $-1
	.endif
	pushq $\vec
	jmp \prefix\()_paranoid_gs_sign_\tag
	.endr

	.section .rodata
	.balign 8
	.globl \prefix\()_ist_bugs_\tag
\prefix\()_ist_bugs_\tag:
	/* ENTRY_IST_BUG_DB_TRUST_CS */
	.quad \prefix\()_ist_trust_cs_\tag, 0, 0, 0
	/* ENTRY_IST_BUG_GS_SIGN */
	.irp vec, VEC_DB, VEC_NMI, VEC_DF, VEC_MC
	.quad \prefix\()_ist_gs_sign_\tag\()_\vec
	.endr
	/* ENTRY_IST_BUG_NAIVE_NMI */
	.quad 0, \prefix\()_ist_naive_nmi_\tag, 0, 0
	.previous
.endm

#endif
