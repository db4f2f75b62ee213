/* SPDX-License-Identifier: MIT */
/* The guest selection shared by every engine: model, modes, counts, scenario
 * and extra KEY=VALUE arguments, validated and turned into the guest command
 * line (docs/design.md §2: everything a run selects travels on the command line). */
#ifndef ENTRYBOX_SELECTION_H
#define ENTRYBOX_SELECTION_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/cli_common.h"
#include "result/result.h"

#define SELECTION_MAX_EXTRA 32

struct selection {
	const char *entry;        /* a name from entry/models.def */
	const char *scenario;     /* a name from guest/scenarios.def */
	bool pti, pcid;
	unsigned long vcpus, tasks, iters;
	const char *extra[SELECTION_MAX_EXTRA];  /* validated KEY=VALUE, in order */
	size_t nextra;
};

#define SELECTION_LONG_OPTIONS \
	{ "entry", required_argument, NULL, OPT_ENTRY }, \
	{ "pti", required_argument, NULL, OPT_PTI }, \
	{ "pcid", required_argument, NULL, OPT_PCID }, \
	{ "vcpus", required_argument, NULL, OPT_VCPUS }, \
	{ "tasks", required_argument, NULL, OPT_TASKS }, \
	{ "scenario", required_argument, NULL, OPT_SCENARIO }, \
	{ "iters", required_argument, NULL, OPT_ITERS }

/* The guest's own defaults, spelt out so every run's cmdline is complete. */
void selection_defaults(struct selection *s);

/* Applies one selection flag: 0 done, EBX_STATUS_USAGE after one error line,
 * 1 when `opt` is not a selection flag. */
int selection_apply(struct selection *s, int opt, const char *arg);

/* Adds a trailing KEY=VALUE guest argument after checking its shape
 * (KEY [a-z0-9_]+, VALUE [A-Za-z0-9_.,:+-]+); the guest judges its meaning.
 * Returns 0 or EBX_STATUS_USAGE after one error line. */
int selection_add_extra(struct selection *s, const char *arg);

bool selection_known_model(const char *name);
bool selection_known_scenario(const char *name);

/* Writes the complete guest command line.  Returns 0, or EBX_STATUS_USAGE
 * after one error line when it does not fit the loader's limit. */
int selection_cmdline(const struct selection *s, char *buf, size_t len);

/* Fills the identity fields of r that are still empty, so a run that died
 * before the guest's result line still says what was selected. */
void selection_fill_result(const struct selection *s, struct run_result *r);

#endif
