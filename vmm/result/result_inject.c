/* SPDX-License-Identifier: MIT */
#include "result/result_inject.h"

#include <stdlib.h>
#include <string.h>

const char *inject_outcome_name(enum inject_outcome o)
{
	switch (o) {
	case INJECT_NOT_REACHED: return "not-reached";
	case INJECT_SURVIVED: return "survived";
	case INJECT_VIOLATION: return "violation";
	case INJECT_TRIPLE_FAULT: return "triple-fault";
	case INJECT_FAILED: return "failed";
	}
	return "failed";
}

void result_release(struct run_result *r)
{
	if (!r || !r->sweep)
		return;
	free(r->sweep->per_point);
	free(r->sweep);
	r->sweep = NULL;
}

static struct json_object *hex(uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_object_new_string(buf);
}

static struct json_object *injection_json(const struct injection_report *i)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "spec", json_object_new_string(i->spec));
	json_object_object_add(o, "reached", json_object_new_boolean(i->reached));
	json_object_object_add(o, "at", i->reached ? json_object_new_string(i->at) : NULL);
	json_object_object_add(o, "rip", i->reached ? hex(i->rip) : NULL);
	json_object_object_add(o, "outcome", json_object_new_string(inject_outcome_name(i->outcome)));
	json_object_object_add(o, "detail", json_object_new_string(i->detail));
	return o;
}

static struct json_object *point_json(const struct sweep_point *p)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "rip", hex(p->rip));
	json_object_object_add(o, "at", json_object_new_string(p->at));
	json_object_object_add(o, "insn", json_object_new_string(p->insn));
	json_object_object_add(o, "outcome", json_object_new_string(inject_outcome_name(p->outcome)));
	json_object_object_add(o, "detail", json_object_new_string(p->detail));
	return o;
}

static struct json_object *sweep_json(const struct sweep_report *s)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "spec", json_object_new_string(s->spec));
	json_object_object_add(o, "path", json_object_new_string(s->path));
	json_object_object_add(o, "mode", json_object_new_string(s->mode));
	json_object_object_add(o, "points", json_object_new_int64(s->points));
	json_object_object_add(o, "survived", json_object_new_int64(s->survived));
	json_object_object_add(o, "violations", json_object_new_int64(s->violations));
	json_object_object_add(o, "triple_faults", json_object_new_int64(s->triple_faults));
	json_object_object_add(o, "failed", json_object_new_int64(s->failed));
	json_object_object_add(o, "not_reached", json_object_new_int64(s->not_reached));
	json_object_object_add(o, "wall_seconds", json_object_new_double(s->wall_seconds));
	json_object_object_add(o, "restore_seconds", json_object_new_double(s->restore_seconds));
	json_object_object_add(o, "horizon", json_object_new_string(s->horizon));
	json_object_object_add(o, "restored_pages", json_object_new_uint64(s->restored_pages));
	json_object_object_add(o, "slot_reloads", json_object_new_int64(s->slot_reloads));
	json_object_object_add(o, "points_seconds", json_object_new_double(s->points_seconds));
	json_object_object_add(o, "points_per_second",
			       json_object_new_double(s->points_seconds > 0 ? s->points / s->points_seconds : 0));
	struct json_object *a = json_object_new_array();
	for (unsigned i = 0; s->per_point && i < s->points && i < RESULT_MAX_SWEEP_POINTS; i++)
		json_object_array_add(a, point_json(&s->per_point[i]));
	json_object_object_add(o, "per_point", a);
	return o;
}

void result_inject_json(struct json_object *o, const struct run_result *r)
{
	json_object_object_add(o, "explanation", json_object_new_string(r->explanation));
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; i < r->ninjections && i < RESULT_MAX_INJECTIONS; i++)
		json_object_array_add(a, injection_json(&r->injections[i]));
	json_object_object_add(o, "injections", a);
	if (r->sweep)
		json_object_object_add(o, "sweep", sweep_json(r->sweep));
}

void result_inject_print(FILE *out, const struct run_result *r)
{
	for (size_t i = 0; i < r->ninjections && i < RESULT_MAX_INJECTIONS; i++) {
		const struct injection_report *in = &r->injections[i];
		if (in->reached)
			fprintf(out, "inject    %s: delivered at %s -> %s%s%s\n", in->spec, in->at, inject_outcome_name(in->outcome),
				in->detail[0] ? ": " : "", in->detail);
		else
			fprintf(out, "inject    %s: NOT REACHED%s%s\n", in->spec, in->detail[0] ? ": " : "", in->detail);
	}
	const struct sweep_report *s = r->sweep;
	if (s) {
		fprintf(out, "sweep     %s over %s (%s mode, each point to its %s): %u points: %u survived, %u violations,"
			     " %u triple faults, %u failed, %u not reached; %.2f s, %.1f points/s\n",
			s->spec, s->path, s->mode, s->horizon[0] == 'e' ? "end" : "path's return", s->points, s->survived,
			s->violations, s->triple_faults, s->failed, s->not_reached, s->wall_seconds,
			s->points_seconds > 0 ? s->points / s->points_seconds : 0.0);
		for (unsigned i = 0; s->per_point && i < s->points; i++)
			if (s->per_point[i].outcome != INJECT_SURVIVED)
				fprintf(out, "  point %3u %-32s %-28s %s: %s\n", i, s->per_point[i].at, s->per_point[i].insn,
					inject_outcome_name(s->per_point[i].outcome), s->per_point[i].detail);
	}
	if (r->explanation[0])
		fprintf(out, "explain   %s\n", r->explanation);
}

bool result_inject_ok(const struct run_result *r)
{
	for (size_t i = 0; i < r->ninjections && i < RESULT_MAX_INJECTIONS; i++)
		if (!r->injections[i].reached)
			return false;
	if (r->sweep && r->sweep->survived != r->sweep->points)
		return false;
	return true;
}
