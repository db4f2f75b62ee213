/* SPDX-License-Identifier: MIT */
#include "matrix_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entrybox/abi.h"
#include "model_table.h"

/* The catalogs, so a new model or scenario row appears in the matrix without
 * touching this file. */
static const char *const all_models[] = {
#define ENTRY_MODEL(id, name, summary) name,
#include "models.def"
#undef ENTRY_MODEL
};

static const char *const all_scenarios[] = {
#define SCENARIO(id, name, summary) name,
#include "entrybox/scenarios.def"
#undef SCENARIO
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *matrix_engine_name(enum matrix_engine e)
{
	switch (e) {
	case MATRIX_ENGINE_QEMU_TCG: return "qemu-tcg";
	case MATRIX_ENGINE_LIBVIRT: return "libvirt";
	case MATRIX_ENGINE_SVM_BOX: return "svm-box";
	default: return "kvm";
	}
}

const char *matrix_category_name(enum matrix_category c)
{
	switch (c) {
	case MATRIX_PASS: return "pass";
	case MATRIX_XFAIL: return "xfail";
	case MATRIX_UNEXPECTED: return "UNEXPECTED";
	case MATRIX_NA: return "n/a";
	case MATRIX_UNSUPPORTED: return "unsupported";
	case MATRIX_DEVIATION: return "deviation";
	case MATRIX_CATEGORY_COUNT: break;
	}
	return "UNEXPECTED";
}

void matrix_plan_defaults(struct matrix_options *o)
{
	o->engines[MATRIX_ENGINE_KVM] = true;
	o->pti[0] = o->pti[1] = true;
	o->pcid[0] = o->pcid[1] = true;
	o->vcpus[0] = 1;
	o->vcpus[1] = 2;
	o->nvcpus = 2;
	o->plots = true;
}

/* Splits a comma list in place; calls take(item) for each non-empty item. */
static int each_item(char *list, int (*take)(void *ctx, const char *item), void *ctx)
{
	char *save = NULL;
	int seen = 0;
	for (char *item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		int rc = take(ctx, item);
		if (rc != 0)
			return rc;
		seen++;
	}
	return seen ? 0 : cli_fail(EBX_STATUS_USAGE, "empty list");
}

struct name_list {
	const char **names;
	size_t *n;
	bool (*known)(const char *);
	const char *what;
};

static int take_name(void *ctx, const char *item)
{
	struct name_list *l = ctx;
	if (!l->known(item))
		return cli_fail(EBX_STATUS_USAGE, "unknown %s '%s' (see entrybox list)", l->what, item);
	for (size_t i = 0; i < *l->n; i++)
		if (strcmp(l->names[i], item) == 0)
			return 0;
	if (*l->n == MATRIX_MAX_LIST)
		return cli_fail(EBX_STATUS_USAGE, "more than %d %ss", MATRIX_MAX_LIST, l->what);
	l->names[(*l->n)++] = item;
	return 0;
}

int matrix_plan_models(struct matrix_options *o, char *list)
{
	o->nmodels = 0;
	struct name_list l = { o->models, &o->nmodels, selection_known_model, "model" };
	return each_item(list, take_name, &l);
}

int matrix_plan_scenarios(struct matrix_options *o, char *list)
{
	o->nscenarios = 0;
	struct name_list l = { o->scenarios, &o->nscenarios, selection_known_scenario, "scenario" };
	return each_item(list, take_name, &l);
}

struct on_off_ctx {
	const char *flag;
	bool *which;
};

static int take_on_off(void *ctx, const char *item)
{
	struct on_off_ctx *c = ctx;
	bool on;
	if (!cli_parse_on_off(c->flag, item, &on))
		return EBX_STATUS_USAGE;
	c->which[on] = true;
	return 0;
}

int matrix_plan_on_off(const char *flag, bool which[2], char *list)
{
	which[0] = which[1] = false;
	struct on_off_ctx c = { flag, which };
	return each_item(list, take_on_off, &c);
}

static int take_vcpus(void *ctx, const char *item)
{
	struct matrix_options *o = ctx;
	unsigned long n;
	if (!cli_parse_uint("--vcpus", item, 1, EBX_MAX_CPUS, &n))
		return EBX_STATUS_USAGE;
	for (size_t i = 0; i < o->nvcpus; i++)
		if (o->vcpus[i] == n)
			return 0;
	if (o->nvcpus == MATRIX_MAX_LIST)
		return cli_fail(EBX_STATUS_USAGE, "too many --vcpus values");
	o->vcpus[o->nvcpus++] = (unsigned)n;
	return 0;
}

int matrix_plan_vcpus(struct matrix_options *o, char *list)
{
	o->nvcpus = 0;
	return each_item(list, take_vcpus, o);
}

static int take_engine(void *ctx, const char *item)
{
	bool *engines = ctx;
	for (int e = 0; e < MATRIX_ENGINE_COUNT; e++)
		if (strcmp(item, matrix_engine_name((enum matrix_engine)e)) == 0) {
			engines[e] = true;
			return 0;
		}
	return cli_fail(EBX_STATUS_USAGE, "--engine takes kvm, qemu-tcg, libvirt, svm-box or several separated by commas, not '%s'",
			item);
}

int matrix_plan_engines(struct matrix_options *o, char *list)
{
	memset(o->engines, 0, sizeof(o->engines));
	return each_item(list, take_engine, o->engines);
}

/* Catalog order, whatever order the filter named them in: the table reads
 * the same every time. */
static size_t pick(const char *const *catalog, size_t ncat, const char *const *chosen, size_t nchosen,
		   const char **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < ncat && n < max; i++) {
		bool take = nchosen == 0;
		for (size_t j = 0; j < nchosen && !take; j++)
			take = strcmp(catalog[i], chosen[j]) == 0;
		if (take)
			out[n++] = catalog[i];
	}
	return n;
}

size_t matrix_plan_scenario_list(const struct matrix_options *o, const char **out, size_t max)
{
	return pick(all_scenarios, COUNT(all_scenarios), o->scenarios, o->nscenarios, out, max);
}

struct plan_axes {
	const char *models[MATRIX_MAX_LIST], *scenarios[MATRIX_MAX_LIST];
	size_t nmodels, nscenarios;
};

static size_t count_rows(const struct matrix_options *o, const struct plan_axes *ax)
{
	size_t engines = 0;
	for (int e = 0; e < MATRIX_ENGINE_COUNT; e++)
		engines += o->engines[e];
	return ax->nmodels * (size_t)(o->pti[0] + o->pti[1]) * (size_t)(o->pcid[0] + o->pcid[1]) * o->nvcpus *
	       engines;
}

static void add_row(struct matrix *m, const struct plan_axes *ax, const char *model, bool pti, bool pcid,
		    unsigned vcpus, enum matrix_engine e)
{
	for (size_t s = 0; s < ax->nscenarios; s++) {
		struct matrix_cell *c = &m->cells[m->ncells++];
		c->engine = e;
		c->model = model;
		c->scenario = ax->scenarios[s];
		c->pti = pti;
		c->pcid = pcid;
		c->vcpus = vcpus;
		c->exit_status = -1;
	}
}

/* The syscall-loop iterations a run uses when the matrix does not say (selection.c's default). */
#define RUN_DEFAULT_ITERS 200ul

static bool wants_cost_run(const struct matrix_cell *c)
{
	return c->engine == MATRIX_ENGINE_KVM && strcmp(c->scenario, "syscall-loop") == 0;
}

/* One cost run per kvm syscall-loop cell, after the grid. */
static void add_cost_runs(struct matrix *m)
{
	unsigned long base = m->opt.iters ? m->opt.iters : RUN_DEFAULT_ITERS;
	for (size_t i = 0; i < m->ngrid; i++) {
		struct matrix_cell *g = &m->cells[i];
		if (!wants_cost_run(g))
			continue;
		struct matrix_cell *c = &m->cells[m->ncells++];
		*c = *g;
		c->iters = 2 * base;
		c->cost_run = true;
		c->cost_partner = g;
		g->cost_partner = c;
	}
}

int matrix_plan_build(struct matrix *m)
{
	const struct matrix_options *o = &m->opt;
	struct plan_axes ax;
	ax.nmodels = pick(all_models, COUNT(all_models), o->models, o->nmodels, ax.models, MATRIX_MAX_LIST);
	ax.nscenarios = matrix_plan_scenario_list(o, ax.scenarios, MATRIX_MAX_LIST);
	size_t grid = count_rows(o, &ax) * ax.nscenarios;
	m->ncells = 0;
	/* at most one cost run per grid cell */
	m->cells = calloc(grid ? 2 * grid : 1, sizeof(*m->cells));
	if (!m->cells)
		return -1;
	/* pti=on first: it is the default mode and the one the rules were written for. */
	for (size_t mi = 0; mi < ax.nmodels; mi++)
		for (int pti = 1; pti >= 0; pti--)
			for (int pcid = 0; pcid <= 1; pcid++)
				for (size_t v = 0; v < o->nvcpus; v++)
					for (int e = 0; e < MATRIX_ENGINE_COUNT; e++)
						if (o->pti[pti] && o->pcid[pcid] && o->engines[e])
							add_row(m, &ax, ax.models[mi], pti, pcid, o->vcpus[v],
								(enum matrix_engine)e);
	m->ngrid = m->ncells;
	add_cost_runs(m);
	return 0;
}

/* The model has the option KEY and VALUE is one of its values. */
static bool model_takes(unsigned model, const char *arg)
{
	size_t keylen = strcspn(arg, "=");
	int opt = entry_table_option_find(model, arg, keylen);
	if (opt < 0 || arg[keylen] != '=')
		return false;
	const struct entry_option_desc *d = entry_table_option((unsigned)opt);
	const char *value = arg + keylen + 1;
	if (!d->numeric)
		return entry_table_value_find((unsigned)opt, value, strlen(value)) >= 0;
	char *end;
	unsigned long n = strtoul(value, &end, 10);
	return value[0] >= '0' && value[0] <= '9' && *end == '\0' && n >= d->lo && n <= d->hi;
}

size_t matrix_plan_extras(const struct matrix_options *o, const char *model, const char **out, size_t max)
{
	int m = entry_table_model_find(model, strlen(model));
	size_t n = 0;
	for (size_t i = 0; m >= 0 && i < o->nextra && n < max; i++)
		if (model_takes((unsigned)m, o->extra[i]))
			out[n++] = o->extra[i];
	return n;
}

void matrix_plan_extras_label(const struct matrix_options *o, const char *model, char *buf, size_t len)
{
	const char *ex[SELECTION_MAX_EXTRA];
	size_t n = matrix_plan_extras(o, model, ex, SELECTION_MAX_EXTRA), used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? " " : "", ex[i]);
		used += w > 0 ? (size_t)w : 0;
	}
}

int matrix_plan_check_extra(const char *arg)
{
	for (unsigned m = 0; m < entry_table_model_count(); m++)
		if (model_takes(m, arg))
			return 0;
	return cli_fail(EBX_STATUS_USAGE, "--extra %s: no model takes it (see entrybox list)", arg);
}
