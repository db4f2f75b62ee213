/* SPDX-License-Identifier: MIT */
/* Runs the matrix's cells as child processes of entrybox itself, --jobs at a
 * time, so a run that crashes or hangs takes down only its own cell. */
#ifndef ENTRYBOX_MATRIX_RUNNER_H
#define ENTRYBOX_MATRIX_RUNNER_H

#include "matrix/matrix.h"

/* Called in the parent as each cell's child ends, in completion order. */
typedef void (*matrix_cell_done)(void *ctx, struct matrix_cell *c);

/* Runs every cell of m (json/log files under <out>/runs/).  Returns 0, or
 * EBX_STATUS_ENV after one error line when the runs cannot be started at all. */
int matrix_run_all(struct matrix *m, matrix_cell_done done, void *ctx);

#endif
