/* SPDX-License-Identifier: MIT */
#include "bench_report.h"

#include <errno.h>
#include <json-c/json.h>
#include <string.h>

static const struct bench_figure *find(const struct bench_figure *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].name, name) == 0)
			return &list[i];
	return NULL;
}

static void ratio_of(struct bench_figure *f, const struct bench_figure *list, size_t n)
{
	const struct bench_figure *ref = f->ref[0] ? find(list, n, f->ref) : f;
	f->ratio = (ref && ref->available && f->available && ref->stat.median > 0) ? f->stat.median / ref->stat.median
										   : 0;
}

void bench_report_ratios(struct bench_report *r)
{
	for (size_t i = 0; i < r->nrefs; i++)
		ratio_of(&r->refs[i], r->refs, r->nrefs);
	for (size_t i = 0; i < r->nmodels; i++) {
		ratio_of(&r->insns[i], r->insns, r->nmodels);
		ratio_of(&r->exits[i], r->exits, r->nmodels);
	}
}

static void print_figure(FILE *out, const struct bench_figure *f)
{
	if (!f->available) {
		fprintf(out, "  %-44s not measured: %s\n", f->what, f->note);
		return;
	}
	fprintf(out, "  %-44s %12.2f %-5s (min %.2f, max %.2f, spread %.0f%%, n=%zu)  %.2fx %s", f->what,
		f->stat.median, f->unit, f->stat.min, f->stat.max, 100 * bench_stat_spread(&f->stat), f->stat.n,
		f->ratio, f->ref[0] ? f->ref : "(itself)");
	if (f->goal > 0)
		fprintf(out, "  [goal <= %.2fx: %s]", f->goal, f->ratio > 0 && f->ratio <= f->goal ? "met" : "NOT met");
	if (f->note[0])
		fprintf(out, "  -- %s", f->note);
	fputc('\n', out);
}

void bench_report_print(FILE *out, const struct bench_report *r)
{
	fprintf(out, "references (median of %u; ratio = median / the named reference's median):\n", r->repetitions);
	for (size_t i = 0; i < r->nrefs; i++)
		print_figure(out, &r->refs[i]);
	fprintf(out, "per syscall round trip (syscall-loop; backend %s):\n", r->backend[0] ? r->backend : "?");
	for (size_t i = 0; i < r->nmodels; i++) {
		print_figure(out, &r->insns[i]);
		print_figure(out, &r->exits[i]);
	}
	fprintf(out, "cycles: %s\n", r->cycles_note);
}

static struct json_object *figure_json(const struct bench_figure *f)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "what", json_object_new_string(f->what));
	json_object_object_add(o, "unit", json_object_new_string(f->unit));
	json_object_object_add(o, "available", json_object_new_boolean(f->available));
	if (f->available) {
		json_object_object_add(o, "median", json_object_new_double(f->stat.median));
		json_object_object_add(o, "min", json_object_new_double(f->stat.min));
		json_object_object_add(o, "max", json_object_new_double(f->stat.max));
		json_object_object_add(o, "samples", json_object_new_int64((int64_t)f->stat.n));
	}
	json_object_object_add(o, "ratio_to", json_object_new_string(f->ref[0] ? f->ref : f->name));
	json_object_object_add(o, "ratio", f->ratio > 0 ? json_object_new_double(f->ratio) : NULL);
	if (f->goal > 0) {
		json_object_object_add(o, "goal_max_ratio", json_object_new_double(f->goal));
		json_object_object_add(o, "goal_met", json_object_new_boolean(f->ratio > 0 && f->ratio <= f->goal));
	}
	if (f->note[0])
		json_object_object_add(o, "note", json_object_new_string(f->note));
	return o;
}

static struct json_object *models_json(const struct bench_report *r)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; i < r->nmodels; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "mode", json_object_new_string(r->insns[i].name));
		json_object_object_add(o, "instructions_per_rt", figure_json(&r->insns[i]));
		json_object_object_add(o, "exits_per_rt", figure_json(&r->exits[i]));
		json_object_object_add(o, "cycles_per_rt", NULL);
		json_object_array_add(a, o);
	}
	return a;
}

int bench_report_write_json(const struct bench_report *r, const char *path)
{
	struct json_object *o = json_object_new_object(), *refs = json_object_new_object();
	for (size_t i = 0; i < r->nrefs; i++)
		json_object_object_add(refs, r->refs[i].name, figure_json(&r->refs[i]));
	json_object_object_add(o, "backend", json_object_new_string(r->backend));
	json_object_object_add(o, "repetitions", json_object_new_int64(r->repetitions));
	json_object_object_add(o, "references", refs);
	json_object_object_add(o, "models", models_json(r));
	json_object_object_add(o, "cycles_note", json_object_new_string(r->cycles_note));
	int rc = json_object_to_file_ext(path, o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	json_object_put(o);
	if (rc != 0 && errno == 0)
		errno = EIO;
	return rc == 0 ? 0 : -1;
}
