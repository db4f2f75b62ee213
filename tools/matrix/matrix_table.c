/* SPDX-License-Identifier: MIT */
#include "matrix_table.h"

#include <string.h>

#include "matrix/matrix_results.h"
#include "matrix_plan.h"

#define MIN_COLUMN 11

void matrix_table_word(const struct matrix_cell *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", matrix_category_name(c->category), c->disagrees ? "!" : "");
}

static int column_width(const char *scenario)
{
	int n = (int)strlen(scenario);
	return n > MIN_COLUMN ? n : MIN_COLUMN;
}

static int model_width(const struct matrix *m)
{
	int w = 5;
	for (size_t i = 0; i < m->ncells; i++) {
		int n = (int)strlen(m->cells[i].model);
		w = n > w ? n : w;
	}
	return w;
}

/* The options column, when the matrix has --extra options: the ones a row's
 * model took, comma-separated ("-" for none), so a row reads as one run. */
static void options_label(const struct matrix *m, const char *model, char *buf, size_t len)
{
	matrix_plan_extras_label(&m->opt, model, buf, len);
	for (char *p = buf; *p; p++)
		if (*p == ' ')
			*p = ',';
	if (!buf[0])
		snprintf(buf, len, "-");
}

static int options_width(const struct matrix *m)
{
	int w = 7;
	if (m->opt.nextra == 0)
		return 0;
	for (size_t i = 0; i < m->ncells; i++) {
		char label[200];
		options_label(m, m->cells[i].model, label, sizeof(label));
		int n = (int)strlen(label);
		w = n > w ? n : w;
	}
	return w;
}

static void header(FILE *out, const struct matrix *m, const char **scen, size_t nscen, int mw)
{
	int ow = options_width(m);
	fprintf(out, "%-*s", mw, "model");
	if (ow)
		fprintf(out, " %-*s", ow, "options");
	fprintf(out, " %-4s %-4s %-5s %-8s", "pti", "pcid", "vcpus", "engine");
	for (size_t s = 0; s < nscen; s++)
		fprintf(out, " %-*s", column_width(scen[s]), scen[s]);
	fprintf(out, " %9s %8s\n", "insn/rt", "exits/rt");
	(void)m;
}

/* The row's syscall round-trip cost, from its syscall-loop cell. */
static const struct matrix_cell *cost_cell(const struct matrix_cell *row, size_t nscen)
{
	for (size_t s = 0; s < nscen; s++)
		if (row[s].has_cost)
			return &row[s];
	return NULL;
}

static void row_line(FILE *out, const struct matrix *m, const struct matrix_cell *row, const char **scen,
		     size_t nscen, int mw)
{
	const struct matrix_cell *c0 = &row[0];
	int ow = options_width(m);
	fprintf(out, "%-*s", mw, c0->model);
	if (ow) {
		char label[200];
		options_label(m, c0->model, label, sizeof(label));
		fprintf(out, " %-*s", ow, label);
	}
	fprintf(out, " %-4s %-4s %-5u %-8s", c0->pti ? "on" : "off", c0->pcid ? "on" : "off", c0->vcpus,
		matrix_engine_name(c0->engine));
	for (size_t s = 0; s < nscen; s++) {
		char word[32];
		matrix_table_word(&row[s], word, sizeof(word));
		fprintf(out, " %-*s", column_width(scen[s]), word);
	}
	const struct matrix_cell *cost = cost_cell(row, nscen);
	if (cost && cost->exits_per_rt >= 0)
		fprintf(out, " %9.1f %8.2f\n", cost->instructions_per_rt, cost->exits_per_rt);
	else if (cost)
		fprintf(out, " %9.1f %8s\n", cost->instructions_per_rt, "-");
	else
		fprintf(out, " %9s %8s\n", "-", "-");
}

static bool row_unsupported(const struct matrix_cell *row, size_t nscen)
{
	for (size_t s = 0; s < nscen; s++)
		if (row[s].category != MATRIX_UNSUPPORTED)
			return false;
	return true;
}

static void describe(FILE *out, const char *tag, const struct matrix_cell *c)
{
	fprintf(out, "%s %s %s pti=%s pcid=%s vcpus=%u %s", tag, matrix_engine_name(c->engine), c->model,
		c->pti ? "on" : "off", c->pcid ? "on" : "off", c->vcpus, c->scenario);
}

static void first_violation(const struct matrix_cell *c, char *buf, size_t len)
{
	struct json_object *vs, *v, *rule, *sym;
	buf[0] = '\0';
	if (!json_object_object_get_ex(c->row, "violations", &vs) || !json_object_is_type(vs, json_type_array) ||
	    json_object_array_length(vs) == 0)
		return;
	v = json_object_array_get_idx(vs, 0);
	if (json_object_object_get_ex(v, "rule", &rule) && json_object_object_get_ex(v, "symbol", &sym))
		snprintf(buf, len, "; violation %s at %s", json_object_get_string(rule), json_object_get_string(sym));
}

/* Enough to start on; results.csv and runs/ hold the rest. */
#define MAX_UNEXPECTED_LINES 20

static void unexpected_lines(FILE *out, const struct matrix *m)
{
	size_t shown = 0, total = 0;
	for (size_t i = 0; i < m->ngrid; i++) {
		const struct matrix_cell *c = &m->cells[i];
		if (c->category != MATRIX_UNEXPECTED || total++ >= MAX_UNEXPECTED_LINES)
			continue;
		shown++;
		char viol[200];
		first_violation(c, viol, sizeof(viol));
		describe(out, "UNEXPECTED", c);
		fprintf(out, ": outcome '%s', expected '%s'%s; %s (log %s)\n", matrix_row_string(c, "outcome"),
			matrix_row_string(c, "expected"), viol, matrix_row_string(c, "end_reason"), c->log_path);
	}
	if (total > shown)
		fprintf(out, "... and %zu more UNEXPECTED runs: see results.csv\n", total - shown);
}

static bool same_selection(const struct matrix_cell *a, const struct matrix_cell *b)
{
	return strcmp(a->model, b->model) == 0 && strcmp(a->scenario, b->scenario) == 0 && a->pti == b->pti &&
	       a->pcid == b->pcid && a->vcpus == b->vcpus;
}

static void disagreement_lines(FILE *out, const struct matrix *m)
{
	char why[400];
	for (size_t i = 0; i < m->ngrid; i++) {
		const struct matrix_cell *a = &m->cells[i];
		if (!a->disagrees)
			continue;
		for (size_t j = i + 1; j < m->ngrid; j++) {
			const struct matrix_cell *b = &m->cells[j];
			if (!b->disagrees || a->engine == b->engine || !same_selection(a, b) ||
			    !matrix_results_differ(a, b, why, sizeof(why)))
				continue;
			fprintf(out, "DISAGREE %s pti=%s pcid=%s vcpus=%u %s: %s\n", a->model, a->pti ? "on" : "off",
				a->pcid ? "on" : "off", a->vcpus, a->scenario, why);
		}
	}
}

static void totals(FILE *out, const struct matrix *m, size_t disagreements)
{
	size_t count[MATRIX_CATEGORY_COUNT] = { 0 };
	for (size_t i = 0; i < m->ngrid; i++)
		count[m->cells[i].category]++;
	fprintf(out, "cells %zu: pass %zu, xfail %zu, UNEXPECTED %zu, deviation %zu, n/a %zu, unsupported %zu; "
		"engine disagreements %zu; %zu runs, wall %.1f s\n",
		m->ngrid, count[MATRIX_PASS], count[MATRIX_XFAIL], count[MATRIX_UNEXPECTED], count[MATRIX_DEVIATION],
		count[MATRIX_NA], count[MATRIX_UNSUPPORTED], disagreements, m->ncells, m->wall_seconds);
}

void matrix_table_print(FILE *out, const struct matrix *m, size_t disagreements)
{
	const char *scen[MATRIX_MAX_LIST];
	size_t nscen = matrix_plan_scenario_list(&m->opt, scen, MATRIX_MAX_LIST);
	int mw = model_width(m);
	header(out, m, scen, nscen, mw);
	size_t hidden = 0;
	for (size_t i = 0; nscen && i + nscen <= m->ngrid; i += nscen) {
		/* A mode this machine cannot run at all (pcid=on without PCID) says
		 * nothing cell by cell: one line below instead of a row of words. */
		if (row_unsupported(&m->cells[i], nscen)) {
			hidden++;
			continue;
		}
		row_line(out, m, &m->cells[i], scen, nscen, mw);
	}
	if (hidden)
		fprintf(out, "(%zu rows not shown: every cell unsupported on this machine; they are in results.csv)\n", hidden);
	fprintf(out, "pass = as expected; xfail = expected failure shown; n/a = refused by the guest or not applicable; "
		     "unsupported = this machine cannot run it; ! = two engines disagree (outcome, or rules and cost under this VMM);\n"
		     "deviation = the KVM backend is known to differ from the architecture here (backend_deviation in results.json)\n"
		     "insn/rt: guest kernel instructions of one SYSCALL..SYSRET round trip (median of the single-stepped ones, kvm;\n"
		     "         ukl, which enters by call: the measured region's instructions per round trip);\n"
		     "exits/rt: VM exits per round trip, every rule checked (syscall-loop at 2x iters minus syscall-loop)\n");
	totals(out, m, disagreements);
	unexpected_lines(out, m);
	disagreement_lines(out, m);
}
