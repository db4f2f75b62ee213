/* SPDX-License-Identifier: MIT */
#include "trace_model.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const pgd_row_names[PGD_ROWS] = { "kernel", "user", "shared", "other" };

static const char *field(json_object *o, const char *key)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool int_field(json_object *o, const char *key, int64_t *out)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

static double double_field(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v) : 0.0;
}

static int stack_lane(struct trace_model *m, const char *name)
{
	for (size_t i = 0; i < m->nstacks; i++)
		if (strcmp(m->stacks[i], name) == 0)
			return (int)i;
	if (m->nstacks == TRACE_MODEL_MAX_STACKS)
		return -1;
	snprintf(m->stacks[m->nstacks], sizeof(m->stacks[0]), "%s", name);
	return (int)m->nstacks++;
}

static int pgd_of(const char *name)
{
	for (int i = 0; i < PGD_ROWS; i++)
		if (strcmp(name, pgd_row_names[i]) == 0)
			return i;
	return -1;
}

static void load_summary(struct trace_model *m, json_object *o)
{
	m->has_summary = true;
	const char *path = field(o, "path"), *ended = field(o, "ended");
	snprintf(m->path, sizeof(m->path), "%s", path ? path : "?");
	snprintf(m->ended, sizeof(m->ended), "%s", ended ? ended : "?");
	m->steps_per_second = double_field(o, "steps_per_second");
	json_object *lost;
	int64_t at = -1;
	if (json_object_object_get_ex(o, "lost_step", &lost) && int_field(lost, "i", &at) && at >= 0) {
		const char *after = field(lost, "after_sym"), *got = field(lost, "got_sym");
		m->lost.set = true;
		m->lost.index = (size_t)at;
		snprintf(m->lost.after, sizeof(m->lost.after), "%s", after ? after : "?");
		snprintf(m->lost.got, sizeof(m->lost.got), "%s", got ? got : "?");
	}
	json_object *bare;
	if (json_object_object_get_ex(o, "bare", &bare))
		m->bare_steps_per_second = double_field(bare, "steps_per_second");
}

static bool load_point(struct trace_model *m, json_object *o, struct trace_point *p, char *err, size_t errlen)
{
	const char *pgd = field(o, "pgd"), *stack = field(o, "stack"), *event = field(o, "event");
	int64_t cpl = -1, vector = -1, trip = 0;
	json_object *failed;
	if (!pgd || !stack || !int_field(o, "cpl", &cpl) || cpl < 0 || cpl > 3 ||
	    !json_object_object_get_ex(o, "failed", &failed) || !json_object_is_type(failed, json_type_array)) {
		snprintf(err, errlen, "instruction %zu: missing or bad cpl, pgd, stack or failed", m->n);
		return false;
	}
	int row = pgd_of(pgd), lane = stack_lane(m, stack);
	if (row < 0 || lane < 0) {
		snprintf(err, errlen, "instruction %zu: unknown pgd '%s' or more than %u stacks", m->n, pgd,
			 TRACE_MODEL_MAX_STACKS);
		return false;
	}
	memset(p, 0, sizeof(*p));
	p->cpl = (uint8_t)cpl;
	p->pgd = (uint8_t)row;
	p->stack = (uint8_t)lane;
	p->failed = json_object_array_length(failed) > 0;
	p->event = event != NULL;
	p->vector = int_field(o, "vector", &vector) && vector >= 0 && vector < 256 ? (int)vector : -1;
	p->trip = int_field(o, "trip", &trip) && trip >= 0 && trip < 1000 ? (unsigned)trip : 0;
	if (p->trip + 1 > m->ntrips)
		m->ntrips = p->trip + 1;
	snprintf(p->event_name, sizeof(p->event_name), "%s", event ? event : "");
	const char *sym = field(o, "sym"), *insn = field(o, "insn");
	snprintf(p->sym, sizeof(p->sym), "%s", sym ? sym : "?");
	snprintf(p->insn, sizeof(p->insn), "%s", insn ? insn : "?");
	return true;
}

static bool add_line(struct trace_model *m, const char *line, size_t *cap, char *err, size_t errlen)
{
	json_object *o = json_tokener_parse(line);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		snprintf(err, errlen, "line %zu is not a JSON object", m->n + 1);
		return false;
	}
	json_object *summary;
	bool ok = true;
	if (json_object_object_get_ex(o, "summary", &summary) && json_object_get_boolean(summary)) {
		load_summary(m, o);
	} else if (m->n >= TRACE_MODEL_MAX_STEPS) {
		snprintf(err, errlen, "more than %u instructions", TRACE_MODEL_MAX_STEPS);
		ok = false;
	} else {
		if (m->n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 256;
			struct trace_point *np = realloc(m->points, ncap * sizeof(*np));
			if (!np) {
				snprintf(err, errlen, "out of memory");
				json_object_put(o);
				return false;
			}
			m->points = np;
			*cap = ncap;
		}
		ok = load_point(m, o, &m->points[m->n], err, errlen);
		if (ok)
			m->n++;
	}
	json_object_put(o);
	return ok;
}

bool trace_model_load(const char *path, struct trace_model *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	FILE *f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	char *line = NULL;
	size_t linecap = 0, cap = 0;
	bool ok = true;
	while (ok && getline(&line, &linecap, f) > 0)
		if (line[0] != '\n')
			ok = add_line(m, line, &cap, err, errlen);
	free(line);
	fclose(f);
	if (ok && m->n == 0) {
		snprintf(err, errlen, "%s: no instructions in the trace", path);
		ok = false;
	}
	if (!ok)
		trace_model_free(m);
	return ok;
}

void trace_model_free(struct trace_model *m)
{
	free(m->points);
	m->points = NULL;
	m->n = 0;
}
