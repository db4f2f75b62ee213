/* SPDX-License-Identifier: MIT */
/* Judging each cell from its run's exit status and JSON, comparing engines,
 * and writing results.json. */
#ifndef ENTRYBOX_MATRIX_RESULTS_H
#define ENTRYBOX_MATRIX_RESULTS_H

#include "matrix/matrix.h"

/* Sets c->category, c->row and the cost figures from the finished run. */
void matrix_results_judge(struct matrix_cell *c);

/* Marks the cells whose kvm and qemu-tcg runs of the same selection disagree
 * (both ran, categories differ); returns how many selections disagree. */
size_t matrix_results_compare(struct matrix *m);

/* The backend the kvm runs reported, into m->backend ("" when none ran). */
void matrix_results_backend(struct matrix *m);

/* Writes <out>/results.json: an array of the runs' JSON objects.  Returns 0 or -1 (errno). */
int matrix_results_write_json(const struct matrix *m, const char *path);

void matrix_results_free(struct matrix *m);

/* Guest kernel instructions per syscall round trip from a run's "measure"
 * object; false when the run measured nothing. */
bool matrix_measure_insns(struct json_object *row, double *insn_per_rt);

/* VM exits per syscall round trip from two syscall-loop runs of the same
 * selection, `more` with extra_per_task more iterations per task than `base`. */
bool matrix_exits_per_rt(struct json_object *base, struct json_object *more, double extra_per_task,
			 double *exits_per_rt);

/* Fills the grid's exits per round trip from the cost runs (after all ran). */
void matrix_results_costs(struct matrix *m);

/* The last non-empty line of a run's log: why a run that left no JSON ended. */
void matrix_log_last_line(const char *path, char *out, size_t len);

/* Helpers for the other outputs. */
const char *matrix_row_string(const struct matrix_cell *c, const char *key);
/* Whether two runs of the same selection on different engines disagree: both
 * ran and came out differently, or (both under this VMM) reported different
 * rules or a different instruction count per round trip.  `why` says how. */
bool matrix_results_differ(const struct matrix_cell *a, const struct matrix_cell *b, char *why, size_t len);

#endif
