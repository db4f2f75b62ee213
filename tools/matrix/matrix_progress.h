/* SPDX-License-Identifier: MIT */
/* The matrix's progress: one live line on a terminal, plain lines otherwise. */
#ifndef ENTRYBOX_MATRIX_PROGRESS_H
#define ENTRYBOX_MATRIX_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

#include "matrix/matrix.h"

struct matrix_progress {
	FILE *out;
	bool live;                /* out is a terminal: rewrite one line */
	size_t total, done, failures;
	double start;
};

void matrix_progress_start(struct matrix_progress *p, FILE *out, size_t total);
/* Reports a judged cell. */
void matrix_progress_cell(struct matrix_progress *p, const struct matrix_cell *c);
/* Ends the live line. */
void matrix_progress_finish(struct matrix_progress *p);
double matrix_progress_now(void);

#endif
