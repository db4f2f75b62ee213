/* SPDX-License-Identifier: MIT */
/* The matrix's plots, drawn by gnuplot as PNG and SVG: the cost of a syscall
 * round trip per model and mode, and the grid of scenario outcomes. */
#ifndef ENTRYBOX_MATRIX_PLOTS_H
#define ENTRYBOX_MATRIX_PLOTS_H

#include "matrix/matrix.h"

/* Writes the data and script under <out>/plots/ and runs gnuplot, which
 * writes <out>/cost.{png,svg} (when any run measured a cost) and
 * <out>/outcomes.{png,svg}.  Returns 0, or -1 after one line on stderr. */
int matrix_plots_draw(const struct matrix *m);

#endif
