/* SPDX-License-Identifier: MIT */
/* A trace file (vmm/trace/) read back for drawing: one row of lanes per instruction. */
#ifndef ENTRYBOX_TRACE_MODEL_H
#define ENTRYBOX_TRACE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_MODEL_MAX_STACKS 32u
#define TRACE_MODEL_MAX_STEPS  1000000u

enum pgd_row { PGD_KERNEL, PGD_USER, PGD_SHARED, PGD_OTHER, PGD_ROWS };

struct trace_point {
	uint8_t cpl;
	uint8_t pgd;              /* enum pgd_row */
	uint8_t stack;            /* index into trace_model.stacks */
	bool failed;              /* a rule failed at this instruction */
	bool event;               /* the step was reached by an event (boundary, exception) */
	int vector;               /* exception vector, -1 none */
	unsigned trip;            /* which traced round trip */
	char event_name[24];
	char sym[48];             /* symbol+offset */
	char insn[40];            /* the instruction */
};

/* Where the trace stopped matching its instructions (summary "lost_step"). */
struct trace_lost {
	bool set;
	size_t index;
	char after[48], got[48];
};

struct trace_model {
	struct trace_point *points;
	size_t n;
	char stacks[TRACE_MODEL_MAX_STACKS][32];
	size_t nstacks;
	/* from the summary line, when present */
	bool has_summary;
	char path[24], ended[32];
	double steps_per_second, bare_steps_per_second;
	struct trace_lost lost;
	unsigned ntrips;          /* 1 + the highest trip number seen */
};

extern const char *const pgd_row_names[PGD_ROWS];

/* Reads a trace file.  False with one line in err on unreadable or malformed input. */
bool trace_model_load(const char *path, struct trace_model *m, char *err, size_t errlen);
void trace_model_free(struct trace_model *m);

/* SVG written directly.  False with errno set when the file cannot be written. */
bool trace_svg_write(const struct trace_model *m, const char *path);
/* PNG through gnuplot.  Returns 0 on success, 3 when gnuplot is missing, 1 when it failed. */
int trace_png_write(const struct trace_model *m, const char *path, char *err, size_t errlen);

#endif
