/* SPDX-License-Identifier: MIT */
/* What the kernel and its ring-3 programs agree on: syscall numbers, exit
 * codes naming a register, and the register patterns of regs-roundtrip. */
#ifndef ENTRYBOX_USER_ABI_H
#define ENTRYBOX_USER_ABI_H

#define SYS_NULL     0
#define SYS_WRITE    1
#define SYS_YIELD    2
#define SYS_EXIT     3
#define SYS_MEASURE  4
#define SYS_REGS_CHECK 5
#define SYS_SLEEP    6   /* block inside the entry context until woken (sleep-in-entry) */
#define SYS_WAKE     7   /* wake task rdi if it sleeps; returns 1 if it did */
#define SYS_INJECT_POINT 8  /* ask the VMM for a scenario-timed injection (--inject pf-user-stack) */
#define SYS_TASK_INFO 9  /* rdi: TINFO_*; what a task starting with zeroed registers needs to know */
#define SYS_COUNT    10

#define TINFO_ID       0
#define TINFO_SCENARIO 1
#define TINFO_ITERS    2

/* Entry-hazard and preemption scenarios (syscalls/hazard.c), numbered apart from the rest. */
#define SYS_SET_RIP    16  /* rdi: new user RIP; rsi bit 0: RCX too (as a sigreturn restores it) */
#define SYS_SET_SEGS   17  /* rdi: user CS, rsi: user SS; RPL forced to 3 as sigreturn does */
#define SYS_KFLAGS     18  /* returns the kernel's own RFLAGS inside the syscall */
#define SYS_OVERFLOW_ENTRY_STACK 19  /* debug knob: push on this CPU's entry stack into its guard page */
#define SYS_TASK_STAT  20  /* rdi: TSTAT_*; returns the caller's counter */
#define SYS_SET_DEBUGREG 21 /* rdi: 0..3 breakpoint address, 7 DR7 bits; rsi: value (cpu/debug.h) */
#define SYS_COMPAT_CHECK 22 /* from 32-bit code: 0 when pt_regs holds the 32-bit view (COMPAT_*) */
#define SYS_NMI_NEST     23 /* an NMI whose handler provokes a nested NMI (cpu/nmi.h): 0 or NMI_NEST_* */
#define SYS_LDT16        24 /* rdi 1: the caller runs with the kernel's LDT (LDT_USER_SS16), 0: none */
#define SYS_ESPFIX_SEEN  25 /* rdi: ESP before, rsi: ESP after IRETs to the 16-bit SS (espfix), rdx: ESPFIX_PATH_* */
#define ESPFIX_PATH_IST       0   /* single-step #DB: the paranoid exit */
#define ESPFIX_PATH_EXCEPTION 1   /* INT3: the exception exit */
#define SYS_HAZARD_FIRST SYS_SET_RIP
#define SYS_HAZARD_LAST  SYS_ESPFIX_SEEN

/* The one LDT (guest/cpu/espfix.h): a 16-bit writable data segment, DPL 3,
 * based where the tasks' 32-bit stacks are, so SP addresses them. */
#define LDT_USER_SS16    0x7   /* index 0, TI, RPL 3 */

#define NMI_NEST_NOT_SENT    1   /* the local APIC did not take the self-NMI */
#define NMI_NEST_MISSING     2   /* not both NMIs ran their handler */
#define NMI_NEST_OVERLAPPED  3   /* the second handler ran over the first one's stack */
#define NMI_NEST_NOT_NESTED  4   /* the second NMI came only after the first one's IRET */

/* compat-entry: what 32-bit code passes to SYS_COMPAT_CHECK in EDI, ESI and
 * EBX (their upper halves dirty from 64-bit code before the switch), and the
 * kernel's verdicts. */
#define COMPAT_ARG_EDI       0x32
#define COMPAT_ARG_ESI       0x33
#define COMPAT_ARG_EBX       0x34
#define COMPAT_DIRTY_HIGH    0xdead000000000000
#define COMPAT_BAD_SEGMENTS  1   /* CS or SS not the 32-bit user ones */
#define COMPAT_BAD_RIP_RSP   2   /* RIP or RSP beyond 32 bits */
#define COMPAT_BAD_ARGS      3   /* an argument register not zero-extended */
#define COMPAT_BAD_R8_R15    4   /* R8-R15 (not in compatibility mode) not zero */
#define COMPAT_BAD_NUMBER    5   /* orig_rax not the 32-bit EAX */

#define SET_RIP_WITH_RCX 1

#define TSTAT_PREEMPTIONS 0
#define TSTAT_NCPUS_SEEN  1
#define TSTAT_DB_TRAPS    2
#define TSTAT_DB_LAST_RIP 3
#define TSTAT_ONLINE_CPUS 4
#define TSTAT_PREEMPT_REFUSED 5
#define TSTAT_DB_USER_WATCH   6   /* the task's breakpoints matched in user mode */
#define TSTAT_DB_KERNEL_WATCH 7   /* ... matched while the kernel ran for it */
#define TSTAT_DB_KERNEL_RIP   8   /* where the last of those was taken */
#define TSTAT_BP_TRAPS        9   /* int3 from user mode */
#define TSTAT_FSGSBASE        10  /* 1: CR4.FSGSBASE is set (user mode may write its FS/GS bases) */
#define TSTAT_PERCPU          11  /* this CPU's per-CPU page: a kernel address, given out for user-gsbase */
#define TSTAT_TASKS           12  /* how many tasks the run has */
#define TSTAT_PREEMPT_KEEPS_CPU 13 /* 1: a preempted task stays on its CPU (the model's trait) */

#define ENOSYS 38
#define EFAULT 14
#define EINVAL 22
#define EBUSY 16
#define EDEADLK 35   /* the entry model refuses to block where it stands */

/* What the scenarios' programs (user/programs.inc) and their judges agree on. */
#define MEASURED_SYSCALLS  20      /* syscall-loop: task 0's measured null syscalls */
#define REGS_SEEDS         8       /* regs-roundtrip: patterned syscalls per task */
#define GROW_PAGES         8       /* user-pf plan 0, ukl-stack-df: pages a stack grows by */
#define EXIT_NOT_KILLED    0x300   /* user-pf: a faulting instruction let the task continue */
#define EXIT_STACK_BAD     0x400   /* + the first grown page that did not read back */
#define EXIT_NO_SCENARIO   0x500   /* the program has no plan for this scenario */
#define EXIT_SLEEP_REFUSED 0x600   /* sleep-in-entry: the model refused (-EDEADLK) */

/* Exit status of a task that saw a register clobbered: REG_EXIT_BASE + the
 * register's number in ModRM order (rax 0, rcx 1, rdx 2, rbx 3, rsp 4, rbp 5,
 * rsi 6, rdi 7, r8..r15 8..15), REG_EXIT_RFLAGS for RFLAGS. */
#define REG_EXIT_BASE   0x100
#define REG_EXIT_RFLAGS (REG_EXIT_BASE + 16)
#define REG_EXIT_RESULT 0x200   /* a syscall returned a wrong value */

#ifndef __ASSEMBLER__
#include <stdint.h>

/* The scenario index every program starts with: scenarios.def's row. */
enum program_scenario {
#define SCENARIO(id, name, summary) SCN_##id,
#include "entrybox/scenarios.def"
#undef SCENARIO
};

/* regs-roundtrip: the value register `reg` (ModRM number) carries for `seed`.
 * Distinct per register and per seed, never 0. */
static inline __attribute__((always_inline)) uint64_t regs_pattern(uint64_t seed, unsigned reg)
{
	uint64_t x = (seed + 1) * 0x9e3779b97f4a7c15ull;
	return (x ^ ((uint64_t)(reg + 1) * 0x0101010101010101ull)) | 1;
}
#endif

#endif
