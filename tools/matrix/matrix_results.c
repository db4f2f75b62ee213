/* SPDX-License-Identifier: MIT */
#include "matrix/matrix_results.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/status.h"

/* Engines that run this VMM and so report violations and measured costs. */
static bool checks_every_exit(enum matrix_engine e)
{
	return e == MATRIX_ENGINE_KVM || e == MATRIX_ENGINE_SVM_BOX;
}

const char *matrix_row_string(const struct matrix_cell *c, const char *key)
{
	struct json_object *v;
	if (!c->row || !json_object_object_get_ex(c->row, key, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static bool get_number(struct json_object *o, const char *key, double *out)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v))
		return false;
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return false;
	*out = json_object_get_double(v);
	return true;
}

void matrix_log_last_line(const char *path, char *out, size_t len)
{
	out[0] = '\0';
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		size_t n = strlen(line);
		if (n == 0)
			continue;
		n = n < len ? n : len - 1;  /* a long last line is cut, not dropped */
		memcpy(out, line, n);
		out[n] = '\0';
	}
	fclose(f);
}

static const char *died_how(const struct matrix_cell *c, char *buf, size_t len)
{
	if (c->engine == MATRIX_ENGINE_LIBVIRT && c->exit_status == -1 && !c->term_signal && !c->killed)
		snprintf(buf, len, "no libvirt host left to run it%s%.60s", c->nattempts ? "; the last failed it: " : "",
			 c->nattempts ? c->attempts[c->nattempts - 1].result : "");
	else if (c->killed)
		snprintf(buf, len, "killed by the matrix after %.0f s", c->wall_seconds);
	else if (c->term_signal)
		snprintf(buf, len, "died by signal %d (%s)", c->term_signal, strsignal(c->term_signal));
	else if (c->exit_status == -1)
		snprintf(buf, len, "could not be started");
	else
		snprintf(buf, len, "exited with status %d and left no JSON", c->exit_status);
	return buf;
}

/* A run that crashed or was killed left no JSON of its own: give it a row of
 * the same schema, so results.json still has one object per run. */
static struct json_object *made_row(const struct matrix_cell *c)
{
	char how[160], last[256], reason[440];
	died_how(c, how, sizeof(how));
	matrix_log_last_line(c->log_path, last, sizeof(last));
	snprintf(reason, sizeof(reason), "%s%s%s", how, last[0] ? "; last output: " : "", last);
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "model", json_object_new_string(c->model));
	json_object_object_add(o, "pti", json_object_new_string(c->pti ? "on" : "off"));
	json_object_object_add(o, "pcid", json_object_new_string(c->pcid ? "on" : "off"));
	json_object_object_add(o, "vcpus", json_object_new_int64(c->vcpus));
	json_object_object_add(o, "scenario", json_object_new_string(c->scenario));
	json_object_object_add(o, "engine", json_object_new_string(matrix_engine_name(c->engine)));
	json_object_object_add(o, "outcome", json_object_new_string(c->killed ? "killed" : "crashed"));
	json_object_object_add(o, "expected", json_object_new_string(""));
	json_object_object_add(o, "end_reason", json_object_new_string(reason));
	json_object_object_add(o, "exits", json_object_new_int64(0));
	json_object_object_add(o, "checks", json_object_new_int64(0));
	json_object_object_add(o, "violations", json_object_new_array());
	json_object_object_add(o, "status", json_object_new_int(EBX_STATUS_MISMATCH));
	return o;
}

static enum matrix_category categorize(const struct matrix_cell *c, bool own_row)
{
	if (!own_row)
		return MATRIX_UNEXPECTED;
	switch (c->exit_status) {
	case EBX_STATUS_OK:
		if (strcmp(matrix_row_string(c, "expected"), "pass") == 0)
			return MATRIX_PASS;
		/* The scenario itself says it has nothing to show for this model. */
		if (strcmp(matrix_row_string(c, "expected"), "not-applicable") == 0)
			return MATRIX_NA;
		return MATRIX_XFAIL;
	case EBX_STATUS_ENV:
		return MATRIX_UNSUPPORTED;
	default:
		if (matrix_row_string(c, "backend_deviation")[0])
			return MATRIX_DEVIATION;
		return MATRIX_UNEXPECTED;
	}
}

/*
 * The cost of one syscall round trip from the guest's measure region: the
 * median of the round trips the VMM single-stepped from SYSCALL to SYSRET
 * (the entry path alone), or -- for a model that enters without SYSCALL
 * (ukl's call) -- the region's instructions over its round trips.
 */
bool matrix_measure_insns(struct json_object *row, double *insn_per_rt)
{
	struct json_object *m;
	double iters, insns, trips, median;
	if (!row || !json_object_object_get_ex(row, "measure", &m) || !json_object_is_type(m, json_type_object))
		return false;
	if (get_number(m, "round_trips_stepped", &trips) && trips >= 1 && get_number(m, "round_trip_median", &median)) {
		*insn_per_rt = median;
		return true;
	}
	if (!get_number(m, "iterations", &iters) || !get_number(m, "instructions", &insns) || iters < 1)
		return false;
	*insn_per_rt = insns / iters;
	return true;
}

/*
 * Exits per round trip from two whole runs that differ only in iters: boot,
 * task set-up, the single-stepped measure region (a fixed number of round
 * trips) and the result lines are the same in both, so the difference in
 * exits is what the extra round trips cost, with every rule checked at every
 * exit and nobody stepping.
 */
bool matrix_exits_per_rt(struct json_object *base, struct json_object *more, double extra_per_task,
			 double *exits_per_rt)
{
	double e1, e2, tasks;
	if (!base || !more || !get_number(base, "exits", &e1) || !get_number(more, "exits", &e2) ||
	    !get_number(more, "tasks", &tasks) || tasks < 1 || extra_per_task < 1 || e2 < e1)
		return false;
	*exits_per_rt = (e2 - e1) / (extra_per_task * tasks);
	return true;
}

static struct json_object *uri_json(const char *uri)
{
	return json_object_new_string(uri ? uri : "");
}

/* Where a libvirt cell ran and every host it was tried on: each cell is one
 * row, however many attempts it took. */
static void add_hosts(struct matrix_cell *c)
{
	bool ran = c->nattempts > 0 && strcmp(c->attempts[c->nattempts - 1].result, "ran") == 0;
	json_object_object_add(c->row, "matrix_host", ran ? uri_json(c->attempts[c->nattempts - 1].host) : NULL);
	struct json_object *a = json_object_new_array();
	for (unsigned i = 0; i < c->nattempts; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "host", uri_json(c->attempts[i].host));
		json_object_object_add(o, "result", json_object_new_string(c->attempts[i].result));
		json_object_array_add(a, o);
	}
	json_object_object_add(c->row, "matrix_attempts", a);
}

void matrix_results_judge(struct matrix_cell *c)
{
	struct json_object *own = NULL;
	if (c->exit_status >= 0 && !c->killed)
		own = json_object_from_file(c->json_path);
	if (own && !json_object_is_type(own, json_type_object)) {
		json_object_put(own);
		own = NULL;
	}
	c->row = own ? own : made_row(c);
	c->category = categorize(c, own != NULL);
	if (own && !c->cost_run && checks_every_exit(c->engine) && strcmp(c->scenario, "syscall-loop") == 0)
		c->has_cost = matrix_measure_insns(c->row, &c->instructions_per_rt);
	c->exits_per_rt = -1;
	/* The run calls itself kvm inside a box; the row names the matrix's engine. */
	json_object_object_add(c->row, "engine", json_object_new_string(matrix_engine_name(c->engine)));
	json_object_object_add(c->row, "matrix_category", json_object_new_string(matrix_category_name(c->category)));
	json_object_object_add(c->row, "matrix_exit_status", json_object_new_int(c->exit_status));
	json_object_object_add(c->row, "matrix_log", json_object_new_string(c->log_path));
	if (c->cost_run)
		json_object_object_add(c->row, "matrix_role", json_object_new_string("cost"));
	if (c->engine == MATRIX_ENGINE_LIBVIRT)
		add_hosts(c);
}

static bool ran_through(const struct matrix_cell *c)
{
	return c->row && (c->exit_status == EBX_STATUS_OK || c->exit_status == EBX_STATUS_MISMATCH);
}

void matrix_results_costs(struct matrix *m)
{
	for (size_t i = 0; i < m->ngrid; i++) {
		struct matrix_cell *g = &m->cells[i], *c = g->cost_partner;
		if (!g->has_cost || !c || !ran_through(g) || !ran_through(c))
			continue;
		/* the grid cell ran with half the cost run's iterations */
		if (!matrix_exits_per_rt(g->row, c->row, (double)(c->iters / 2), &g->exits_per_rt))
			g->exits_per_rt = -1;
	}
}

static bool same_selection(const struct matrix_cell *a, const struct matrix_cell *b)
{
	return strcmp(a->model, b->model) == 0 && strcmp(a->scenario, b->scenario) == 0 && a->pti == b->pti &&
	       a->pcid == b->pcid && a->vcpus == b->vcpus;
}

static bool ran(const struct matrix_cell *c)
{
	return c->category == MATRIX_PASS || c->category == MATRIX_XFAIL || c->category == MATRIX_UNEXPECTED;
}

/* The rules a run reported, sorted and comma-separated. */
static void violated_rules(const struct matrix_cell *c, char *out, size_t len)
{
	out[0] = '\0';
	struct json_object *arr, *v, *rule;
	if (!c->row || !json_object_object_get_ex(c->row, "violations", &arr) || !json_object_is_type(arr, json_type_array))
		return;
	const char *names[16];
	size_t n = 0;
	for (size_t i = 0; i < json_object_array_length(arr) && n < 16; i++) {
		v = json_object_array_get_idx(arr, i);
		if (!json_object_object_get_ex(v, "rule", &rule))
			continue;
		const char *name = json_object_get_string(rule);
		size_t k = 0;
		while (k < n && strcmp(names[k], name) != 0)
			k++;
		if (k == n)
			names[n++] = name;
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			const char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? "," : "", names[i]);
}

bool matrix_results_differ(const struct matrix_cell *a, const struct matrix_cell *b, char *why, size_t len)
{
	why[0] = '\0';
	/* A combination one engine cannot run at all is a fact about the
	 * engine, not a disagreement about the outcome. */
	if (!ran(a) || !ran(b))
		return false;
	if (a->category != b->category) {
		snprintf(why, len, "%s %s (outcome '%s'), %s %s (outcome '%s')", matrix_engine_name(a->engine),
			 matrix_category_name(a->category), matrix_row_string(a, "outcome"), matrix_engine_name(b->engine),
			 matrix_category_name(b->category), matrix_row_string(b, "outcome"));
		return true;
	}
	if (!checks_every_exit(a->engine) || !checks_every_exit(b->engine))
		return false;
	char ra[200], rb[200];
	violated_rules(a, ra, sizeof(ra));
	violated_rules(b, rb, sizeof(rb));
	if (strcmp(ra, rb) != 0) {
		snprintf(why, len, "violations: %s [%s], %s [%s]", matrix_engine_name(a->engine), ra,
			 matrix_engine_name(b->engine), rb);
		return true;
	}
	/* Instructions per round trip are architectural: every backend must count the same. */
	double ia, ib;
	if (matrix_measure_insns(a->row, &ia) && matrix_measure_insns(b->row, &ib) && ia != ib) {
		snprintf(why, len, "instructions per round trip: %s %.2f, %s %.2f", matrix_engine_name(a->engine), ia,
			 matrix_engine_name(b->engine), ib);
		return true;
	}
	return false;
}

size_t matrix_results_compare(struct matrix *m)
{
	size_t n = 0;
	char why[400];
	for (size_t i = 0; i < m->ngrid; i++) {
		struct matrix_cell *a = &m->cells[i];
		for (size_t j = i + 1; j < m->ngrid; j++) {
			struct matrix_cell *b = &m->cells[j];
			if (a->engine == b->engine || !same_selection(a, b) || !matrix_results_differ(a, b, why, sizeof(why)))
				continue;
			a->disagrees = b->disagrees = true;
			json_object_object_add(a->row, "matrix_disagrees", json_object_new_boolean(1));
			json_object_object_add(b->row, "matrix_disagrees", json_object_new_boolean(1));
			n++;
		}
	}
	return n;
}

void matrix_results_backend(struct matrix *m)
{
	m->backend[0] = '\0';
	for (size_t i = 0; i < m->ncells && !m->backend[0]; i++) {
		const char *b = matrix_row_string(&m->cells[i], "backend");
		if (checks_every_exit(m->cells[i].engine) && b[0])
			snprintf(m->backend, sizeof(m->backend), "%s", b);
	}
}

int matrix_results_write_json(const struct matrix *m, const char *path)
{
	struct json_object *a = json_object_new_array();
	if (!a) {
		errno = ENOMEM;
		return -1;
	}
	for (size_t i = 0; i < m->ncells; i++)
		if (m->cells[i].row)
			json_object_array_add(a, json_object_get(m->cells[i].row));
	int rc = json_object_to_file_ext(path, a, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	json_object_put(a);
	return rc == 0 ? 0 : -1;
}

void matrix_results_free(struct matrix *m)
{
	for (size_t i = 0; i < m->ncells; i++)
		json_object_put(m->cells[i].row);
}
