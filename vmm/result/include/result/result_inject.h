/* SPDX-License-Identifier: MIT */
/* The injection and sweep parts of a run result: JSON, summary lines, status. */
#ifndef ENTRYBOX_RESULT_INJECT_H
#define ENTRYBOX_RESULT_INJECT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include "result/result.h"

/* Adds "explanation", "injections" and (when a sweep ran) "sweep" to o. */
void result_inject_json(struct json_object *o, const struct run_result *r);
/* Summary lines: one per injection, the sweep totals, the triple-fault explanation. */
void result_inject_print(FILE *out, const struct run_result *r);
/* False when an injection was not reached or a sweep point did not survive:
 * an experiment that did not happen, or did not hold, is never a pass. */
bool result_inject_ok(const struct run_result *r);

#endif
