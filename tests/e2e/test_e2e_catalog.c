/* SPDX-License-Identifier: MIT */
/*
 * Every entry model x scenario x pti x vcpus under our VMM, each against the
 * outcome the guest's scenario table expects for that model, with no rule
 * violated.  The lists come from the catalogs, so a new model or scenario is
 * covered the moment its table row exists.  ENTRYBOX_CATALOG_MODELS (a comma
 * list) narrows it to some models: the throw-away model test runs the
 * catalog of the model it added this way.
 */
#include <check.h>
#include "check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_util.h"

static const char *const models[] = {
#define ENTRY_MODEL(id, name, summary) name,
#include "models.def"
#undef ENTRY_MODEL
};
static const char *const scenarios[] = {
#define SCENARIO(id, name, summary) name,
#include "entrybox/scenarios.def"
#undef SCENARIO
};
#define NMODELS (sizeof(models) / sizeof(models[0]))
#define NSCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

/* True when ENTRYBOX_CATALOG_MODELS is unset or lists the model. */
static bool selected(const char *model)
{
	const char *list = getenv("ENTRYBOX_CATALOG_MODELS");
	size_t n = strlen(model);
	if (!list || !list[0])
		return true;
	for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, model, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

START_TEST(outcome_matches_expectation)
{
	unsigned i = (unsigned)_i;
	const char *vcpus = (i & 1) ? "2" : "1";
	const char *pti = (i & 2) ? "off" : "on";
	const char *scenario = scenarios[(i >> 2) % NSCENARIOS];
	const char *model = models[(i >> 2) / NSCENARIOS];
	if (!selected(model))
		return;
	const char *args[] = { "run", "--entry", model, "--scenario", scenario, "--pti", pti, "--vcpus", vcpus,
			       "--iters", "40", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	/* A mode the model does not implement is a run too: not-applicable, with its reason. */
	ck_assert_msg(r.json != NULL, "%s %s pti=%s vcpus=%s: no JSON (status %d): %s", model, scenario, pti, vcpus,
		      r.status, r.stderr_text);
	/* What this machine cannot provoke (mov-ss-trap where the guest's data
	 * breakpoints are not delivered): status 3 with the guest's reason, said
	 * loudly; the hazards test pins which runs may end so. */
	if (r.status == 3 && strcmp(e2e_str(r.json, "outcome"), "unsupported") == 0 && e2e_str(r.json, "detail")[0]) {
		const char *vmm_part = e2e_str(r.json, "explanation");
		printf("UNSUPPORTED here: %s %s pti=%s vcpus=%s: %s%s%s\n", model, scenario, pti, vcpus,
		       e2e_str(r.json, "detail"), vmm_part[0] ? "; " : "", vmm_part);
		e2e_free(&r);
		return;
	}
	/* A mismatch the VMM attributes to a known backend deviation (vmm/explain/deviations.c). */
	if (r.status == 1 && e2e_str(r.json, "backend_deviation")[0]) {
		printf("known %s deviation: %s %s pti=%s vcpus=%s: %s\n", e2e_str(r.json, "backend"), model, scenario, pti,
		       vcpus, e2e_str(r.json, "backend_deviation"));
		e2e_free(&r);
		return;
	}
	ck_assert_msg(r.status == 0, "%s %s pti=%s vcpus=%s: status %d, outcome %s expected %s (%s), %lld violations, end %s",
		      model, scenario, pti, vcpus, r.status, e2e_str(r.json, "outcome"), e2e_str(r.json, "expected"),
		      e2e_str(r.json, "detail"), e2e_int(r.json, "violation_count"), e2e_str(r.json, "end_reason"));
	ck_assert_str_eq(e2e_str(r.json, "model"), model);
	ck_assert_str_eq(e2e_str(r.json, "scenario"), scenario);
	ck_assert_int_eq(e2e_int(r.json, "vcpus"), atoi(vcpus));
	e2e_free(&r);
}
END_TEST

int main(void)
{
	e2e_require_kvm();
	bool any = false;
	for (size_t m = 0; m < NMODELS; m++)
		any |= selected(models[m]);
	if (!any) {
		fprintf(stderr, "ENTRYBOX_CATALOG_MODELS=%s names no model of models.def\n", getenv("ENTRYBOX_CATALOG_MODELS"));
		return EXIT_FAILURE;
	}
	Suite *s = suite_create("e2e-catalog");
	TCase *tc = tcase_create("models x scenarios");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, outcome_matches_expectation, 0, (int)(NMODELS * NSCENARIOS * 4));
	suite_add_tcase(s, tc);
	return check_run(s);
}
