/* SPDX-License-Identifier: MIT */
/* One vCPU's state at one point, as the rules see it: plain data, filled by
 * snapshot.h from a live vCPU or by tests from synthetic states. */
#ifndef ENTRYBOX_SNAP_H
#define ENTRYBOX_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What kind of point the snapshot was taken at: most exits show the CPU as it
 * is; at an entry boundary (the first instruction of a syscall or exception entry
 * reached from ring 3) CPL is 0 but CR3 and GS still hold the user-mode values, so
 * rules that judge user mode look at those. */
enum snap_point {
	SNAP_PLAIN = 0,
	SNAP_USER_BOUNDARY,  /* just entered from CPL 3: cr3/gs are the user's */
	SNAP_RETURN_POINT,   /* at the sysretq/iretq that goes back to CPL 3 */
	/* The instruction that raised a kernel-mode exception, as it stood: RIP,
	 * RSP, RFLAGS and CS from the exception frame at the handler's first
	 * instruction, everything else as the handler found it (fault_vector,
	 * fault_error and, for #PF, cr2 say what happened). */
	SNAP_FAULT,
	SNAP_SWITCH,         /* the guest's context-switch checkpoint (rules_switch) */
};

struct vcpu_snap {
	uint32_t cpu;
	enum snap_point point;
	uint64_t rip, rsp, rflags;
	uint64_t gpr[16];         /* rax rcx rdx rbx rsp rbp rsi rdi r8..r15 (ModRM order) */
	uint64_t cr0, cr3, cr4, cr2;
	uint64_t gs_base, kernel_gs_base;
	uint64_t tr_base;
	uint16_t cs_sel, ss_sel;
	uint8_t cpl;
	int fault_vector;         /* SNAP_FAULT: the exception's vector; else -1 */
	uint64_t fault_error;     /* SNAP_FAULT: its error code (0 when it has none) */
	/* RSP as user mode left it at this vCPU's last SYSCALL (when the VMM saw
	 * one): entry code may still run on exactly that value, whatever it is. */
	bool user_rsp_known;
	uint64_t user_rsp;
	/* Reads guest-virtual memory under the current CR3; false when unmapped. */
	bool (*read_virt)(void *ctx, uint64_t cr3, uint64_t gva, void *dst, size_t len);
	void *read_ctx;
};

#endif
