/* SPDX-License-Identifier: MIT */
/*
 * The xen entry model: Xen-PV-style late entry.  SYSCALL does not reach the
 * kernel directly: it lands on a trap stub that plays the hypervisor.  With
 * hv=shim the stub is an in-guest shim (this file, "xen_shim_*"); with hv=vmm
 * it hands over to our VMM through EBX_PORT_HYPERCALL (abi.h).  Either pushes
 * Xen's bounce frame on the task's kernel stack -- the hardware-style frame
 * (SS, RSP, RFLAGS, CS, RIP) plus RCX and R11 on top -- and enters the
 * kernel's late entry point, which pops RCX/R11 and continues like the native
 * entry after the hardware frame (Linux's xen_entry_SYSCALL_64).  The kernel
 * never returns to user by itself: it builds an iret frame and makes the iret
 * hypercall; the hypervisor validates the frame and irets, or refuses it and
 * the kernel kills the task.  With pti=on the hypervisor part also switches
 * CR3, as Xen's own page-table isolation does for PV guests.
 *
 * Bounce frames on the kernel stack, top first:
 *   syscall:    RCX R11 | RIP CS RFLAGS RSP SS
 *   exception:  RCX R11 | vector error | RIP CS RFLAGS RSP SS
 * Iret hypercall frame at RSP: RAX R11 RCX | RIP CS RFLAGS RSP SS
 */
#include "onstack.h"
#include "xen/xen_abi.h"

/* NT is a legitimate user-mode flag (Linux's syscall_nt selftest leaves it set), as in
 * Xen's own iret hypercall; IOPL, VM, VIF and VIP are not. */
#define RFLAGS_BAD (RFLAGS_IOPL | RFLAGS_VM | RFLAGS_VIF | RFLAGS_VIP)

	.section .entry.text, "ax"

/* ---- the kernel's side: late entry points and the exit -------------------- */

	.balign 16
	.globl xen_entry_SYSCALL_64
	.type xen_entry_SYSCALL_64, @function
xen_entry_SYSCALL_64:
	popq %rcx
	popq %r11
	pushq %rax                       /* orig_rax: from here as after the hardware frame */
	PUSH_REGS rax=$-ENOSYS
	movq %rsp, %rdi
	call xen_syscall_c
	jmp xen_return_to_user
	.size xen_entry_SYSCALL_64, . - xen_entry_SYSCALL_64

	.balign 16
	.type xen_exc_late, @function
xen_exc_late:
	popq %rcx
	popq %r11
	xchgq %rdi, (%rsp)               /* vector slot becomes pt_regs->rdi */
	PUSH_REGS push_rdi=0
	movq %rdi, %rsi
	movq %rsp, %rdi
	call entry_exception_c
	jmp xen_return_to_user
	.size xen_exc_late, . - xen_exc_late

/* RSP = pt_regs on the task stack: restore everything, then the iret
 * hypercall with RAX/R11/RCX on top of pt_regs' hardware part.  The
 * hypercall is an indirect jump so one exit serves hv=shim and hv=vmm. */
	.balign 16
	.globl xen_return_to_user
	.type xen_return_to_user, @function
xen_return_to_user:
	POP_REGS
	addq $8, %rsp                    /* orig_rax: RSP at RIP CS RFLAGS RSP SS */
	pushq %rcx
	pushq %r11
	pushq %rax
	jmp *xen_hypercall_iret(%rip)
	.size xen_return_to_user, . - xen_return_to_user

/* ---- hv=shim: the in-guest hypervisor -------------------------------------- */

.macro XEN_SHIM mode, tag
	.balign 16
	.globl xen_shim_syscall_\tag
	.type xen_shim_syscall_\tag, @function
xen_shim_syscall_\tag:
	SYSCALL_TO_TASK_STACK \mode
	pushq %r11
	pushq %rcx
	jmp xen_entry_SYSCALL_64
	.size xen_shim_syscall_\tag, . - xen_shim_syscall_\tag

/* The iret hypercall: kernel GS and CR3, RSP at the hypercall frame. */
	.balign 16
	.globl xen_shim_iret_\tag
	.type xen_shim_iret_\tag, @function
xen_shim_iret_\tag:
	cmpq $GDT_USER_CS, HC_CS(%rsp)
	jne 1f
	cmpq $GDT_USER_SS, HC_SS(%rsp)
	jne 1f
	movq HC_RIP(%rsp), %rax
	shrq $47, %rax                   /* canonical and in the lower half */
	jnz 1f
	movq HC_RFL(%rsp), %rax
	testq $RFLAGS_BAD, %rax
	jnz 1f
	btq $RFLAGS_FIXED_NR, %rax
	jnc 1f
	/* Valid.  The last pops need a stack the user PGD maps: the entry stack. */
	movq %rsp, %r11
	movq %gs:PCPU_ENTRY_STACK_TOP, %rsp
	pushq HC_SS(%r11)
	pushq HC_RSP(%r11)
	pushq HC_RFL(%r11)
	pushq HC_CS(%r11)
	pushq HC_RIP(%r11)
	pushq HC_RCX(%r11)
	pushq HC_R11(%r11)
	pushq HC_RAX(%r11)
	SWITCH_TO_USER_CR3 \mode, %rax
	popq %rax
	popq %r11
	popq %rcx
	swapgs
	.globl xen_shim_iret_\tag\()_iretq
xen_shim_iret_\tag\()_iretq:
	iretq
1:	movq %rsp, %rdi
	call xen_iret_refused            /* kills the task; does not return */
	ud2
	.size xen_shim_iret_\tag, . - xen_shim_iret_\tag

/* Exceptions: from user, bounce to the late entry; from the kernel, handle
 * in place (the kernel stack is in use, there is nothing to bounce to). */
	.balign 16
	.type xen_shim_exc_\tag, @function
xen_shim_exc_\tag:
	testb $SEL_RPL_MASK, STUB_CS(%rsp)
	jz 2f
	swapgs
	pushq %rdi
	SWITCH_TO_KERNEL_CR3 \mode, %rdi
	STUB_FRAME_TO_TASK_STACK
	pushq (8 + STUB_VECTOR)(%rdi)
	pushq %r11
	pushq %rcx
	movq (%rdi), %rdi
	jmp xen_exc_late
2:
	SAVE_REGS_FROM_KERNEL \mode
	movq %rdi, %rsi
	movq %rsp, %rdi
	call entry_exception_c
	POP_REGS
	addq $8, %rsp
	iretq
	.size xen_shim_exc_\tag, . - xen_shim_exc_\tag

	PARANOID_ENTRY xen_paranoid_\tag, \mode, entry_exception_c
	NMI_ENTRY xen_nmi_\tag, \mode, entry_exception_c
	PARANOID_BUG_VARIANTS xen, \mode, \tag, entry_exception_c, xen_paranoid_\tag
	ONSTACK_VECTORS xen, \tag, xen_shim_exc_\tag, xen_paranoid_\tag, xen_nmi_\tag
.endm

	XEN_SHIM PTI_ON, pti
	XEN_SHIM PTI_OFF, nopti

/* ---- hv=vmm: the same two calls, answered by our VMM (abi.h contract) ------- */

	.balign 16
	.globl xen_vmm_syscall_trap
	.type xen_vmm_syscall_trap, @function
xen_vmm_syscall_trap:
	swapgs
	movq %rax, %gs:PCPU_HC_RAX
	movq %rdx, %gs:PCPU_HC_RDX
	movl $XEN_HC_SYSCALL_BOUNCE, %eax
	movw $XEN_PORT_HYPERCALL, %dx
	outl %eax, %dx
	ud2                              /* the VMM resumes at xen_entry_SYSCALL_64 */
	.size xen_vmm_syscall_trap, . - xen_vmm_syscall_trap

	.balign 16
	.globl xen_vmm_iret
	.type xen_vmm_iret, @function
xen_vmm_iret:
	movq %rdx, %gs:PCPU_HC_RDX
	movl $XEN_HC_IRET, %eax
	movw $XEN_PORT_HYPERCALL, %dx
	outl %eax, %dx
	ud2                              /* the VMM resumes in ring 3 or at xen_vmm_iret_refused */
	.size xen_vmm_iret, . - xen_vmm_iret

	.balign 16
	.globl xen_vmm_iret_refused
	.type xen_vmm_iret_refused, @function
xen_vmm_iret_refused:
	call xen_iret_refused
	ud2
	.size xen_vmm_iret_refused, . - xen_vmm_iret_refused

	.data
	.balign 8
/* The iret hypercall the exit path jumps to, chosen at boot by hv= and pti=. */
	.globl xen_hypercall_iret
xen_hypercall_iret:
	.quad 0
