/* SPDX-License-Identifier: MIT */
/*
 * The scenarios' programs as ring-0 UKL applications (entry=ukl):
 * user/programs.inc linked into the kernel, running on their task's own
 * stack with the kernel's GS and CR3, entering the kernel by
 * `pushfq; call *ukl_app_kernel_entry` (the model's entry, e.g.
 * entry/ukl/ukl.S's ukl_entry_SYSCALL_64) where the ring-3 programs use
 * SYSCALL.
 */
#include "ukl/ukl_app.h"
#include "mm/memlayout.h"
#include "user/user_abi.h"
#include "user/user_hazards.h"

uint64_t ukl_app_kernel_entry;

/* ukl_regs.S */
uint64_t ukl_checked_null_syscall(uint64_t iteration);
uint64_t ukl_regs_syscall(const uint64_t vals[16]);
uint64_t ukl_stack_probe(uint64_t pages);
long ukl_call_rsp(uint64_t rsp);

/* The entry returns RAX and clobbers RCX and R11, like SYSCALL; the call
 * writes below RSP, which the kernel's -mno-red-zone makes safe. */
static inline long ukl_call(long nr, long a0, long a1)
{
	long ret;

	__asm__ volatile("pushfq\n\tcall *ukl_app_kernel_entry(%%rip)"
			 : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1) : "rcx", "r11", "memory", "cc");
	return ret;
}

static __attribute__((noreturn)) void ukl_exit(long status)
{
	ukl_call(SYS_EXIT, status, 0);
	for (;;)
		;
}

/* The application's stack grows by faults on the very page RSP is in. */
static __attribute__((noreturn)) void grow_stack(void)
{
	uint64_t bad = ukl_stack_probe(GROW_PAGES);

	ukl_exit(bad ? (long)(EXIT_STACK_BAD + bad) : 0);
}

/* sleep-in-entry, task 0: a plain SYS_SLEEP. */
static void sleep_plain(void)
{
	long r = ukl_call(SYS_SLEEP, 0, 0);

	if (r == -EDEADLK)
		ukl_exit(EXIT_SLEEP_REFUSED);
	if (r)
		ukl_exit(REG_EXIT_RESULT);
}

/* syscall-bad-rsp: the application enters with a stack pointer that is no
 * stack of its own (one of the ring-3 tasks' values, by id): it must die of
 * it and the kernel live. */
static __attribute__((noreturn)) void bad_rsp_call(uint64_t id)
{
	static const uint64_t bad[BAD_RSP_COUNT] = BAD_RSP_VALUES;

	ukl_call_rsp(bad[id % BAD_RSP_COUNT]);
	ukl_exit(HAZ_EXIT_PUSH_SURVIVED);
}

/* preempt: the application spins in its own code until ticks taken there
 * (interrupts on, ring 0, in_user = 1) have switched it out often enough. */
static __attribute__((noreturn)) void preempt_spin(void)
{
	for (long round = 0; round < PREEMPT_MAX_ROUNDS; round++) {
		/* Ring 0 may be emulated (kvm_pvm): far fewer iterations than ring 3's. */
		for (volatile long i = 0; i < PREEMPT_SPIN / 100; i++)
			;
		if (ukl_call(SYS_TASK_STAT, TSTAT_PREEMPTIONS, 0) < PREEMPT_TARGET) {
			if (ukl_call(SYS_TASK_STAT, TSTAT_PREEMPT_REFUSED, 0) >= PREEMPT_TARGET)
				ukl_exit(0);
			continue;
		}
		if (ukl_call(SYS_TASK_STAT, TSTAT_ONLINE_CPUS, 0) < 2 || ukl_call(SYS_TASK_STAT, TSTAT_NCPUS_SEEN, 0) >= 2 ||
		    ukl_call(SYS_TASK_STAT, TSTAT_PREEMPT_KEEPS_CPU, 0))
			ukl_exit(0);
	}
	ukl_exit(HAZ_EXIT_NOT_PREEMPTED);
}

static void other_scenarios(uint64_t id, uint64_t scenario)
{
	if (scenario == SCN_preempt)
		preempt_spin();
	if (scenario == SCN_ukl_stack_df)
		grow_stack();
	if (scenario == SCN_syscall_bad_rsp)
		bad_rsp_call(id);
}

#define PROG_FN
#define PROG_START                       ukl_app_start
#define prog_call(nr, a0, a1)            ukl_call(nr, a0, a1)
#define prog_exit(status)                ukl_exit(status)
#define prog_checked_null_syscall(i)     ukl_checked_null_syscall(i)
#define prog_regs_syscall(vals)          ukl_regs_syscall(vals)
/* Ring 0 may halt: #GP from a non-canonical address instead. */
#define prog_privileged_fault()          (void)(*(volatile uint8_t *)0x8000000000000000ull = 1)
#define prog_grow_stack()                grow_stack()
#define prog_sleep()                     sleep_plain()
#define prog_after_wake(id)              (void)(id)
#define prog_other(id, scenario)         other_scenarios(id, scenario)
#include "user/programs.inc"

/* Where an application's first exit lands, with zeroed registers like a
 * ring-3 task's: it asks for what it is to do, as they do. */
__attribute__((noreturn)) void ukl_app_entry(void)
{
	ukl_app_start((uint64_t)ukl_call(SYS_TASK_INFO, TINFO_ID, 0), (uint64_t)ukl_call(SYS_TASK_INFO, TINFO_SCENARIO, 0),
		      (uint64_t)ukl_call(SYS_TASK_INFO, TINFO_ITERS, 0));
}
