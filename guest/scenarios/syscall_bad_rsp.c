/* SPDX-License-Identifier: MIT */
/* syscall-bad-rsp (Linux's syscall_arg_fault and the non-canonical RSP of its
 * mov_ss_trap): SYSCALL leaves RSP as user mode had it, and no entry may
 * touch it.  Every ring-3 task makes null syscalls with RSP 0, non-canonical,
 * inside the kernel image and at the top of the address space, and must get
 * its result with RSP unchanged; it passes pointers the kernel must not
 * follow and must get -EFAULT or -EINVAL; odd tasks then push on RSP 0 and
 * must die of that #PF, as a signal would kill them.  Ring-0 applications
 * enter the same way with such a stack pointer: they must die (the push
 * faults, or the entry refuses it), and the kernel must live. */
#include "scenarios/scenario.h"
#include "lib/printf.h"
#include "user/user_hazards.h"

static bool app_died(const struct task *t, char *detail, size_t len)
{
	if (t->state == TASK_KILLED)
		return true;
	scenario_describe_end(t, detail, len);
	return false;
}

static bool task_ok(const struct task *t, char *detail, size_t len)
{
	if (!(t->id & 1))
		return scenario_exited_ok(t, detail, len);
	if (t->state == TASK_KILLED && t->killed_vector == VEC_PF && t->killed_rip == (uint64_t)user_push_rsp_fault)
		return true;
	scenario_describe_end(t, detail, len);
	return false;
}

static enum scenario_outcome judge(const struct boot_options *o, char *detail, size_t len)
{
	unsigned apps = entry_traits_active()->ring0_tasks;

	for (unsigned i = 0; i < task_count(); i++) {
		const struct task *t = task_get(i);
		if (!(i < apps ? app_died(t, detail, len) : task_ok(t, detail, len)))
			return OUTCOME_FAIL;
	}
	ksnprintf(detail, len, "%u tasks (%u ring-0 applications): results with RSP 0, non-canonical and kernel, "
		  "bad pointers refused, killed by their own push", o->tasks, apps);
	return OUTCOME_PASS;
}

const struct scenario scenario_syscall_bad_rsp = { .runs_tasks = true, .judge = judge };
