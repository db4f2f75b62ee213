/* SPDX-License-Identifier: MIT */
/* Which runs a matrix makes: the catalogs, narrowed by the filters. */
#ifndef ENTRYBOX_MATRIX_PLAN_H
#define ENTRYBOX_MATRIX_PLAN_H

#include "matrix/matrix.h"

/* Every model (entry/models.def) and every scenario (scenarios.def) unless
 * the options name some; the defaults for the modes. */
void matrix_plan_defaults(struct matrix_options *o);

/* Parses a comma-separated --models/--scenarios/--pti/--pcid/--vcpus/--engine
 * value into o.  Returns 0 or EBX_STATUS_USAGE after one error line. */
int matrix_plan_models(struct matrix_options *o, char *list);
int matrix_plan_scenarios(struct matrix_options *o, char *list);
int matrix_plan_on_off(const char *flag, bool which[2], char *list);
int matrix_plan_vcpus(struct matrix_options *o, char *list);
int matrix_plan_engines(struct matrix_options *o, char *list);

/* Allocates m->cells in table order: one row per model, pti, pcid, vcpus and
 * engine, the scenarios along the row.  Returns 0 or -1 (out of memory). */
int matrix_plan_build(struct matrix *m);

/* The --extra KEY=VALUE arguments `model` takes (its own key with one of its
 * values: kpti's bug= values are not kpti-cswitch's), at most max; how many. */
size_t matrix_plan_extras(const struct matrix_options *o, const char *model, const char **out, size_t max);
/* Those extras as one label, "key=value key=value" (empty when none). */
void matrix_plan_extras_label(const struct matrix_options *o, const char *model, char *buf, size_t len);
/* 0 when some model takes `arg` (KEY=VALUE), else EBX_STATUS_USAGE after one error line. */
int matrix_plan_check_extra(const char *arg);

/* The scenarios the plan runs, in catalog order (for the table's columns). */
size_t matrix_plan_scenario_list(const struct matrix_options *o, const char **out, size_t max);

#endif
