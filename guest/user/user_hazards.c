/* SPDX-License-Identifier: MIT */
/*
 * The ring-3 programs of the entry-hazard and preemption scenarios.  Exit
 * codes name the check that failed; the kernel's judges read its own
 * counters besides (scenarios/<name>.c).
 */
#include <stdbool.h>
#include "user/usys.h"
#include "user/user_hazards.h"
#include "entrybox/x86.h"
#include "percpu.h"
#include "mm/memlayout.h"

USYS_INLINE uint64_t read_flags(void)
{
	uint64_t f;
	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

USYS_INLINE long stat(long which) { return usys2(SYS_TASK_STAT, which, 0); }

/* Returns to user at a non-canonical RIP, with RCX equal to it: only the exit
 * path's canonical check keeps SYSRET from faulting in ring 0. */
static USER_FN __attribute__((noreturn)) void sysret_noncanonical(void)
{
	usys2(SYS_SET_RIP, (long)NONCANONICAL_RIP, SET_RIP_WITH_RCX);
	usys_exit(HAZ_EXIT_SURVIVED);
}

/* SS = the kernel's data segment (RPL forced to 3): IRET faults in ring 0. */
static USER_FN __attribute__((noreturn)) void bad_iret(void)
{
	usys2(SYS_SET_SEGS, GDT_USER_CS, GDT_KERNEL_SS);
	usys_exit(HAZ_EXIT_SURVIVED);
}

static USER_FN __attribute__((noreturn)) void tf_syscall(void)
{
	for (long i = 0; i < TF_SYSCALLS; i++) {
		uint64_t trap_rip = user_tf_syscall();
		if (stat(TSTAT_DB_TRAPS) != i + 1)
			usys_exit(HAZ_EXIT_TF_COUNT + i);
		if ((uint64_t)stat(TSTAT_DB_LAST_RIP) != trap_rip)
			usys_exit(HAZ_EXIT_TF_RIP + i);
		if (read_flags() & RFLAGS_TF)
			usys_exit(HAZ_EXIT_TF_LEFT_SET);
	}
	usys_exit(0);
}

static USER_FN __attribute__((noreturn)) void nt_syscall(void)
{
	uint64_t result = 1;

	if (!(user_nt_syscall(SYS_NULL, 0, &result) & RFLAGS_NT) || result != 0)
		usys_exit(HAZ_EXIT_NT_SYSRET);
	uint64_t after = user_nt_syscall(SYS_KFLAGS, 0, &result);
	if (!(after & RFLAGS_NT))
		usys_exit(HAZ_EXIT_NT_SYSRET);
	if (result & (RFLAGS_NT | RFLAGS_IF | RFLAGS_TF))
		usys_exit(HAZ_EXIT_NT_KERNEL);
	if (!(user_nt_iret() & RFLAGS_NT))
		usys_exit(HAZ_EXIT_NT_IRET);
	if (read_flags() & RFLAGS_NT)
		usys_exit(HAZ_EXIT_NT_LEFT_SET);
	usys_exit(0);
}

static USER_FN __attribute__((noreturn)) void entry_stack_overflow(void)
{
	long r = usys2(SYS_OVERFLOW_ENTRY_STACK, 0, 0);

	usys_exit(r == 1 ? 0 : r == -EBUSY ? HAZ_EXIT_PROBE_REFUSED : HAZ_EXIT_NO_DF);
}

/* mov-ss-trap: a read/write watchpoint on the word MOV SS loads from (a copy
 * of SS on the stack).  MOV SS holds the #DB back for one instruction: after
 * SYSCALL or INT3 it arrives at the entry's first instruction, in ring 0,
 * with the user's GS.  A plain read first shows the CPU delivers watchpoints
 * at all (else the scenario is unsupported here). */
static USER_FN __attribute__((noreturn)) void mov_ss_trap(void)
{
	volatile uint16_t ss_word;
	uint16_t copy;
	const uint64_t dr7 = DR7_L(0) | (3ull << DR7_RW_SHIFT(0)) | (1ull << DR7_LEN_SHIFT(0));

	__asm__ volatile("movw %%ss, %0" : "=m"(ss_word));
	if (usys2(SYS_SET_DEBUGREG, 0, (long)&ss_word) || usys2(SYS_SET_DEBUGREG, 7, (long)dr7))
		usys_exit(HAZ_EXIT_DEBUGREG);
	__asm__ volatile("movw %1, %0" : "=r"(copy) : "m"(ss_word));
	if (stat(TSTAT_DB_USER_WATCH) != 1)
		usys_exit(HAZ_EXIT_NO_WATCH);
	if (user_mov_ss_syscall((const uint16_t *)&ss_word) != 0)
		usys_exit(HAZ_EXIT_MOVSS_SYSCALL);
	if (stat(TSTAT_DB_KERNEL_WATCH) == 0 && stat(TSTAT_DB_USER_WATCH) == 2)
		usys_exit(HAZ_EXIT_NO_DEFER);
	if (stat(TSTAT_DB_KERNEL_WATCH) != 1)
		usys_exit(HAZ_EXIT_MOVSS_SYSCALL);
	user_mov_ss_int3((const uint16_t *)&ss_word);
	if (stat(TSTAT_DB_KERNEL_WATCH) != 2 || stat(TSTAT_BP_TRAPS) != 1)
		usys_exit(HAZ_EXIT_MOVSS_INT3);
	usys2(SYS_SET_DEBUGREG, 7, 0);
	usys_exit(0);
}

static const uint64_t bad_rsp[BAD_RSP_COUNT] USER_CONST = BAD_RSP_VALUES;
static const uint64_t bad_pointers[] USER_CONST = {
	0, 0x8000000000000000ull, 0xffffffff80100000ull, USER_STACK_TOP0 - 0x100000 * 64,
};

/* syscall-bad-rsp: SYSCALL with every bad RSP must come back with its result
 * and RSP as it was (the entry never touches the user stack); pointers the
 * kernel must not follow are refused; odd tasks then push on RSP 0 and die
 * of it, as a signal would kill them. */
static USER_FN __attribute__((noreturn)) void syscall_bad_rsp(uint64_t id)
{
	for (unsigned i = 0; i < BAD_RSP_COUNT; i++) {
		uint64_t after = 1;
		if (user_syscall_rsp(bad_rsp[i], SYS_NULL, &after) != 0 || after != bad_rsp[i])
			usys_exit(HAZ_EXIT_BAD_RSP + i);
	}
	for (unsigned i = 0; i < sizeof(bad_pointers) / sizeof(bad_pointers[0]); i++)
		if (usys2(SYS_WRITE, (long)bad_pointers[i], 8) != -EFAULT)
			usys_exit(HAZ_EXIT_BAD_POINTER + i);
	/* A breakpoint on a kernel address is refused as ptrace refuses it. */
	if (usys2(SYS_SET_DEBUGREG, 0, (long)0xffffffff80100000ull) != -EINVAL)
		usys_exit(HAZ_EXIT_BAD_POINTER + 15);
	if (id & 1) {
		user_push_rsp(0);
		usys_exit(HAZ_EXIT_PUSH_SURVIVED);
	}
	usys_exit(0);
}

USYS_INLINE uint64_t rdgsbase(void)
{
	uint64_t v;
	__asm__ volatile("rdgsbase %0" : "=r"(v));
	return v;
}

USYS_INLINE uint64_t rdfsbase(void)
{
	uint64_t v;
	__asm__ volatile("rdfsbase %0" : "=r"(v));
	return v;
}

USYS_INLINE void wrgsbase(uint64_t v) { __asm__ volatile("wrgsbase %0" : : "r"(v) : "memory"); }
USYS_INLINE void wrfsbase(uint64_t v) { __asm__ volatile("wrfsbase %0" : : "r"(v) : "memory"); }

/* user-gsbase, one value: GS base = gs through syscalls, switches (yield) and
 * a single step from user mode, whose #DB takes the paranoid entry with it. */
static USER_FN void gsbase_round(unsigned k, uint64_t gs)
{
	wrgsbase(gs);
	for (unsigned i = 0; i < GSBASE_SYSCALLS; i++) {
		if (usys_null() != 0 || rdgsbase() != gs)
			usys_exit(HAZ_EXIT_GSBASE_LOST + 2 * k);
		if (rdfsbase() != FSBASE_VALUE)
			usys_exit(HAZ_EXIT_FSBASE_LOST + 2 * k);
		if (i & 1)
			usys_yield();
	}
	long steps = stat(TSTAT_DB_TRAPS);
	user_single_step();
	if (stat(TSTAT_DB_TRAPS) != steps + 1 || rdgsbase() != gs)
		usys_exit(HAZ_EXIT_GSBASE_STEP + k);
}

/* user-gsbase (Linux's fsgsbase and fsgsbase_restore): with CR4.FSGSBASE the
 * task writes GS base values a paranoid entry must not misjudge: one that
 * looks like a kernel address (negative) and this CPU's own per-CPU page. */
static USER_FN __attribute__((noreturn)) void user_gsbase(void)
{
	if (stat(TSTAT_FSGSBASE) != 1)
		usys_exit(HAZ_EXIT_NO_FSGSBASE);
	wrfsbase(FSBASE_VALUE);
	gsbase_round(0, GSBASE_KERNEL_LOOKING);
	gsbase_round(1, (uint64_t)stat(TSTAT_PERCPU));
	wrgsbase(0);
	wrfsbase(0);
	usys_exit(0);
}

USYS_INLINE uint64_t compat_stack(uint64_t id)
{
	return USER_COMPAT_STACK0 + id * USER_COMPAT_STRIDE + USER_COMPAT_STACK_SIZE;
}

/* compat-entry: SYS_COMPAT_CHECK from 32-bit code, by SYSCALL and by int $0x80. */
static USER_FN __attribute__((noreturn)) void compat_entry(uint64_t id)
{
	uint64_t r = user_compat_run((uint64_t)user_compat_syscall32, compat_stack(id));
	bool enosys = r == COMPAT_ENOSYS_RESULT;

	if (r && !enosys)
		usys_exit((long)(HAZ_EXIT_COMPAT_SYSCALL | r));
	r = user_compat_run((uint64_t)user_compat_int80, compat_stack(id));
	if (r)
		usys_exit((long)(HAZ_EXIT_COMPAT_INT80 | r));
	usys_exit(enosys ? HAZ_EXIT_COMPAT_ENOSYS : 0);
}

/* sysret-ss-attrs (Linux's sysret_ss_attrs): syscalls that switch tasks
 * (yield), each followed by a push in compatibility mode, while others spin
 * in user mode and the timer enters the kernel over them (SS = 0 in the
 * kernel).  The last task dies of a #UD early, which switches away from an
 * exception entry (SS = 0 again) on every model. */
static USER_FN __attribute__((noreturn)) void sysret_ss_attrs(uint64_t id)
{
	for (long round = 0; round < SS_ROUNDS; round++) {
		usys_yield();
		if (user_compat_run((uint64_t)user_compat_test_ss, compat_stack(id)) != 0)
			usys_exit(HAZ_EXIT_TEST_SS | round);
		/* Early, while the others still have syscalls to return from. */
		if (round == 1 && id + 1 == (uint64_t)stat(TSTAT_TASKS))
			__asm__ volatile("ud2");
		user_spin(PREEMPT_SPIN / 8);
	}
	usys_exit(0);
}

/* espfix: with the LDT loaded, 32-bit code traps with SS = the 16-bit LDT
 * segment and reports ESP before and after the IRET back; the kernel judges
 * (scenarios/espfix.c). */
static USER_FN __attribute__((noreturn)) void espfix(uint64_t id)
{
	if (usys2(SYS_LDT16, 1, 0) != 0)
		usys_exit(HAZ_EXIT_NO_LDT);
	for (int i = 0; i < ESPFIX_ROUNDS; i++) {
		/* user_compat_run leaves the routine its stack top less the saved RSP. */
		uint64_t before = compat_stack(id) - 8;
		uint64_t after = user_compat_run((uint64_t)user_compat_espfix, compat_stack(id));
		if (usys3(SYS_ESPFIX_SEEN, (long)(uint32_t)before, (long)after, ESPFIX_PATH_IST) != 0)
			usys_exit(HAZ_EXIT_ESPFIX_REPORT);
		after = user_compat_run((uint64_t)user_compat_espfix_int3, compat_stack(id));
		if (usys3(SYS_ESPFIX_SEEN, (long)(uint32_t)before, (long)after, ESPFIX_PATH_EXCEPTION) != 0)
			usys_exit(HAZ_EXIT_ESPFIX_REPORT);
		usys_yield();
	}
	usys2(SYS_LDT16, 0, 0);
	usys_exit(0);
}

/* nested-nmi: a few probes, each an NMI whose handler lets a second one nest. */
static USER_FN __attribute__((noreturn)) void nested_nmi(void)
{
	for (int i = 0; i < NMI_NEST_ROUNDS; i++) {
		long r = usys2(SYS_NMI_NEST, 0, 0);
		if (r)
			usys_exit(HAZ_EXIT_NMI_NEST + r);
	}
	usys_exit(0);
}

/* Spin in user mode, asking the kernel between rounds whether the ticks
 * have done their work yet. */
static USER_FN __attribute__((noreturn)) void preempt(void)
{
	for (long round = 0; round < PREEMPT_MAX_ROUNDS; round++) {
		user_spin(PREEMPT_SPIN);
		if (stat(TSTAT_PREEMPTIONS) < PREEMPT_TARGET) {
			/* The model keeps the CPU: nothing more to wait for. */
			if (stat(TSTAT_PREEMPT_REFUSED) >= PREEMPT_TARGET)
				usys_exit(0);
			continue;
		}
		if (stat(TSTAT_ONLINE_CPUS) < 2 || stat(TSTAT_NCPUS_SEEN) >= 2 || stat(TSTAT_PREEMPT_KEEPS_CPU))
			usys_exit(0);
	}
	usys_exit(HAZ_EXIT_NOT_PREEMPTED);
}

USER_FN void user_hazards(uint64_t id, uint64_t scenario)
{
	if (scenario == SCN_syscall_bad_rsp)
		syscall_bad_rsp(id);
	if (scenario == SCN_compat_entry)
		compat_entry(id);
	if (scenario == SCN_nested_nmi)
		nested_nmi();
	if (scenario == SCN_espfix)
		espfix(id);
	if (scenario == SCN_sysret_ss_attrs)
		sysret_ss_attrs(id);
	if (scenario == SCN_sysret_noncanonical)
		sysret_noncanonical();
	if (scenario == SCN_bad_iret)
		bad_iret();
	if (scenario == SCN_tf_syscall)
		tf_syscall();
	if (scenario == SCN_nt_syscall)
		nt_syscall();
	if (scenario == SCN_entry_stack_overflow)
		entry_stack_overflow();
	if (scenario == SCN_preempt)
		preempt();
	if (scenario == SCN_mov_ss_trap)
		mov_ss_trap();
	if (scenario == SCN_user_gsbase)
		user_gsbase();
}
