/* SPDX-License-Identifier: MIT */
/* Scenarios (scenarios.def): a ring-3 workload (guest/user/) plus its judge. */
#ifndef ENTRYBOX_SCENARIO_H
#define ENTRYBOX_SCENARIO_H

#include "lib/kernel.h"
#include "boot/cmdline.h"
#include "entry_model.h"
#include "sched/task.h"

/* What a run came to; the result line prints it as "outcome" and "expected". */
enum scenario_outcome {
	OUTCOME_PASS = 0,
	OUTCOME_FAIL,
	OUTCOME_REFUSED,        /* the entry model declined what the scenario asked, as designed */
	OUTCOME_NOT_APPLICABLE, /* the scenario means nothing for this model */
	OUTCOME_DF_CAUGHT,      /* a stack overflow became a #DF that the handler reported */
	OUTCOME_UNSUPPORTED,    /* the CPU (or hypervisor) does not deliver what the scenario provokes */
};

struct scenario {
	bool runs_tasks;
	bool uses_timer;   /* every CPU's LAPIC timer ticks while the tasks run */
	/* The plan is a ring-3 program (SYSRET/IRET to user, user-mode flags):
	 * meaningless when any task is a ring-0 UKL application. */
	bool needs_ring3;
	/* The plan runs 32-bit code (any interrupt may return to it): meaningless
	 * for a model without compatibility-mode entries (compat_entry trait). */
	bool needs_compat;
	/* After every task ended: what came of the scenario's plan; detail
	 * (one line, no quotes or backslashes) says what was seen.  A judge
	 * that depends on what the model does reads the same traits. */
	enum scenario_outcome (*judge)(const struct boot_options *o, char *detail, size_t len);
	/* The expectation, from the booted model's traits for this mode
	 * (entry_model.h), never from its name; NULL: pass on every model. */
	enum scenario_outcome (*expect)(const struct boot_options *o, const struct entry_traits *t);
};

const char *scenario_outcome_name(enum scenario_outcome o);
/* What the run expects of scenario `sc` under a model with traits t. */
enum scenario_outcome scenario_expected(const struct scenario *sc, const struct boot_options *o,
					const struct entry_traits *t);
/* True when the scenario cannot mean anything for this selection (then it
 * does not run its tasks, and expects and reports not-applicable). */
bool scenario_not_applicable(const struct scenario *sc, const struct boot_options *o, const struct entry_traits *t,
			     char *detail, size_t len);

const struct scenario *scenario_get(unsigned index);

/* The kernel saw the scenario fail in a way it will not survive to judge
 * (a stack about to be used after it was overwritten): the result line
 * now, with outcome fail and this detail, and the run ends (main.c). */
__noreturn void scenario_failed_now(const char *detail);

/* Shared by judges: "task 1 exited 0x103 (rbx clobbered)" and the like. */
void scenario_describe_end(const struct task *t, char *buf, size_t len);
/* True when t exited with status 0; otherwise describes how it ended. */
bool scenario_exited_ok(const struct task *t, char *detail, size_t len);
/* True when every task (from task `first` on) exited with status 0; otherwise
 * describes the first that did not. */
bool scenario_all_exited_ok(char *detail, size_t len);
bool scenario_exited_ok_from(unsigned first, char *detail, size_t len);

#define SCENARIO(id, name, summary) extern const struct scenario scenario_##id;
#include "entrybox/scenarios.def"
#undef SCENARIO

#endif
