/* SPDX-License-Identifier: MIT */
/* End-to-end runs of the real guest under our VMM on the real /dev/kvm. */
#include <check.h>
#include "check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e_util.h"

static const char *const scenarios[] = { "boot", "syscall-loop", "regs-roundtrip", "user-pf" };
static const char *const ptis[] = { "on", "off" };

static void assert_clean_pass(struct e2e_run *r, const char *scenario, const char *pti)
{
	ck_assert_msg(r->json != NULL, "%s pti=%s: no JSON; stderr: %s", scenario, pti, r->stderr_text);
	ck_assert_msg(r->status == 0, "%s pti=%s: status %d outcome %s (%s) end %s; stderr: %s", scenario, pti,
		      r->status, e2e_str(r->json, "outcome"), e2e_str(r->json, "detail"),
		      e2e_str(r->json, "end_reason"), r->stderr_text);
	ck_assert_str_eq(e2e_str(r->json, "outcome"), "pass");
	ck_assert_str_eq(e2e_str(r->json, "expected"), "pass");
	ck_assert_str_eq(e2e_str(r->json, "scenario"), scenario);
	ck_assert_str_eq(e2e_str(r->json, "pti"), pti);
	ck_assert_str_eq(e2e_str(r->json, "model"), "kpti");
	ck_assert_int_gt(e2e_int(r->json, "exits"), 0);
	ck_assert_int_gt(e2e_int(r->json, "checks"), 0);
	ck_assert_int_eq(e2e_int(r->json, "violation_count"), 0);
}

START_TEST(every_scenario_passes_clean)
{
	const char *scenario = scenarios[_i / 2];
	const char *pti = ptis[_i % 2];
	const char *args[] = { "run", "--scenario", scenario, "--pti", pti, "--tasks", "3", "--iters", "60", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	assert_clean_pass(&r, scenario, pti);
	if (strcmp(scenario, "boot") != 0 && strcmp(e2e_str(r.json, "backend"), "pvm") == 0)
		ck_assert_int_gt(e2e_int(r.json, "syscall_repairs"), 0);
	e2e_free(&r);
}
END_TEST

START_TEST(syscall_loop_is_measured_by_single_stepping)
{
	const char *pti = ptis[_i];
	const char *args[] = { "run", "--scenario", "syscall-loop", "--pti", pti, NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	assert_clean_pass(&r, "syscall-loop", pti);
	json_object *m = NULL;
	ck_assert(json_object_object_get_ex(r.json, "measure", &m));
	long long iters = e2e_int(m, "iterations");
	long long insns = e2e_int(m, "instructions");
	ck_assert_int_gt(iters, 0);
	/* A null syscall round trip is tens to a few hundred instructions in any of
	 * the designs; outside that the counting is broken. */
	ck_assert_int_gt(insns / iters, 15);
	ck_assert_int_lt(insns / iters, 2000);
	printf("syscall-loop pti=%s: %lld instructions over %lld round trips (%.1f each), %lld exits\n", pti, insns,
	       iters, (double)insns / (double)iters, e2e_int(m, "exits"));
	e2e_free(&r);
}
END_TEST

START_TEST(checker_catches_skipped_user_cr3)
{
	const char *args[] = { "run", "--scenario", "syscall-loop", "--pti", "on", "--iters", "20", "bug=skip-user-cr3", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.json != NULL, "no JSON; stderr: %s", r.stderr_text);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(e2e_has_violation(r.json, "cr3-user-mode"), "no cr3-user-mode violation reported");
	e2e_free(&r);
}
END_TEST

START_TEST(checker_catches_skipped_swapgs)
{
	const char *args[] = { "run", "--scenario", "syscall-loop", "--pti", "off", "--iters", "20", "bug=skip-swapgs", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.json != NULL, "no JSON; stderr: %s", r.stderr_text);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(e2e_has_violation(r.json, "gs-base"), "no gs-base violation reported");
	e2e_free(&r);
}
END_TEST

START_TEST(truncated_guest_image_is_bad_input)
{
	const char *guest = getenv("ENTRYBOX_GUEST");
	ck_assert_ptr_nonnull(guest);
	char path[] = "/tmp/ebx-e2e-trunc-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *in = fopen(guest, "rb");
	ck_assert_ptr_nonnull(in);
	char buf[300];
	size_t n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
	close(fd);
	const char *args[] = { "run", "--guest", path, NULL };
	struct e2e_run r;
	e2e_run(&r, false, args);
	unlink(path);
	ck_assert_int_eq(r.status, 2);
	ck_assert_int_eq(r.stderr_lines, 1);
}
END_TEST

START_TEST(watchdog_ends_a_run_that_does_not_finish)
{
	const char *args[] = { "run", "--scenario", "syscall-loop", "--iters", "10000000", "--timeout", "1", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.json != NULL, "no JSON; stderr: %s", r.stderr_text);
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(e2e_str(r.json, "end"), "timeout");
	e2e_free(&r);
}
END_TEST

START_TEST(pcid_needs_the_cpu_feature)
{
	const char *args[] = { "run", "--scenario", "syscall-loop", "--pcid", "on", "--iters", "20", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	/* kvm_pvm has no PCID: the run must say so with status 3; where the CPU has
	 * PCID the scenario must pass. */
	if (r.status == 3)
		ck_assert_int_eq(r.stderr_lines >= 1, 1);
	else
		assert_clean_pass(&r, "syscall-loop", "on");
	e2e_free(&r);
}
END_TEST

static const char *const hv_scenarios[] = { "syscall-loop", "regs-roundtrip", "user-pf", "sysret-noncanonical",
					   "bad-iret" };

START_TEST(xen_with_the_vmm_as_hypervisor)
{
	const char *scenario = hv_scenarios[_i / 2];
	const char *pti = ptis[_i % 2];
	const char *args[] = { "run", "--entry", "xen", "--scenario", scenario, "--pti", pti, "--iters", "40", "hv=vmm",
			       NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.json != NULL, "no JSON; stderr: %s", r.stderr_text);
	ck_assert_msg(r.status == 0, "xen hv=vmm %s pti=%s: status %d outcome %s (%s) end %s", scenario, pti, r.status,
		      e2e_str(r.json, "outcome"), e2e_str(r.json, "detail"), e2e_str(r.json, "end_reason"));
	json_object *hc = NULL;
	ck_assert_msg(json_object_object_get_ex(r.json, "hypercalls", &hc), "no hypercalls served by the VMM");
	ck_assert_int_gt(e2e_int(hc, "syscall_bounces"), 0);
	/* bad-iret returns through a frame with a kernel SS, sysret-noncanonical to
	 * RIP 2^47: the VMM must refuse both frames; every other return is valid. */
	bool bad_frame = strcmp(scenario, "bad-iret") == 0 || strcmp(scenario, "sysret-noncanonical") == 0;
	if (bad_frame)
		ck_assert_int_gt(e2e_int(hc, "irets_refused"), 0);
	else
		ck_assert_int_eq(e2e_int(hc, "irets_refused"), 0);
	e2e_free(&r);
}
END_TEST

START_TEST(ukl_without_any_ist_triple_faults_and_is_explained)
{
	const char *args[] = { "run", "--entry", "ukl", "--pti", "off", "--scenario", "ukl-stack-df", "ukl_df=none", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.json != NULL, "no JSON; stderr: %s", r.stderr_text);
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(e2e_str(r.json, "end"), "triple-fault");
	const char *why = e2e_str(r.json, "explanation");
	ck_assert_msg(strstr(why, "#PF at ukl_stack_probe") && strstr(why, "#DF without IST") &&
			      strstr(why, "-> shutdown") && strstr(why, "ukl-task"),
		      "explanation: %s", why);
	e2e_free(&r);
}
END_TEST

/* ---- the VMM's checks of its own coverage ---- */

static json_object *coverage_check(json_object *run, const char *name)
{
	json_object *cov = NULL;
	ck_assert(json_object_object_get_ex(run, "coverage", &cov));
	for (size_t i = 0; i < json_object_array_length(cov); i++) {
		json_object *c = json_object_array_get_idx(cov, i);
		if (strcmp(e2e_str(c, "check"), name) == 0)
			return c;
	}
	return NULL;
}

static const char *const coverage_selections[][4] = {
	{ "kpti", "on", NULL }, { "kpti", "off", NULL }, { "pertask", "on", NULL }, { "pervcpu", "on", NULL },
	{ "xen", "on", NULL }, { "xen", "on", "hv=vmm" }, { "ukl", "off", NULL },
};

/* Every syscall the guest counted was stopped at, every round trip of the
 * measured region stepped: on every model, a ring-0 application's included. */
START_TEST(coverage_is_checked_on_every_model)
{
	const char *const *sel = coverage_selections[_i];
	const char *args[] = { "run", "--entry", sel[0], "--pti", sel[1], "--scenario", "syscall-loop", sel[2], NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.json && r.status == 0, "%s pti=%s %s: status %d; stderr: %s", sel[0], sel[1],
		      sel[2] ? sel[2] : "", r.status, r.stderr_text);
	json_object *b = coverage_check(r.json, "syscall-boundary");
	ck_assert_ptr_nonnull(b);
	ck_assert_int_gt(e2e_int(b, "expected"), 0);
	ck_assert_int_eq(e2e_int(b, "observed"), e2e_int(b, "expected"));
	json_object *t = coverage_check(r.json, "stepped-round-trips");
	ck_assert_ptr_nonnull(t);
	ck_assert_int_gt(e2e_int(t, "expected"), 0);
	ck_assert_int_eq(e2e_int(t, "observed"), e2e_int(t, "expected"));
	ck_assert(json_object_get_boolean(json_object_object_get(coverage_check(r.json, "measured-region"), "ok")));
	e2e_free(&r);
}
END_TEST

START_TEST(a_trace_that_never_started_fails_the_run)
{
	char path[] = "/tmp/entrybox-notrace-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	const char *args[] = { "run", "--scenario", "boot", "--trace", path, NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	unlink(path);
	ck_assert_msg(r.json != NULL, "no JSON; stderr: %s", r.stderr_text);
	ck_assert_str_eq(e2e_str(r.json, "outcome"), "pass");
	ck_assert_int_eq(r.status, 1);
	json_object *t = coverage_check(r.json, "trace");
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(e2e_int(t, "observed"), 0);
	ck_assert_ptr_nonnull(strstr(e2e_str(t, "what"), "no-boundary"));
	e2e_free(&r);
}
END_TEST

int main(void)
{
	e2e_require_kvm();
	Suite *s = suite_create("e2e-kvm");
	TCase *tc = tcase_create("runs");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, every_scenario_passes_clean, 0, 8);
	tcase_add_loop_test(tc, syscall_loop_is_measured_by_single_stepping, 0, 2);
	tcase_add_test(tc, checker_catches_skipped_user_cr3);
	tcase_add_test(tc, checker_catches_skipped_swapgs);
	tcase_add_test(tc, truncated_guest_image_is_bad_input);
	tcase_add_test(tc, watchdog_ends_a_run_that_does_not_finish);
	tcase_add_test(tc, pcid_needs_the_cpu_feature);
	tcase_add_loop_test(tc, xen_with_the_vmm_as_hypervisor, 0, 10);
	tcase_add_test(tc, ukl_without_any_ist_triple_faults_and_is_explained);
	tcase_add_loop_test(tc, coverage_is_checked_on_every_model, 0,
			    (int)(sizeof(coverage_selections) / sizeof(coverage_selections[0])));
	tcase_add_test(tc, a_trace_that_never_started_fails_the_run);
	suite_add_tcase(s, tc);
	return check_run(s);
}
