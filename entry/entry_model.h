/* SPDX-License-Identifier: MIT */
/*
 * An entry model (design.md §5): the code between a ring-3 event (SYSCALL,
 * exception, interrupt) and the kernel's C handlers, and the way back.  One
 * source file per model plus one row in models.def; the kernel picks the row
 * from entry= at boot.
 */
#ifndef ENTRYBOX_ENTRY_MODEL_H
#define ENTRYBOX_ENTRY_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include "entrybox/abi.h"
#include "cmdline.h"
#include "percpu.h"

/* What the command line asked of the model. */
struct entry_mode {
	bool pti, pcid;
	enum ebx_bug bug;
};

/* The concrete code a mode selects; stubs exist per mode so that no normal
 * path carries a runtime branch on the mode. */
struct entry_variant {
	uint64_t syscall_entry;     /* MSR_LSTAR */
	uint64_t syscall_return;    /* address of the sysretq of the fast exit path */
	const uint64_t *idt_stubs;  /* 256 gate targets */
	uint64_t return_to_user;    /* a new task's first switch returns here with RSP at its pt_regs */
};

struct entry_model {
	const char *name;
	enum ebx_rsp0_policy rsp0_policy;
	/* Fills *v for the mode; false with *why when the model cannot run it. */
	bool (*select)(const struct entry_mode *mode, struct entry_variant *v, const char **why);
	/* Called at every context switch: make the entry code find the next
	 * task's kernel stack (and TSS.RSP0 as the model's policy wants). */
	void (*switch_task)(struct percpu *pc, struct tss64 *tss, uint64_t kstack_top);
};

/* Kernel services the entry code calls, with interrupts off, on the task's
 * kernel stack and the kernel CR3 and GS. */
void syscall_dispatch(struct ebx_pt_regs *regs);
void trap_dispatch(struct ebx_pt_regs *regs, unsigned vector);

/* True when SYSRET may return to regs: it restores RIP from RCX and RFLAGS from
 * R11, forces the user selectors, and on Intel raises #GP in ring 0 (on the user
 * RSP) for a non-canonical RCX, so anything else must take IRET. */
bool entry_sysret_allowed(const struct ebx_pt_regs *regs);

#define ENTRY_MODEL(id, name, summary) extern const struct entry_model entry_model_##id;
#include "models.def"
#undef ENTRY_MODEL

#endif
