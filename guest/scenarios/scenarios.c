/* SPDX-License-Identifier: MIT */
#include "scenarios/scenario.h"
#include "lib/lib.h"
#include "lib/printf.h"
#include "user/user_abi.h"

static const struct scenario *const table[] = {
#define SCENARIO(id, name, summary) &scenario_##id,
#include "entrybox/scenarios.def"
#undef SCENARIO
};

const struct scenario *scenario_get(unsigned index)
{
	return index < ARRAY_SIZE(table) ? table[index] : NULL;
}

const char *scenario_outcome_name(enum scenario_outcome o)
{
	static const char *const names[] = {
		[OUTCOME_PASS] = "pass", [OUTCOME_FAIL] = "fail", [OUTCOME_REFUSED] = "refused",
		[OUTCOME_NOT_APPLICABLE] = "not-applicable", [OUTCOME_DF_CAUGHT] = "df-caught",
		[OUTCOME_UNSUPPORTED] = "unsupported",
	};
	return (unsigned)o < ARRAY_SIZE(names) ? names[o] : "fail";
}

bool scenario_not_applicable(const struct scenario *sc, const struct boot_options *o, const struct entry_traits *t,
			     char *detail, size_t len)
{
	if (sc->needs_ring3 && t->ring0_tasks >= o->tasks) {
		ksnprintf(detail, len, "needs ring-3 tasks; every task is a ring-0 application (the model's ring0_tasks trait)");
		return true;
	}
	if (sc->needs_ring3 && t->ring0_tasks) {
		/* The plan and its judge speak of ring-3 tasks only: an application has no part to play. */
		ksnprintf(detail, len, "needs ring-3 tasks only; %u of %u tasks are ring-0 applications (ukl_tasks=)",
			  t->ring0_tasks, o->tasks);
		return true;
	}
	if (sc->needs_compat && !t->compat_entry) {
		ksnprintf(detail, len, "needs 32-bit tasks, which the model does not return to (its compat_entry trait)");
		return true;
	}
	return false;
}

enum scenario_outcome scenario_expected(const struct scenario *sc, const struct boot_options *o,
					const struct entry_traits *t)
{
	char unused[8];
	if (scenario_not_applicable(sc, o, t, unused, sizeof(unused)))
		return OUTCOME_NOT_APPLICABLE;
	return sc->expect ? sc->expect(o, t) : OUTCOME_PASS;
}

static const char *const reg_names[17] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rflags",
};

void scenario_describe_end(const struct task *t, char *buf, size_t len)
{
	if (t->state == TASK_KILLED) {
		ksnprintf(buf, len, "task %u killed by vector %u at rip 0x%llx", t->id, t->killed_vector,
			  (unsigned long long)t->killed_rip);
	} else if (t->state != TASK_EXITED) {
		ksnprintf(buf, len, "task %u never finished", t->id);
	} else if (t->exit_status >= REG_EXIT_BASE && t->exit_status <= REG_EXIT_RFLAGS) {
		ksnprintf(buf, len, "task %u exited 0x%lx (%s wrong after syscall)", t->id,
			  (unsigned long)t->exit_status, reg_names[t->exit_status - REG_EXIT_BASE]);
	} else {
		ksnprintf(buf, len, "task %u exited 0x%lx", t->id, (unsigned long)t->exit_status);
	}
}

bool scenario_exited_ok(const struct task *t, char *detail, size_t len)
{
	if (t->state == TASK_EXITED && t->exit_status == 0)
		return true;
	scenario_describe_end(t, detail, len);
	return false;
}

bool scenario_exited_ok_from(unsigned first, char *detail, size_t len)
{
	for (unsigned i = first; i < task_count(); i++) {
		if (!scenario_exited_ok(task_get(i), detail, len))
			return false;
	}
	return true;
}

bool scenario_all_exited_ok(char *detail, size_t len)
{
	return scenario_exited_ok_from(0, detail, len);
}
