/* SPDX-License-Identifier: MIT */
/* The scenarios' ring-3 programs: programs.inc as SYSCALL programs in
 * .user.text.  Every task starts in user_start. */
#include "user/usys.h"
#include "user/user_hazards.h"
#include "mm/memlayout.h"
#include "entrybox/x86.h"

#define SLEEP_SEED        0x5eed
#define AFTER_WAKE_CALLS  16

/* Plan 0 of user-pf: grow the stack page by page, then read every page back. */
static USER_FN __attribute__((noreturn)) void grow_stack(void)
{
	volatile uint8_t *page = (volatile uint8_t *)((uint64_t)__builtin_frame_address(0) & ~4095ull);

	for (int k = 1; k <= GROW_PAGES; k++)
		page[-k * 4096] = (uint8_t)k;
	for (int k = 1; k <= GROW_PAGES; k++) {
		if (page[-k * 4096] != (uint8_t)k)
			usys_exit(EXIT_STACK_BAD + k);
	}
	/* One more push into a page the VMM may just have taken away: an ordinary
	 * #PF from user mode that stack growth must absorb. */
	user_stack_page_probe();
	usys_exit(0);
}

/* sleep-in-entry, task 0: it sleeps with every register loaded with a
 * pattern, which must all come back. */
static USER_FN void sleep_patterned(void)
{
	uint64_t vals[16];

	for (unsigned r = 0; r < 16; r++)
		vals[r] = regs_pattern(SLEEP_SEED, r);
	vals[0] = SYS_SLEEP;
	uint64_t verdict = user_regs_syscall(vals);
	if (verdict == (uint64_t)-EDEADLK)
		usys_exit(EXIT_SLEEP_REFUSED);
	if (verdict)
		usys_exit((long)verdict);
}

/* sleep-in-entry, every task once task 0 is awake: more checked syscalls. */
static USER_FN void after_wake(uint64_t id)
{
	for (uint64_t i = 0; i < AFTER_WAKE_CALLS; i++) {
		uint64_t code = user_checked_null_syscall(i ^ (id << 40) ^ (1ull << 39));
		if (code)
			usys_exit((long)code);
	}
}

static const char no_scenario[] USER_CONST = "user: unknown scenario\n";

/* The hazard and preemption programs, then a word for a scenario without one. */
static USER_FN void other_scenarios(uint64_t id, uint64_t scenario)
{
	user_hazards(id, scenario);
	usys_write(no_scenario, sizeof(no_scenario) - 1);
}

#define PROG_FN                          USER_FN
#define PROG_START                       user_start
#define prog_call(nr, a0, a1)            usys2(nr, a0, a1)
#define prog_exit(status)                usys_exit(status)
#define prog_checked_null_syscall(i)     user_checked_null_syscall(i)
#define prog_regs_syscall(vals)          user_regs_syscall(vals)
#define prog_privileged_fault()          __asm__ volatile("hlt")   /* privileged in ring 3 */
#define prog_grow_stack()                grow_stack()
#define prog_sleep()                     sleep_patterned()
#define prog_after_wake(id)              after_wake(id)
#define prog_other(id, scenario)         other_scenarios(id, scenario)
#include "user/programs.inc"

/* initial-regs: what user_entry saw at the task's first instruction. */
static USER_FN __attribute__((noreturn)) void initial_regs(uint64_t gpr_or, uint64_t rflags)
{
	if (gpr_or)
		usys_exit(HAZ_EXIT_INITIAL_GPR);
	if (rflags != (RFLAGS_IF | RFLAGS_FIXED))
		usys_exit(HAZ_EXIT_INITIAL_FLAGS);
	usys_exit(0);
}

/* From user_entry (user_regs.S). */
USER_FN __attribute__((noreturn)) void user_main(uint64_t id, uint64_t scenario, uint64_t iters, uint64_t gpr_or,
						 uint64_t rflags);
USER_FN __attribute__((noreturn)) void user_main(uint64_t id, uint64_t scenario, uint64_t iters, uint64_t gpr_or,
						 uint64_t rflags)
{
	if (scenario == SCN_initial_regs)
		initial_regs(gpr_or, rflags);
	user_start(id, scenario, iters);
}
