/* SPDX-License-Identifier: MIT */
/*
 * The guest <-> VMM contract (docs/design.md §2-§3).  Included by the freestanding
 * guest and by the hosted VMM, so it uses only fixed-width types and no libc.
 *
 * Every structure here is read by the VMM from guest memory: the VMM must
 * validate every field (magic, version, counts, addresses, string
 * termination) before it uses one.  Layouts are packed by construction
 * (naturally aligned 8-byte fields, explicit padding) so the guest and host
 * compilers agree without attributes.
 */
#ifndef ENTRYBOX_ABI_H
#define ENTRYBOX_ABI_H

#include <stdint.h>

/* ---- hypervisor identification ------------------------------------------------------ */
/* CPUID 0x40000000 returns max leaf in EAX and this 12-byte signature in EBX, ECX, EDX.
 * The guest only issues checkpoints when it sees it. */
#define EBX_CPUID_LEAF          0x40000000u
#define EBX_CPUID_SIG_EBX       0x72746e65u /* "entr" */
#define EBX_CPUID_SIG_ECX       0x786f6279u /* "ybox" */
#define EBX_CPUID_SIG_EDX       0x004d4d56u /* "VMM\0" */

/* ---- I/O ports -------------------------------------------------------------------------- */
#define EBX_PORT_COM1           0x3f8   /* 16550 subset: THR at +0, LSR at +5 */
#define EBX_PORT_DEBUG_EXIT     0xf4    /* isa-debug-exit: v -> exit status (v << 1) | 1 */
/* 32-bit OUT of the guest-physical address of a struct ebx_event (below 4 GiB).
 * Chosen outside every port QEMU's microvm/q35/pc decode, so under QEMU the write is
 * harmless even if the guest forgot to check the CPUID signature. */
#define EBX_PORT_CHECKPOINT     0x0eb0

/* ---- hypercalls (entry=xen hv=vmm) ------------------------------------------------------- *
 * The VMM plays the Xen hypervisor of the xen entry model: it bounces SYSCALL into
 * the guest kernel and performs the kernel's IRET.  A VMM that implements this sets
 * EBX_CPUID_FEAT_HYPERCALL in CPUID EBX_CPUID_FEATURES.EAX; without it the guest
 * refuses hv=vmm (exit EBX_GUEST_EXIT_UNSUPPORTED).
 *
 * Register convention at the 32-bit OUT to EBX_PORT_HYPERCALL: EAX = hypercall
 * number, DX = the port; the guest's own RAX and RDX were saved first at the
 * per-CPU page offsets below (GS.base = the kernel's per-CPU page, a layout
 * cpus[].percpu_gva).  The guest never resumes after the OUT by itself: the VMM
 * sets every register the hypercall names and resumes where it says.  Anything
 * it reads from the guest (GS.base, the per-CPU fields, the frame) is checked
 * first: GS.base equal to the percpu_gva of the exiting vCPU, addresses inside
 * the published stacks / entry text, the exit RIP inside entry text.
 *
 * EBX_HC_SYSCALL_BOUNCE (1), from the LSTAR stub right after a ring-3 SYSCALL
 * and its swapgs: CPL 0, kernel GS, user CR3 (pti=on) or the task's PGD,
 * RSP = user RSP, RCX = user RIP, R11 = user RFLAGS.  The VMM:
 *   1. CR3 := per-CPU kernel_cr3 (EBX_PCPU_OFF_KERNEL_CR3);
 *   2. T := per-CPU top_of_stack (EBX_PCPU_OFF_TOP_OF_STACK; must be the top of
 *      the current task's EBX_STACK_TASK stack) and writes the Xen bounce frame
 *      below it, 8 bytes each, from T-8 down: SS = user_ss, RSP = user RSP,
 *      RFLAGS = R11, CS = user_cs, RIP = RCX, then R11, then RCX;
 *   3. RSP := T - 56; RAX, RDX := the saved values; every other register as is;
 *   4. RIP := per-CPU hc_syscall_entry (EBX_PCPU_OFF_HC_SYSCALL_ENTRY, inside
 *      entry text): the guest's late entry, which pops RCX and R11 and carries
 *      on as the native entry does after the hardware frame.
 * EBX_HC_IRET (2), from the kernel's exit path: kernel CR3 and GS; RSP points at
 * [RAX][R11][RCX][RIP][CS][RFLAGS][RSP][SS] (8 bytes each) on the task's kernel
 * stack; RDX saved in the per-CPU page.  The VMM validates the frame: CS ==
 * user_cs, SS == user_ss, RIP canonical and below 2^47, RFLAGS with bit 1 set
 * and IOPL, VM, VIF, VIP clear (NT is allowed).  Valid: RAX, R11, RCX from the frame, RDX
 * from the per-CPU slot, CR3 := kernel_cr3 | 0x1000 with pti=on, GS.base and
 * KERNEL_GS_BASE swapped, then CS/SS (DPL 3 descriptors), RIP, RFLAGS (IF
 * forced on, RF cleared), RSP from the frame: the task runs in ring 3.  Invalid:
 * no register but RIP := per-CPU hc_iret_refused (EBX_PCPU_OFF_HC_IRET_REFUSED,
 * entry text) and RDI := RSP; the kernel kills the task and runs another.
 */
#define EBX_PORT_HYPERCALL      0x0eb4
#define EBX_CPUID_FEATURES      0x40000001u
#define EBX_CPUID_FEAT_HYPERCALL (1u << 0)
#define EBX_HC_SYSCALL_BOUNCE   1u
#define EBX_HC_IRET             2u
/* Per-CPU page offsets (the guest's entry/percpu.h asserts them). */
#define EBX_PCPU_OFF_TOP_OF_STACK      16
#define EBX_PCPU_OFF_KERNEL_CR3        48
#define EBX_PCPU_OFF_HC_RAX            64
#define EBX_PCPU_OFF_HC_RDX            72
#define EBX_PCPU_OFF_HC_SYSCALL_ENTRY  80
#define EBX_PCPU_OFF_HC_IRET_REFUSED   88

/* Values the guest writes to EBX_PORT_DEBUG_EXIT. */
enum ebx_guest_exit {
	EBX_GUEST_EXIT_PASS        = 0,  /* scenario finished, outcome printed */
	EBX_GUEST_EXIT_FAIL        = 1,  /* scenario finished, outcome is a failure */
	EBX_GUEST_EXIT_BAD_CMDLINE = 2,  /* unknown key or value on the command line */
	EBX_GUEST_EXIT_PANIC       = 3,  /* kernel panic (unexpected exception, assertion) */
	EBX_GUEST_EXIT_UNSUPPORTED = 4,  /* the CPU lacks what the selection needs (e.g. PCID) */
};

/* ---- checkpoint events ------------------------------------------------------------------ */
#define EBX_EVENT_MAGIC         0x45425845u /* "EXBE" */
#define EBX_EVENT_MAX_PAYLOAD   8192u

enum ebx_event_kind {
	EBX_EV_LAYOUT        = 1, /* payload: struct ebx_layout; once at boot, before any task runs */
	EBX_EV_SYSCALL_REGS  = 2, /* payload: struct ebx_ev_syscall_regs; inside a syscall, on the kernel side */
	EBX_EV_MEASURE_BEGIN = 3, /* payload: struct ebx_ev_measure; VMM starts counting instructions and exits */
	EBX_EV_MEASURE_END   = 4, /* payload: struct ebx_ev_measure */
	EBX_EV_INJECT_POINT  = 5, /* payload: struct ebx_ev_inject_point; the scenario asks for an injection now */
	EBX_EV_SWITCH        = 6, /* payload: struct ebx_ev_switch; a task leaves or takes this CPU, right
				     before the stack switch (RSP is the leaving task's own) */
	EBX_EV_CONSOLE       = 7, /* payload: 1..EBX_EVENT_MAX_PAYLOAD console bytes, as COM1 would carry them:
				     KVM completes a `rep outsb` one byte per exit, this is one exit per chunk */
	EBX_EV_MAX
};

struct ebx_event {
	uint32_t magic;      /* EBX_EVENT_MAGIC */
	uint32_t kind;       /* enum ebx_event_kind */
	uint32_t cpu;        /* vCPU index of the writer */
	uint32_t length;     /* payload bytes that follow, <= EBX_EVENT_MAX_PAYLOAD */
	/* payload follows */
};

/* Linux's struct pt_regs order, so results carry over. */
struct ebx_pt_regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi, orig_rax;
	uint64_t rip, cs, rflags, rsp, ss;
};

struct ebx_ev_syscall_regs {
	uint64_t pt_regs_gva;  /* where the entry code saved the user frame */
	uint32_t task;         /* task id */
	uint32_t pad;
};

struct ebx_ev_measure {
	uint64_t iterations;   /* round trips in the measured region (END only; 0 on BEGIN) */
	char name[32];         /* NUL-terminated, e.g. "syscall-null" */
};

/* For what="pf-user-stack" the VMM clears the PTE of the page holding
 * user_rsp - 8 (where the task's next push lands) in the task's page tables;
 * the guest invalidates that address in its TLB after the checkpoint returns,
 * since the VMM cannot run INVLPG inside it.
 *
 * `--inject pf-user-stack@LOC` (and the default point, a task's first syscall
 * entry) needs no checkpoint: the VMM takes the stack page in use at LOC with
 * its contents -- the leaf PTE made not present with its frame and flags
 * kept and PT_TAKEN (bit 9, pagetables.h) set -- and drops every translation
 * KVM built (the guest's TLB included).  The guest's fault on that page
 * gives it back as it was (pt_give_back), as a kernel brings back a page
 * whose PTE it had made not present. */
struct ebx_ev_inject_point {
	uint32_t task;
	uint32_t pad;
	uint64_t user_rsp;     /* the task's stack pointer at the request */
	char what[32];         /* NUL-terminated, e.g. "pf-user-stack" */
};

/* The context-switch checkpoint, twice per switch: when a task leaves its
 * CPU (EBX_SWITCH_OUT, from the leaving task's stack: its live frames are
 * wherever RSP is) and when the next one is switched in.  RESERVED: the CPU
 * runs no other task until the leaving one is back (a model that keeps its
 * frame on a shared stack while it waits, pinning the CPU).  ENDED: the
 * leaving task exited or was killed, so its frames are dead wherever they are. */
#define EBX_SWITCH_OUT          (1u << 0)
#define EBX_SWITCH_RESERVED     (1u << 1)
#define EBX_SWITCH_ENDED        (1u << 2)
#define EBX_SWITCH_FLAGS        (EBX_SWITCH_OUT | EBX_SWITCH_RESERVED | EBX_SWITCH_ENDED)

struct ebx_ev_switch {
	uint32_t task;         /* the task leaving (OUT) or coming in */
	uint32_t flags;        /* EBX_SWITCH_* */
};

/* ---- layout ----------------------------------------------------------------------------- */
#define EBX_LAYOUT_VERSION      2u
#define EBX_MAX_CPUS            8u
#define EBX_MAX_TASKS           16u
#define EBX_MAX_STACKS          96u
#define EBX_NAME_LEN            24u
#define EBX_MODEL_NAME_LEN      32u     /* a model name is at most 31 characters */

/* What a stack is, for names and reports.  The rules never read it: what a
 * stack means to the checker is in its flags (below), which the guest derives
 * from the entry model's declared traits. */
enum ebx_stack_kind {
	EBX_STACK_ENTRY   = 1, /* per-CPU entry (trampoline) stack in the cpu_entry_area */
	EBX_STACK_TASK    = 2, /* a task's kernel stack */
	EBX_STACK_IST     = 3, /* an IST stack; ist_index says which */
	EBX_STACK_USER    = 4, /* a ring-3 task's user stack (its VMA; pages may be absent) */
	EBX_STACK_PTI     = 5, /* per-task PTI stack (pertask model) */
	EBX_STACK_VCPU    = 6, /* per-vCPU entry stack (pervcpu model) */
	EBX_STACK_UKL     = 7, /* a UKL application's own stack */
	EBX_STACK_BOOT    = 8, /* the boot stack of a CPU */
	EBX_STACK_MODEL   = 9, /* any other stack an entry model publishes */
};

enum ebx_owner_kind { EBX_OWNER_CPU = 1, EBX_OWNER_TASK = 2, EBX_OWNER_VCPU = 3 };

/* What a stack means to the checker (struct ebx_stack_desc.flags). */
#define EBX_STACKF_CANARY       (1u << 0) /* the 8 bytes at base hold EBX_STACK_CANARY */
#define EBX_STACKF_KERNEL       (1u << 1) /* kernel code runs on it (not a user or application stack) */
#define EBX_STACKF_USER_MAPPED  (1u << 2) /* the user PGD maps it: usable while CR3 is a user PGD */
#define EBX_STACKF_SHARED       (1u << 3) /* every task entering on its CPU uses it: a task's frame may live
					     on it only while that task runs */
#define EBX_STACKF_LANDING      (1u << 4) /* events from user mode land here: TSS.RSP0 is its top (a CPU's:
					     on that CPU; a task's: while that task runs) */
#define EBX_STACKF_C_ENTRY      (1u << 5) /* the C part of entry runs on it, for a whole syscall or event */
#define EBX_STACKF_APP          (1u << 6) /* a ring-0 application's own stack: kernel mode, user context */
#define EBX_STACKF_ALL          ((1u << 7) - 1)

struct ebx_stack_desc {
	uint64_t base;          /* lowest usable address */
	uint64_t size;          /* bytes, multiple of 4096 */
	uint32_t kind;          /* enum ebx_stack_kind */
	uint32_t owner_kind;    /* enum ebx_owner_kind */
	uint32_t owner_id;      /* cpu index or task id */
	uint16_t guard_below;   /* unmapped pages directly below base */
	uint16_t guard_above;   /* unmapped pages directly above base + size */
	uint32_t ist_index;     /* 1..7 for an IST stack, else 0 */
	uint32_t flags;         /* EBX_STACKF_* */
	char     name[EBX_NAME_LEN]; /* NUL-terminated */
};
#define EBX_STACK_CANARY        0x57ac4ca7a57ac4caull

struct ebx_task_desc {
	uint64_t kernel_pgd;    /* guest-physical, 8 KiB aligned: kernel half of the pair */
	uint64_t user_pgd;      /* guest-physical: kernel_pgd + 4096 with pti=on, == kernel_pgd with pti=off */
	uint32_t id;
	uint32_t ring;          /* 3: ring-3 task, 0: kernel thread or UKL application */
	char     name[EBX_NAME_LEN];
};

struct ebx_cpu_desc {
	uint64_t percpu_gva;    /* GS base while in the kernel (and KERNEL_GS_BASE while in user) */
	uint64_t tss_gva;       /* the TSS this CPU loads with LTR */
	uint64_t gdt_gva;
	uint64_t idt_gva;
	uint64_t current_task_gva; /* address of a uint32_t: id of the task running on this CPU */
	uint32_t apic_id;
	uint32_t pad;
	/* entry=ukl: address of a uint32_t holding the in_user state of the task
	 * running on this CPU (0 elsewhere): 0 = kernel (syscall/trap C code, on
	 * its kernel stack), 1 = application code (ring 0, its own EBX_STACKF_APP
	 * stack), 2 = UKL entry/exit code still on the application stack.
	 * Written on every entry and exit; only the running task can be non-zero,
	 * so one word per CPU serves every task. */
	uint64_t in_user_gva;
};

/* The entry model's declared traits for the booted mode (struct ebx_layout.traits;
 * the guest's struct entry_traits, entry/entry_model.h, says what each means). */
#define EBX_TRAIT_C_ON_LANDING    (1u << 0) /* the C part of entry runs on the landing stack */
#define EBX_TRAIT_C_ON_USER_CR3   (1u << 1) /* C code of the model runs on the user CR3 (in entry text) */
#define EBX_TRAIT_BLOCK_IN_ENTRY  (1u << 2) /* a syscall may block inside its entry context */
#define EBX_TRAIT_PREEMPT_USER    (1u << 3) /* a tick taken in user mode may switch tasks */
#define EBX_TRAIT_RING0_APPS      (1u << 4) /* some tasks are ring-0 applications */
#define EBX_TRAIT_ALL             ((1u << 5) - 1)

struct ebx_layout {
	uint32_t version;       /* EBX_LAYOUT_VERSION */
	uint32_t size;          /* sizeof(struct ebx_layout) as the guest compiled it */
	char     model[EBX_MODEL_NAME_LEN]; /* NUL-terminated entry model name */
	uint32_t pti, pcid;     /* 0/1 */
	uint32_t traits;        /* EBX_TRAIT_* */
	uint32_t ncpus, ntasks, nstacks;
	uint64_t entry_text_start, entry_text_end;   /* [start, end): the only code that may run on a user CR3 */
	uint64_t kernel_text_start, kernel_text_end;
	uint64_t syscall_entry;      /* MSR_LSTAR value the guest programs */
	uint64_t syscall_return;     /* address of the sysretq instruction of the fast exit path */
	/* entry=ukl: where a ring-0 application's syscall enters (it `call`s it)
	 * and the `ret` that returns to the application; 0 in other models. */
	uint64_t app_syscall_entry;
	uint64_t app_syscall_return;
	uint64_t user_cs, user_ss, kernel_cs, kernel_ss;
	uint8_t  ist_of_vector[32];  /* IST index (0 = none) the IDT gives vectors 0..31 */
	struct ebx_cpu_desc   cpus[EBX_MAX_CPUS];
	struct ebx_task_desc  tasks[EBX_MAX_TASKS];
	struct ebx_stack_desc stacks[EBX_MAX_STACKS];
};

/* ---- serial result lines ---------------------------------------------------------------- */
/* Lines that start with this prefix carry exactly one JSON object, e.g.
 *   @entrybox {"event":"result","scenario":"syscall-loop","outcome":"pass","expected":"pass",...}
 * They are the only result channel that every hypervisor (ours, QEMU, libvirt) sees. */
#define EBX_SERIAL_PREFIX       "@entrybox "

#endif
