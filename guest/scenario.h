/* SPDX-License-Identifier: MIT */
/* Scenarios (scenarios.def): a ring-3 workload (guest/user/) plus its judge. */
#ifndef ENTRYBOX_SCENARIO_H
#define ENTRYBOX_SCENARIO_H

#include "kernel.h"
#include "cmdline.h"
#include "task.h"

struct scenario {
	bool runs_tasks;
	/* After every task ended: true when the scenario's plan was met; detail
	 * (one line, no quotes or backslashes) says what was seen. */
	bool (*judge)(const struct boot_options *o, char *detail, size_t len);
};

const struct scenario *scenario_get(unsigned index);

/* Shared by judges: "task 1 exited 0x103 (rbx clobbered)" and the like. */
void scenario_describe_end(const struct task *t, char *buf, size_t len);
/* True when every task exited with status 0; otherwise describes the first that did not. */
bool scenario_all_exited_ok(char *detail, size_t len);

#define SCENARIO(id, name, summary) extern const struct scenario scenario_##id;
#include "entrybox/scenarios.def"
#undef SCENARIO

#endif
