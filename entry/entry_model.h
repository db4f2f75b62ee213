/* SPDX-License-Identifier: MIT */
/*
 * An entry model (docs/design.md §5): the code between a ring-3 event (SYSCALL,
 * exception, interrupt) and the kernel's C handlers, and the way back.  One
 * folder per model (entry/<name>/: its assembler stubs and their C side)
 * plus one row in models.def; the kernel picks the row from entry= at boot.
 */
#ifndef ENTRYBOX_ENTRY_MODEL_H
#define ENTRYBOX_ENTRY_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include "entrybox/abi.h"
#include "boot/cmdline.h"
#include "percpu.h"

struct task;         /* guest/sched/task.h */
struct ebx_layout;   /* abi.h */

/* What the command line asked of the model. */
struct entry_mode {
	bool pti, pcid;
	/* Everything else, the model's own options included (its rows in
	 * models.def): read them with ENTRY_OPT(mode->opts, model, key). */
	const struct boot_options *opts;
};

/* A select hook's answer. */
enum entry_select {
	ENTRY_SELECTED = 0,
	/* The model does not implement this mode or option combination: the
	 * run is not applicable (the result says why). */
	ENTRY_REFUSED,
	/* The mode needs what this machine or hypervisor lacks (status 3). */
	ENTRY_UNSUPPORTED,
};

/* How a blocking syscall waits (the kernel's part); returns the syscall's result. */
typedef long (*entry_wait_fn)(void *arg);

/* Where events from user mode (SYSCALL, exceptions, interrupts) land: the
 * stack TSS.RSP0 names and the SYSCALL stub moves to first. */
enum entry_landing {
	/* This CPU's entry (trampoline) stack in the cpu_entry_area: shared by
	 * every task on the CPU, mapped in every page table. */
	ENTRY_LANDS_ON_CPU_ENTRY_STACK = 1,
	/* The running task's kernel stack (not mapped in a user PGD). */
	ENTRY_LANDS_ON_TASK_STACK,
	/* A stack the model publishes itself (its publish hook, with
	 * layout_add_landing_stack()): one per CPU or one per task. */
	ENTRY_LANDS_ON_MODEL_STACK,
};

/* Whether a syscall may block inside its entry context -- on the landing
 * stack and the page table the entry code put it on -- and how the model
 * makes that safe. */
enum entry_block {
	ENTRY_BLOCK_REFUSED = 0,   /* the block hook refuses (-EDEADLK) */
	ENTRY_BLOCK_OWN_STACK,     /* the landing stack is the task's own: nothing to protect */
	ENTRY_BLOCK_MOVES_FRAME,   /* the live frame moves to the task's own stack first */
	ENTRY_BLOCK_PINS_CPU,      /* the task keeps its CPU (and so the shared stack) while it waits */
	ENTRY_BLOCK_UNGUARDED,     /* it blocks on a shared stack as it is: the design's hazard, for the checker */
};

/* How a fault on a ring-0 application's own stack is survived (UKL): the CPU
 * cannot push the #PF frame on the stack that faulted. */
enum entry_app_fault {
	ENTRY_APP_FAULT_NONE = 0,  /* no ring-0 applications */
	ENTRY_APP_FAULT_DF_FIXUP,  /* the #DF handler maps the page and resumes */
	ENTRY_APP_FAULT_IST,       /* #PF has an IST of its own: delivered, handled as usual */
	ENTRY_APP_FAULT_FATAL,     /* nothing: the #DF cannot be delivered either (triple fault) */
};

/*
 * What a model declares about itself (docs/design.md §5).  The model's row
 * gives the defaults (struct entry_model.traits); its select hook may change
 * them for the selected mode (a policy, an option).  The kernel, the
 * scenarios' expectations and -- through the layout -- the VMM's rules read
 * these, never a model's name or its stack kinds.
 */
struct entry_traits {
	enum entry_landing landing;
	/* The C part of entry (the syscall and the handlers of events from user
	 * mode) runs on the landing stack itself; false: on the task's kernel
	 * stack, the landing stack holding a frame only while the stub copies it. */
	bool c_on_landing;
	/* C code of the model runs while CR3 is still a user PGD (before its own
	 * CR3 switch): that code lives in .entry.text and touches nothing the
	 * user PGD does not map. */
	bool c_on_user_cr3;
	enum entry_block block_in_entry;
	/* A timer tick taken in user mode may switch tasks: the interrupt's frame
	 * (and C part) can be left while another task enters on this CPU. */
	bool preempt_from_user;
	/* ... but the preempted task keeps its CPU: no other task runs there
	 * until it is back, and it never moves to another CPU (pervcpu pin). */
	bool preempt_keeps_cpu;
	/* 32-bit tasks: SYSCALL (MSR_CSTAR) and int $0x80 from a compatibility-
	 * mode code segment reach the syscall table with the 32-bit register view
	 * and return to that segment.  false: CSTAR is entry_ignore_sysret and
	 * the model's return path refuses a 32-bit frame. */
	bool compat_entry;
	/* Tasks (lowest ids first) that are ring-0 applications, 0 for none. */
	unsigned ring0_tasks;
	enum entry_app_fault app_fault;
};

/* True when blocking in the entry context is designed to work (not refused, not the hazard). */
static inline bool entry_traits_may_block_in_entry(const struct entry_traits *t)
{
	return t->block_in_entry != ENTRY_BLOCK_REFUSED && t->block_in_entry != ENTRY_BLOCK_UNGUARDED;
}

/* The concrete code a mode selects; stubs exist per mode so that no normal
 * path carries a runtime branch on the mode. */
struct entry_variant {
	uint64_t syscall_entry;     /* MSR_LSTAR */
	uint64_t syscall_return;    /* address of the sysretq of the fast exit path */
	uint64_t app_syscall_entry; /* ring-0 applications (ukl): their syscall's entry and return, else 0 */
	uint64_t app_syscall_return;
	const uint64_t *idt_stubs;  /* IDT_ENTRIES gate targets */
	uint64_t return_to_user;    /* a new task's first switch returns here with RSP at its pt_regs */
	uint64_t syscall32_entry;   /* MSR_CSTAR: SYSCALL from compatibility mode; 0: entry_ignore_sysret */
	/* The model's traits for this mode: its row's, as select() left them. */
	struct entry_traits traits;
};

struct entry_model {
	const char *name;
	/* What the model declares about itself in every mode (select may refine). */
	struct entry_traits traits;
	/* Fills *v for the mode (v->traits starts as .traits); anything but
	 * ENTRY_SELECTED with *why (one line) when the model cannot run it. */
	enum entry_select (*select)(const struct entry_mode *mode, struct entry_variant *v, const char **why);
	/* Called at every context switch: make the entry code find the next
	 * task's kernel stack (and TSS.RSP0 as the model's policy wants). */
	void (*switch_task)(struct percpu *pc, struct x86_tss *tss, uint64_t kstack_top);

	/* Optional hooks (NULL: the model needs nothing there). */
	/* After the CPU's cpu_entry_area exists, before it is activated. */
	void (*cpu_setup)(unsigned cpu, struct percpu *pc, struct x86_tss *tss);
	/* After task t's page tables exist, before any task runs. */
	void (*task_setup)(struct task *t, bool pti);
	/* Adds the model's own stacks (and task facts) to the layout. */
	void (*publish)(struct ebx_layout *l);
	/* A syscall wants to block by calling wait(arg).  in_entry: it asks to
	 * block inside the entry context itself (on the stack and page table
	 * the entry code put it on).  Returns wait's result, or a negative
	 * errno when the model refuses; may instead finish the syscall itself
	 * (rax = wait's result) and never return.  NULL: the syscall runs on
	 * the task's own kernel stack, so ordinary blocking is safe and
	 * blocking in the entry context is refused (see entry_block()). */
	long (*block)(struct ebx_pt_regs *regs, bool in_entry, entry_wait_fn wait, void *arg);
	/* A timer tick from user mode (regs: its frame) is to switch tasks:
	 * switch(arg) does it and returns when the task runs again.  Calls it
	 * where the frame may stay, or moves the frame first (and may then
	 * never return, leaving to user mode from the copy).  NULL: the frame
	 * is on the task's own stack, switch in place. */
	void (*preempt)(struct ebx_pt_regs *regs, void (*switch_fn)(void));
	/* True when an event with this frame interrupted application code that
	 * the kernel must treat as user mode although CS is ring 0 (UKL).
	 * NULL: user mode is CPL 3 and nothing else. */
	bool (*user_context)(const struct ebx_pt_regs *regs);
};

/* The kernel_bug= knobs every model implements: its paranoid (IST) entries
 * decide about GS wrongly (calling.h's PARANOID_BUG_VARIANTS). */
#define ENTRY_IST_VECTORS 4          /* #DB NMI #DF #MC, in this order */
enum entry_ist_bug { ENTRY_IST_BUG_DB_TRUST_CS, ENTRY_IST_BUG_GS_SIGN, ENTRY_IST_BUG_NAIVE_NMI, ENTRY_IST_BUGS };
/* A stub family's gate targets for those knobs, 0 where a knob keeps the family's own. */
typedef uint64_t entry_ist_bug_table[ENTRY_IST_BUGS][ENTRY_IST_VECTORS];

/* v->idt_stubs with the gates the mode's kernel_bug= replaces from the
 * family's table; unchanged for any other kernel_bug.  The result lives until
 * the next call. */
void entry_apply_ist_bug(struct entry_variant *v, const struct entry_mode *mode, const entry_ist_bug_table *table);

/* The trap handlers' test for "the event came from the application": CPL 3,
 * or what the model's user_context hook says (models.c). */
bool entry_user_context(const struct ebx_pt_regs *regs);

/* The kernel's way to block inside a syscall, whatever the model: asks the
 * model's block hook (models.c). */
long entry_block(struct ebx_pt_regs *regs, bool in_entry, entry_wait_fn wait, void *arg);
/* The kernel's way to switch away from a tick taken in user mode, whatever
 * the model: its preempt hook, or switch_fn in place (models.c). */
void entry_preempt(struct ebx_pt_regs *regs, void (*switch_fn)(void));
/* For block hooks that refuse: prints the guest-side report, returns -EDEADLK. */
long entry_block_refused(void);
/* Row `index` of models.def (the same index cmdline_parse returns), NULL past
 * the end, and the model chosen at boot (models.c). */
const struct entry_model *entry_model_get(unsigned index);
/* The model chosen at boot and its traits for the booted mode (set once,
 * after its select hook accepted the mode). */
void entry_model_activate(const struct entry_model *m, const struct entry_traits *t);
const struct entry_model *entry_model_active(void);
const struct entry_traits *entry_traits_active(void);

/* Kernel services the entry code calls, with interrupts off, on the task's
 * kernel stack and the kernel CR3 and GS. */
void syscall_dispatch(struct ebx_pt_regs *regs);
/* The same for a syscall that came by a 32-bit gate (CSTAR, int $0x80). */
void syscall_dispatch_compat(struct ebx_pt_regs *regs);
void trap_dispatch(struct ebx_pt_regs *regs, unsigned vector);
/* The IRET to user faulted in ring 0 and the entry code made regs the user
 * context it was returning to; called before trap_dispatch of that fault. */
void entry_bad_iret_fixed(const struct ebx_pt_regs *regs, unsigned vector);

/* A 32-bit task's registers as the kernel sees them after int $0x80 or a
 * SYSCALL from compatibility mode: the 32-bit halves, zero-extended (the
 * upper halves are whatever 64-bit code left there), R8-R15 zero (they do not
 * exist in compatibility mode: nothing of the kernel's may come back in
 * them), orig_rax = EAX, the syscall number.  compat.c. */
void entry_compat_view(struct ebx_pt_regs *regs);
/* True when SYSRETL may return to regs: as entry_sysret_allowed, for the
 * 32-bit code segment and a 32-bit RIP (compat.c). */
bool entry_sysretl_allowed(const struct ebx_pt_regs *regs);

/* True when SYSRET may return to regs: it restores RIP from RCX and RFLAGS from
 * R11, forces the user selectors, and on Intel raises #GP in ring 0 (on the user
 * RSP) for a non-canonical RCX, so anything else must take IRET. */
bool entry_sysret_allowed(const struct ebx_pt_regs *regs);

#define ENTRY_MODEL(id, name, summary) extern const struct entry_model entry_model_##id;
#include "models.def"
#undef ENTRY_MODEL

#endif
