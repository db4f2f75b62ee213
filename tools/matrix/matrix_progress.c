/* SPDX-License-Identifier: MIT */
#include "matrix_progress.h"

#include <time.h>
#include <unistd.h>

double matrix_progress_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void matrix_progress_start(struct matrix_progress *p, FILE *out, size_t total)
{
	p->out = out;
	p->live = isatty(fileno(out)) == 1;
	p->total = total;
	p->done = p->failures = 0;
	p->start = matrix_progress_now();
}

/* Runs take about the same time and the slots stay full, so the mean so far
 * is a fair guess for the rest. */
static double eta(const struct matrix_progress *p, double elapsed)
{
	return p->done ? elapsed / (double)p->done * (double)(p->total - p->done) : 0.0;
}

void matrix_progress_cell(struct matrix_progress *p, const struct matrix_cell *c)
{
	p->done++;
	if (c->category == MATRIX_UNEXPECTED)
		p->failures++;
	double elapsed = matrix_progress_now() - p->start;
	if (p->live) {
		fprintf(p->out, "\r\033[K[%zu/%zu] %zu unexpected, ETA %.0f s -- %s %s pti=%s pcid=%s vcpus=%u %s: %s",
			p->done, p->total, p->failures, eta(p, elapsed), matrix_engine_name(c->engine), c->model,
			c->pti ? "on" : "off", c->pcid ? "on" : "off", c->vcpus, c->scenario,
			matrix_category_name(c->category));
	} else {
		fprintf(p->out, "matrix [%zu/%zu] %s %s pti=%s pcid=%s vcpus=%u %s: %s (%.2f s; %zu unexpected, ETA %.0f s)\n",
			p->done, p->total, matrix_engine_name(c->engine), c->model, c->pti ? "on" : "off",
			c->pcid ? "on" : "off", c->vcpus, c->scenario, matrix_category_name(c->category),
			c->wall_seconds, p->failures, eta(p, elapsed));
	}
	fflush(p->out);
}

void matrix_progress_finish(struct matrix_progress *p)
{
	if (p->live && p->done)
		fputc('\n', p->out);
	fflush(p->out);
}
