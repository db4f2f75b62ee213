/* SPDX-License-Identifier: MIT */
/* The figures of entrybox bench, each with its reference and ratio: printed
 * as a table and written as JSON. */
#ifndef ENTRYBOX_BENCH_REPORT_H
#define ENTRYBOX_BENCH_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "bench_stats.h"

struct bench_figure {
	char name[48];            /* JSON key, e.g. "bare_exit_ns" or "kpti pti=on pcid=off" */
	const char *what;         /* one line for the table */
	const char *unit;
	struct bench_stat stat;
	bool available;           /* measured; otherwise note says why not */
	char ref[48];             /* the figure this one is divided by ("" for itself) */
	double ratio;             /* stat.median / ref's median */
	double goal;              /* > 0: the ratio the project aims to stay at or below */
	char note[200];
};

#define BENCH_MAX_FIGURES 64

struct bench_report {
	struct bench_figure refs[BENCH_MAX_FIGURES];
	size_t nrefs;
	/* per model and mode: instructions and exits per syscall round trip */
	struct bench_figure insns[BENCH_MAX_FIGURES], exits[BENCH_MAX_FIGURES];
	size_t nmodels;
	char backend[8];
	char cycles_note[200];
	unsigned repetitions;
};

/* Fills every ratio from the figures' refs (after all are measured). */
void bench_report_ratios(struct bench_report *r);
void bench_report_print(FILE *out, const struct bench_report *r);
/* Returns 0 or -1 with errno set. */
int bench_report_write_json(const struct bench_report *r, const char *path);

#endif
