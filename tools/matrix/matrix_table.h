/* SPDX-License-Identifier: MIT */
/* The matrix's summary table: rows are models and modes, columns the
 * scenarios and the cost of a syscall round trip. */
#ifndef ENTRYBOX_MATRIX_TABLE_H
#define ENTRYBOX_MATRIX_TABLE_H

#include <stdio.h>

#include "matrix/matrix.h"

/* A cell's word in the table: its category, with "!" when the engines disagree. */
void matrix_table_word(const struct matrix_cell *c, char *buf, size_t len);

/* Prints the table, the totals and one line per unexpected run and per
 * disagreement. */
void matrix_table_print(FILE *out, const struct matrix *m, size_t disagreements);

#endif
