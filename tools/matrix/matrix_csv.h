/* SPDX-License-Identifier: MIT */
/* results.csv: one line per run, for spreadsheets and scripts. */
#ifndef ENTRYBOX_MATRIX_CSV_H
#define ENTRYBOX_MATRIX_CSV_H

#include "matrix/matrix.h"

/* Returns 0 or -1 with errno set. */
int matrix_csv_write(const struct matrix *m, const char *path);

#endif
