/* SPDX-License-Identifier: MIT */
#include "result/result_coverage.h"

#include <string.h>

static bool check_ok(const struct coverage_check *c)
{
	return c->observed >= c->expected;
}

const struct coverage_check *result_coverage_find(const struct run_result *r, const char *check)
{
	for (unsigned i = 0; i < r->ncoverage; i++)
		if (strcmp(r->coverage[i].check, check) == 0)
			return &r->coverage[i];
	return NULL;
}

bool result_coverage_add(struct run_result *r, const char *check, uint64_t expected, uint64_t observed,
			 const char *what)
{
	struct coverage_check *c = (struct coverage_check *)result_coverage_find(r, check);
	if (!c) {
		if (r->ncoverage >= RESULT_MAX_COVERAGE)
			return false;
		c = &r->coverage[r->ncoverage++];
	}
	snprintf(c->check, sizeof(c->check), "%s", check);
	c->expected = expected;
	c->observed = observed;
	snprintf(c->what, sizeof(c->what), "%s", what);
	return true;
}

bool result_coverage_ok(const struct run_result *r)
{
	for (unsigned i = 0; i < r->ncoverage; i++)
		if (!check_ok(&r->coverage[i]))
			return false;
	return true;
}

void result_coverage_json(struct json_object *o, const struct run_result *r)
{
	struct json_object *a = json_object_new_array();
	for (unsigned i = 0; i < r->ncoverage; i++) {
		const struct coverage_check *c = &r->coverage[i];
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "check", json_object_new_string(c->check));
		json_object_object_add(e, "expected", json_object_new_uint64(c->expected));
		json_object_object_add(e, "observed", json_object_new_uint64(c->observed));
		json_object_object_add(e, "ok", json_object_new_boolean(check_ok(c)));
		json_object_object_add(e, "what", json_object_new_string(c->what));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "coverage", a);
}

void result_coverage_print(FILE *out, const struct run_result *r)
{
	if (r->ncoverage == 0)
		return;
	fprintf(out, "coverage ");
	for (unsigned i = 0; i < r->ncoverage; i++)
		fprintf(out, "%s %s %llu/%llu", i ? "," : "", r->coverage[i].check,
			(unsigned long long)r->coverage[i].observed, (unsigned long long)r->coverage[i].expected);
	fputc('\n', out);
	for (unsigned i = 0; i < r->ncoverage; i++) {
		const struct coverage_check *c = &r->coverage[i];
		if (!check_ok(c))
			fprintf(out, "NOT RUN   %s: %llu of %llu times (%s)\n", c->check,
				(unsigned long long)c->observed, (unsigned long long)c->expected, c->what);
	}
}
