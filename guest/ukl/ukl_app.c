/* SPDX-License-Identifier: MIT */
/*
 * The scenarios' programs as ring-0 UKL applications (entry=ukl): linked into
 * the kernel, running on their task's own stack with the kernel's GS and CR3,
 * entering the kernel by `pushfq; call ukl_entry_SYSCALL_64` (entry/ukl/ukl.S)
 * where user/user_main.c's programs use SYSCALL.
 */
#include "ukl/ukl_app.h"
#include "mm/memlayout.h"
#include "user/user_abi.h"

enum {
#define SCENARIO(id, name, summary) UKL_SCN_##id,
#include "entrybox/scenarios.def"
#undef SCENARIO
};

#define MEASURED_CALLS   20
#define REGS_SEEDS       8
#define EXIT_NOT_KILLED  0x300
#define EXIT_REFUSED     0x600
#define EXIT_STACK_BAD   0x400

/* ukl_regs.S */
uint64_t ukl_checked_null_syscall(uint64_t iteration);
uint64_t ukl_regs_syscall(const uint64_t vals[16]);
uint64_t ukl_stack_probe(uint64_t pages);

/* The entry returns RAX and clobbers RCX and R11, like SYSCALL; the call
 * writes below RSP, which the kernel's -mno-red-zone makes safe. */
static inline long ukl_call(long nr, long a0, long a1)
{
	long ret;

	__asm__ volatile("pushfq\n\tcall ukl_entry_SYSCALL_64"
			 : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1) : "rcx", "r11", "memory", "cc");
	return ret;
}

static __attribute__((noreturn)) void ukl_exit(long status)
{
	ukl_call(SYS_EXIT, status, 0);
	for (;;)
		;
}

static __attribute__((noreturn)) void syscall_loop(uint64_t id, uint64_t iters)
{
	if (id == 0) {
		ukl_call(SYS_MEASURE, 0, 0);
		for (int i = 0; i < MEASURED_CALLS; i++)
			ukl_call(SYS_NULL, 0, 0);
		ukl_call(SYS_MEASURE, 1, MEASURED_CALLS + 1);
	}
	for (uint64_t i = 0; i < iters; i++) {
		uint64_t code = ukl_checked_null_syscall(i ^ (id << 40));
		if (code)
			ukl_exit((long)code);
		if ((i & 15) == 15)
			ukl_call(SYS_YIELD, 0, 0);
	}
	ukl_exit(0);
}

static __attribute__((noreturn)) void regs_roundtrip(uint64_t id)
{
	uint64_t vals[16];

	for (uint64_t k = 0; k < REGS_SEEDS; k++) {
		uint64_t seed = id * 1000 + k;
		for (unsigned r = 0; r < 16; r++)
			vals[r] = regs_pattern(seed, r);
		vals[0] = SYS_REGS_CHECK;
		vals[7] = seed;
		uint64_t verdict = ukl_regs_syscall(vals);
		if (verdict)
			ukl_exit((long)verdict);
		ukl_call(SYS_YIELD, 0, 0);
	}
	ukl_exit(0);
}

/* The application's stack grows by faults on the very page RSP is in. */
static __attribute__((noreturn)) void grow_stack(void)
{
	uint64_t bad = ukl_stack_probe(UKL_GROW_PAGES);

	ukl_exit(bad ? (long)(EXIT_STACK_BAD + bad) : 0);
}

/* user-pf's plans by id % 4; ring 0 may halt, so plan 1 takes its #GP from
 * a non-canonical address instead of hlt. */
static __attribute__((noreturn)) void user_pf(uint64_t id)
{
	uint64_t top = USER_STACK_TOP0 - id * USER_STACK_STRIDE;

	switch (id & 3) {
	case 0:
		grow_stack();
	case 1:
		*(volatile uint8_t *)0x8000000000000000ull = 1;
		break;
	case 2:
		__asm__ volatile("ud2");
		break;
	default:
		*(volatile uint8_t *)(top - USER_STACK_SIZE - 4096) = 1;
		break;
	}
	ukl_exit(EXIT_NOT_KILLED);
}

static __attribute__((noreturn)) void sleep_in_entry(uint64_t id, uint64_t iters)
{
	if (id == 0) {
		long r = ukl_call(SYS_SLEEP, 0, 0);
		if (r == -EDEADLK)
			ukl_exit(EXIT_REFUSED);
		if (r)
			ukl_exit(REG_EXIT_RESULT);
	} else {
		for (uint64_t i = 0; i < iters; i++) {
			uint64_t code = ukl_checked_null_syscall(i ^ (id << 40));
			if (code)
				ukl_exit((long)code);
		}
		ukl_call(SYS_WAKE, 0, 0);
	}
	ukl_exit(0);
}

__attribute__((noreturn)) void ukl_app_start(uint64_t id, uint64_t scenario, uint64_t iters)
{
	switch (scenario) {
	case UKL_SCN_syscall_loop:
		syscall_loop(id, iters);
	case UKL_SCN_regs_roundtrip:
		regs_roundtrip(id);
	case UKL_SCN_user_pf:
		user_pf(id);
	case UKL_SCN_sleep_in_entry:
		sleep_in_entry(id, iters);
	case UKL_SCN_ukl_stack_df:
		grow_stack();
	default:
		ukl_exit(0x500);
	}
}
