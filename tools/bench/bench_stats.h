/* SPDX-License-Identifier: MIT */
/* Median and spread of repeated measurements. */
#ifndef ENTRYBOX_BENCH_STATS_H
#define ENTRYBOX_BENCH_STATS_H

#include <stddef.h>

struct bench_stat {
	size_t n;
	double median, min, max;
};

/* Sorts v in place.  n == 0 gives a zero stat. */
struct bench_stat bench_stat_of(double *v, size_t n);

/* (max - min) / median, the spread the report prints; 0 when the median is 0. */
double bench_stat_spread(const struct bench_stat *s);

#endif
