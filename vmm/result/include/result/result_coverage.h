/* SPDX-License-Identifier: MIT */
/*
 * The VMM's checks of its own coverage: each says how often something had to
 * happen for the run's checks to mean anything (the SYSCALLs the guest made,
 * the round trips it marked, the injections it armed) and how often the VMM
 * saw it happen.  A check observed less often than expected is a check that
 * did not run, and fails the run: a run whose breakpoints never fired is not
 * a pass.
 */
#ifndef ENTRYBOX_RESULT_COVERAGE_H
#define ENTRYBOX_RESULT_COVERAGE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include "result/result.h"

/* Records one check (a later one of the same name replaces it).  False when the table is full. */
bool result_coverage_add(struct run_result *r, const char *check, uint64_t expected, uint64_t observed,
			 const char *what);
/* The check of that name, or NULL. */
const struct coverage_check *result_coverage_find(const struct run_result *r, const char *check);
bool result_coverage_ok(const struct run_result *r);
/* "coverage": [{"check", "expected", "observed", "ok", "what"}, ...] */
void result_coverage_json(struct json_object *o, const struct run_result *r);
/* One "coverage" line with every check, then one line per check that did not run. */
void result_coverage_print(FILE *out, const struct run_result *r);

#endif
