/* SPDX-License-Identifier: MIT */
/* Ring-3 tasks: kernel stack, PGD pair, user stack VMA, and how each ended. */
#ifndef ENTRYBOX_TASK_H
#define ENTRYBOX_TASK_H

#include "lib/kernel.h"
#include "boot/cmdline.h"
#include "entrybox/abi.h"
#include "entry_model.h"

enum task_state { TASK_READY = 1, TASK_EXITED, TASK_KILLED, TASK_SLEEPING };

struct task {
	uint32_t id;
	enum task_state state;
	bool started;            /* has run at least once (PCID freshly in use until then) */
	long exit_status;        /* TASK_EXITED */
	unsigned killed_vector;  /* TASK_KILLED */
	uint64_t killed_rip, killed_cr2, killed_error;
	uint64_t kstack_base, kstack_top, saved_rsp;
	uint64_t kernel_pgd, user_pgd;    /* physical; equal with pti=off */
	uint64_t ustack_lo, ustack_top;   /* the user stack VMA */
	unsigned stack_pages;             /* user stack pages mapped so far */
	unsigned stack_pages_taken;       /* mapped stack pages the VMM took away at an inject point */
	unsigned stack_pages_returned;    /* pages the VMM took with their contents, given back at the fault */
	unsigned regs_checks, regs_bad;   /* regs-roundtrip, seen by the kernel */
	unsigned sleeps, woken;           /* sleep-in-entry: sleeps begun, ended by another task's wake */
	unsigned block_refusals;          /* syscalls whose blocking the entry model refused */
	/* Stack faults a model survived without the usual #PF path (ukl): on the
	 * #DF handler (the #PF frame could not be pushed) or on a #PF IST. */
	unsigned df_stack_fixups, ist_pf_fixups;
	uint64_t fixup_rip, fixup_rsp, fixup_cr2;   /* the last one */
	uint64_t debug_addr[4], debug_dr7;          /* the task's own breakpoints (cpu/debug.h) */
	uint64_t user_fs_base, user_gs_base;        /* what user mode wrote with WRFSBASE/WRGSBASE */
	bool ldt16;                       /* runs with the kernel's LDT (SYS_LDT16, cpu/espfix.h) */
	/* espfix: rounds of IRETs to the 16-bit SS by exit path (ESPFIX_PATH_*),
	 * those that changed ESP[31:16], and the last such: ESP around it, the
	 * CPU, the path (SYS_ESPFIX_SEEN). */
	unsigned espfix_reports[2], espfix_leaks[2];
	unsigned espfix_cpu, espfix_leak_path;
	uint32_t espfix_esp_before, espfix_esp_after;
	uint64_t espfix_kernel_stack;     /* top of the stack that exit IRETs from */
	unsigned scenario;                /* what the task's program is to do (SYS_TASK_INFO) */
	unsigned long iters;
	char name[16];
};

struct task_setup {
	bool pti, pcid;
	unsigned scenario;
	unsigned long iters;
	uint64_t return_to_user;   /* the entry model's IRET path */
	const struct entry_model *model;   /* its task_setup hook runs once the PGDs exist */
	bool dirty_initial_regs;   /* bug=dirty-initial-regs */
};

/* Builds `n` tasks: stacks first (kernel half), then PGDs sharing it. */
void tasks_create(unsigned n, const struct task_setup *setup);
unsigned task_count(void);
struct task *task_get(unsigned id);

/* CR3 to load when switching to t in the kernel (PGD | PCID | NOFLUSH). */
uint64_t task_kernel_cr3(struct task *t, bool pcid);

/* A #PF from user at `addr`: maps a page if it is growth of t's stack VMA. */
bool task_grow_stack(struct task *t, uint64_t addr, uint64_t error);

#endif
