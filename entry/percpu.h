/* SPDX-License-Identifier: MIT */
/*
 * The per-CPU page GS points to in the kernel, and the selectors and CR3
 * values the entry code uses: everything it touches before its CR3 switch
 * (with the TSS, entrybox/x86.h's struct x86_tss) lives in the CPU's
 * cpu_entry_area, mapped in every page table.  Offsets are #defines so the
 * assembler uses the same numbers the C structure is checked against.
 */
#ifndef ENTRYBOX_PERCPU_H
#define ENTRYBOX_PERCPU_H

#include "entrybox/x86.h"
#include "pagetables.h"

#define PCPU_SELF              0   /* this page's own address, for C */
#define PCPU_USER_RSP          8   /* user RSP while SYSCALL has no stack */
#define PCPU_TOP_OF_STACK      16  /* current task's kernel stack top */
#define PCPU_ENTRY_STACK_TOP   24  /* top of this CPU's entry stack (= TSS.RSP0 with kpti) */
#define PCPU_CURRENT_TASK      32  /* u32: running task id, PCPU_NO_TASK for the main thread */
#define PCPU_CPU               36  /* u32: CPU index */
#define PCPU_USER_PCID_FLUSH   40  /* u64 bitmap: kernel PCIDs whose user PCID needs a flush */
#define PCPU_KERNEL_CR3        48  /* CR3 the last context switch loaded */
#define PCPU_UKL_IN_USER       56  /* u32: ukl: the running task's in_user (0 kernel, 1 application, 2 entry/exit) */
#define PCPU_UKL_APP_EVENT     60  /* u32: ukl: 1 while C handles an event taken in application code */
#define PCPU_HC_RAX            64  /* xen hv=vmm: RAX/RDX saved across the hypercall OUT (abi.h) */
#define PCPU_HC_RDX            72
#define PCPU_HC_SYSCALL_ENTRY  80  /* xen hv=vmm: where the VMM's syscall bounce enters the kernel */
#define PCPU_HC_IRET_REFUSED   88  /* xen hv=vmm: where the VMM resumes after refusing an iret frame */
#define PCPU_UKL_APP_RSP_LO    96  /* ukl: the lowest RSP the running application may enter with */
#define PCPU_UKL_APP_RSP_HI    104 /* ... and the highest */
#define PCPU_ESPFIX_WADDR      112 /* espfix=on: the ministack frame, writable (direct map, kernel PGD only) */
#define PCPU_ESPFIX_STACK      120 /* espfix=on: the same frame in the read-only espfix area, bits 31:16 zero;
				    * 0 with espfix=off */

#define PCPU_NO_TASK           0xffffffff

/* The per-CPU page lies this far above the CPU's GDT, both in its
 * cpu_entry_area (guest/cpu/cea.h asserts it): code that may not trust GS
 * finds its CPU's page from SGDT alone (calling.h's PERCPU_FROM_GDT). */
#define PCPU_GDT_DISTANCE      0x2000
/* Bytes of each IST stack (the NMI's included: calling.h's NMI_ENTRY). */
#define NMI_STACK_SIZE         0x2000

/* PCPU_UKL_IN_USER values (abi.h's in_user_gva). */
#define UKL_KERNEL   0   /* syscall or trap C code, on the task's kernel stack */
#define UKL_APP      1   /* application code, ring 0 on its own stack */
#define UKL_EDGE     2   /* UKL entry/exit code still on the application stack */

/* Selectors (Linux-compatible, so STAR serves both SYSCALL and SYSRET). */
#define GDT_KERNEL_CS   0x10
#define GDT_KERNEL_SS   0x18
#define GDT_USER32_CS   0x23
#define GDT_USER_SS     0x2b
#define GDT_USER_CS     0x33
#define GDT_TSS         0x40
#define GDT_LDT         0x50    /* the LDT of tasks that asked for one (SYS_LDT16) */
#define GDT_ENTRIES     12      /* 8 descriptors + the 16-byte TSS and LDT descriptors */
#define GDT_LDT_OFFSET  0x800   /* the LDT lives in the GDT's page, mapped in every PGD */

/* CR3 as a KPTI pair uses it (Linux's convention): bit 12 (pagetables.h's
 * PT_CR3_USER_BIT) selects the user half of the PGD pair, bit 11 the user
 * PCID of the kernel PCID in bits 10:0. */
#define CR3_PTI_USER_PCID         0x800
#define CR3_PTI_KERNEL_PCID_MASK  (CR3_PTI_USER_PCID - 1)

#ifndef __ASSEMBLER__
#include <stdint.h>
#include <stddef.h>
#include "entrybox/abi.h"

struct percpu {
	uint64_t self;
	uint64_t user_rsp;
	uint64_t top_of_stack;
	uint64_t entry_stack_top;
	uint32_t current_task;
	uint32_t cpu;
	uint64_t user_pcid_flush;
	uint64_t kernel_cr3;
	uint32_t ukl_in_user;
	uint32_t ukl_app_event;
	uint64_t hc_rax, hc_rdx;
	uint64_t hc_syscall_entry, hc_iret_refused;
	uint64_t ukl_app_rsp_lo, ukl_app_rsp_hi;
	uint64_t espfix_waddr, espfix_stack;
};

_Static_assert(offsetof(struct percpu, self) == PCPU_SELF, "percpu layout");
_Static_assert(offsetof(struct percpu, user_rsp) == PCPU_USER_RSP, "percpu layout");
_Static_assert(offsetof(struct percpu, top_of_stack) == PCPU_TOP_OF_STACK, "percpu layout");
_Static_assert(offsetof(struct percpu, entry_stack_top) == PCPU_ENTRY_STACK_TOP, "percpu layout");
_Static_assert(offsetof(struct percpu, current_task) == PCPU_CURRENT_TASK, "percpu layout");
_Static_assert(offsetof(struct percpu, cpu) == PCPU_CPU, "percpu layout");
_Static_assert(offsetof(struct percpu, user_pcid_flush) == PCPU_USER_PCID_FLUSH, "percpu layout");
_Static_assert(offsetof(struct percpu, kernel_cr3) == PCPU_KERNEL_CR3, "percpu layout");
_Static_assert(offsetof(struct percpu, ukl_in_user) == PCPU_UKL_IN_USER, "percpu layout");
_Static_assert(offsetof(struct percpu, ukl_app_event) == PCPU_UKL_APP_EVENT, "percpu layout");
_Static_assert(offsetof(struct percpu, hc_rax) == PCPU_HC_RAX, "percpu layout");
_Static_assert(offsetof(struct percpu, hc_rdx) == PCPU_HC_RDX, "percpu layout");
_Static_assert(offsetof(struct percpu, hc_syscall_entry) == PCPU_HC_SYSCALL_ENTRY, "percpu layout");
_Static_assert(offsetof(struct percpu, hc_iret_refused) == PCPU_HC_IRET_REFUSED, "percpu layout");
_Static_assert(offsetof(struct percpu, ukl_app_rsp_lo) == PCPU_UKL_APP_RSP_LO, "percpu layout");
_Static_assert(offsetof(struct percpu, ukl_app_rsp_hi) == PCPU_UKL_APP_RSP_HI, "percpu layout");
_Static_assert(offsetof(struct percpu, espfix_waddr) == PCPU_ESPFIX_WADDR, "percpu layout");
_Static_assert(offsetof(struct percpu, espfix_stack) == PCPU_ESPFIX_STACK, "percpu layout");
/* The offsets the VMM reads for hv=vmm (abi.h). */
_Static_assert(PCPU_TOP_OF_STACK == EBX_PCPU_OFF_TOP_OF_STACK, "abi.h per-CPU offsets");
_Static_assert(PCPU_KERNEL_CR3 == EBX_PCPU_OFF_KERNEL_CR3, "abi.h per-CPU offsets");
_Static_assert(PCPU_HC_RAX == EBX_PCPU_OFF_HC_RAX, "abi.h per-CPU offsets");
_Static_assert(PCPU_HC_RDX == EBX_PCPU_OFF_HC_RDX, "abi.h per-CPU offsets");
_Static_assert(PCPU_HC_SYSCALL_ENTRY == EBX_PCPU_OFF_HC_SYSCALL_ENTRY, "abi.h per-CPU offsets");
_Static_assert(PCPU_HC_IRET_REFUSED == EBX_PCPU_OFF_HC_IRET_REFUSED, "abi.h per-CPU offsets");

/* The per-CPU page, addressed through GS (valid only on the kernel GS). */
static inline struct percpu *this_cpu(void)
{
	struct percpu *p;
	__asm__ volatile("movq %%gs:%c1, %0" : "=r"(p) : "i"(PCPU_SELF));
	return p;
}
#endif

#endif
