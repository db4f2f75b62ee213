/* SPDX-License-Identifier: MIT */
/* The ring-3 programs of the scenarios.  Every task starts in user_start. */
#include "user/usys.h"
#include "mm/memlayout.h"
#include "user/user_hazards.h"

enum {
#define SCENARIO(id, name, summary) USER_SCN_##id,
#include "entrybox/scenarios.def"
#undef SCENARIO
};

#define MEASURED_SYSCALLS 20
#define REGS_SEEDS        8
#define PF_GROW_PAGES     8
#define EXIT_NOT_KILLED   0x300   /* a faulting instruction let the task continue */
#define EXIT_SLEEP_REFUSED 0x600  /* sleep-in-entry: the model refused (-EDEADLK) */
#define SLEEP_SEED        0x5eed
#define AFTER_WAKE_CALLS  16

static USER_FN __attribute__((noreturn)) void syscall_loop(uint64_t id, uint64_t iters)
{
	if (id == 0) {
		/* 21 round trips: the 20 below, plus the return half of measure(0)
		 * and the entry half of measure(1). */
		usys_measure(0, 0);
		for (int i = 0; i < MEASURED_SYSCALLS; i++)
			usys_null();
		usys_measure(1, MEASURED_SYSCALLS + 1);
	}
	for (uint64_t i = 0; i < iters; i++) {
		uint64_t code = user_checked_null_syscall(i ^ (id << 40));
		if (code)
			usys_exit((long)code);
		if ((i & 15) == 15)
			usys_yield();
	}
	usys_exit(0);
}

static USER_FN __attribute__((noreturn)) void regs_roundtrip(uint64_t id)
{
	uint64_t vals[16];

	for (uint64_t k = 0; k < REGS_SEEDS; k++) {
		uint64_t seed = id * 1000 + k;
		for (unsigned r = 0; r < 16; r++)
			vals[r] = regs_pattern(seed, r);
		vals[0] = SYS_REGS_CHECK;
		vals[7] = seed;
		uint64_t verdict = user_regs_syscall(vals);
		if (verdict)
			usys_exit((long)verdict);
		usys_yield();
	}
	usys_exit(0);
}

/* Plan 0: grow the stack page by page, then read every page back. */
static USER_FN __attribute__((noreturn)) void grow_stack(void)
{
	volatile uint8_t *page = (volatile uint8_t *)((uint64_t)__builtin_frame_address(0) & ~4095ull);

	for (int k = 1; k <= PF_GROW_PAGES; k++)
		page[-k * 4096] = (uint8_t)k;
	for (int k = 1; k <= PF_GROW_PAGES; k++) {
		if (page[-k * 4096] != (uint8_t)k)
			usys_exit(0x400 + k);
	}
	/* One more push into a page the VMM may just have taken away: an ordinary
	 * #PF from user mode that stack growth must absorb. */
	user_stack_page_probe();
	usys_exit(0);
}

static USER_FN __attribute__((noreturn)) void user_pf(uint64_t id)
{
	uint64_t top = USER_STACK_TOP0 - id * USER_STACK_STRIDE;

	switch (id & 3) {
	case 0:
		grow_stack();
	case 1:
		__asm__ volatile("hlt");   /* privileged: #GP */
		break;
	case 2:
		__asm__ volatile("ud2");   /* #UD */
		break;
	default:
		/* One page below the stack VMA: not stack growth, a bad access. */
		*(volatile uint8_t *)(top - USER_STACK_SIZE - 4096) = 1;
		break;
	}
	usys_exit(EXIT_NOT_KILLED);
}

/* Task 0 sleeps inside the entry context with every register loaded with a
 * pattern, which must all come back; the others meanwhile enter the kernel
 * (on whatever stack the model gives them) and then wake it. */
static USER_FN __attribute__((noreturn)) void sleep_in_entry(uint64_t id, uint64_t iters)
{
	if (id == 0) {
		uint64_t vals[16];

		for (unsigned r = 0; r < 16; r++)
			vals[r] = regs_pattern(SLEEP_SEED, r);
		vals[0] = SYS_SLEEP;
		uint64_t verdict = user_regs_syscall(vals);
		if (verdict == (uint64_t)-EDEADLK)
			usys_exit(EXIT_SLEEP_REFUSED);
		if (verdict)
			usys_exit((long)verdict);
	} else {
		for (uint64_t i = 0; i < iters; i++) {
			uint64_t code = user_checked_null_syscall(i ^ (id << 40));
			if (code)
				usys_exit((long)code);
		}
		usys2(SYS_WAKE, 0, 0);
	}
	for (uint64_t i = 0; i < AFTER_WAKE_CALLS; i++) {
		uint64_t code = user_checked_null_syscall(i ^ (id << 40) ^ (1ull << 39));
		if (code)
			usys_exit((long)code);
	}
	usys_exit(0);
}

static const char hello[] USER_CONST = "user: unknown scenario\n";

USER_FN __attribute__((noreturn)) void user_start(uint64_t id, uint64_t scenario, uint64_t iters);
USER_FN __attribute__((noreturn)) void user_start(uint64_t id, uint64_t scenario, uint64_t iters)
{
	if (scenario == USER_SCN_syscall_loop)
		syscall_loop(id, iters);
	if (scenario == USER_SCN_regs_roundtrip)
		regs_roundtrip(id);
	if (scenario == USER_SCN_user_pf)
		user_pf(id);
	if (scenario == USER_SCN_sleep_in_entry)
		sleep_in_entry(id, iters);
	user_hazards(scenario);
	usys_write(hello, sizeof(hello) - 1);
	usys_exit(0x500);
}
