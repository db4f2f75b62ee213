/* SPDX-License-Identifier: MIT */
/* Runs the matrix's cells as child processes of entrybox itself, --jobs at a
 * time, so a run that crashes or hangs takes down only its own cell. */
#ifndef ENTRYBOX_MATRIX_RUNNER_H
#define ENTRYBOX_MATRIX_RUNNER_H

#include "matrix/matrix.h"

#include "cli/selection.h"

#define MATRIX_ARGV_MAX (32 + SELECTION_MAX_EXTRA)

/* A cell's command line: exactly what a user would type for it. */
struct matrix_argv {
	const char *v[MATRIX_ARGV_MAX + 1];
	int n;
	char vcpus[16], timeout[32], iters[32];
};

/* Fills `a` for cell `c` (its JSON goes to `json_path`); the strings it
 * points to live in `a`, `c` and the options. */
void matrix_cell_argv(const struct matrix_options *o, const char *exe, const struct matrix_cell *c,
		      const char *json_path, struct matrix_argv *a);
/* Where cell `index`'s JSON and log go under <out>/runs/. */
void matrix_cell_paths(const struct matrix *m, size_t index, struct matrix_cell *c);
/* Seconds after which the runner kills a cell's run: its own time limit plus a grace. */
double matrix_cell_deadline(const struct matrix_options *o);

/* Called in the parent as each cell's child ends, in completion order. */
typedef void (*matrix_cell_done)(void *ctx, struct matrix_cell *c);

/* Runs every cell of m (json/log files under <out>/runs/).  Returns 0, or
 * EBX_STATUS_ENV after one error line when the runs cannot be started at all. */
int matrix_run_all(struct matrix *m, matrix_cell_done done, void *ctx);

#endif
