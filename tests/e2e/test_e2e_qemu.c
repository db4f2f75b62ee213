/* SPDX-License-Identifier: MIT */
/* The same guest and command line under QEMU TCG (the reference CPU) and under
 * our VMM must reach the same outcomes.  The TCG runs alone need no KVM; the
 * comparison with our VMM is the separate test e2e-qemu-kvm. */
#include <check.h>
#include "check_run.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_util.h"

static const char *const scenarios[] = { "boot", "syscall-loop", "regs-roundtrip", "user-pf" };
static const char *const ptis[] = { "on", "off" };

/* Runs the scenario under QEMU TCG; the reference itself must pass. */
static void run_tcg(const char *scenario, const char *pti, struct e2e_run *q)
{
	const char *qargs[] = { "qemu", "--accel", "tcg", "--scenario", scenario, "--pti", pti, "--tasks", "3",
				"--iters", "60", NULL };
	e2e_run(q, true, qargs);
	ck_assert_msg(q->json != NULL, "qemu %s pti=%s: no JSON; stderr: %s", scenario, pti, q->stderr_text);
	ck_assert_msg(q->status == 0, "qemu %s pti=%s: status %d outcome %s; stderr: %s", scenario, pti, q->status,
		      e2e_str(q->json, "outcome"), q->stderr_text);
	ck_assert_str_eq(e2e_str(q->json, "engine"), "qemu-tcg");
	ck_assert_str_eq(e2e_str(q->json, "scenario"), scenario);
}

START_TEST(tcg_reaches_the_expected_outcome)
{
	struct e2e_run q;
	run_tcg(scenarios[_i / 2], ptis[_i % 2], &q);
	e2e_free(&q);
}
END_TEST

/* The kvm part: our VMM on /dev/kvm ends the same way as the reference. */
START_TEST(tcg_and_our_vmm_agree)
{
	const char *scenario = scenarios[_i / 2];
	const char *pti = ptis[_i % 2];
	struct e2e_run q;
	run_tcg(scenario, pti, &q);
	const char *kargs[] = { "run", "--scenario", scenario, "--pti", pti, "--tasks", "3", "--iters", "60", NULL };
	struct e2e_run k;
	e2e_run(&k, true, kargs);
	ck_assert_msg(k.json != NULL, "kvm %s pti=%s: no JSON; stderr: %s", scenario, pti, k.stderr_text);
	ck_assert_str_eq(e2e_str(k.json, "outcome"), e2e_str(q.json, "outcome"));
	ck_assert_str_eq(e2e_str(k.json, "expected"), e2e_str(q.json, "expected"));
	ck_assert_int_eq(k.status, q.status);
	e2e_free(&k);
	e2e_free(&q);
}
END_TEST

START_TEST(pcid_follows_the_cpu_under_tcg)
{
	/* QEMU 7.2's TCG has no PCID, newer ones do: either the pcid=on paths run
	 * and pass, or the guest says the CPU lacks PCID and the run ends with 3. */
	const char *args[] = { "qemu", "--accel", "tcg", "--scenario", "syscall-loop", "--pcid", "on", "--iters", "60", NULL };
	struct e2e_run q;
	e2e_run(&q, true, args);
	ck_assert_msg(q.status == 0 || q.status == 3, "status %d; stderr: %s", q.status, q.stderr_text);
	if (q.status == 0) {
		ck_assert_ptr_nonnull(q.json);
		ck_assert_str_eq(e2e_str(q.json, "outcome"), "pass");
		ck_assert_str_eq(e2e_str(q.json, "pcid"), "on");
	} else {
		printf("pcid=on under TCG: the CPU model has no PCID (status 3)\n");
	}
	e2e_free(&q);
}
END_TEST

/* A representative subset of the other models under the reference CPU. */
static const char *const subset[][8] = {
	{ "pertask", "sleep-in-entry", "on", NULL },
	{ "pertask", "bad-iret", "off", NULL },
	{ "pervcpu", "sleep-in-entry", "on", "pervcpu_sleep=copy", NULL },
	{ "pervcpu", "sleep-in-entry", "off", "pervcpu_sleep=pin", NULL },
	{ "pervcpu", "regs-roundtrip", "on", NULL },
	{ "xen", "syscall-loop", "on", NULL },
	{ "xen", "nt-syscall", "off", NULL },
	{ "ukl", "ukl-stack-df", "off", "ukl_df=workaround", NULL },
	{ "ukl", "ukl-stack-df", "off", "ukl_df=ist", NULL },
	{ "ukl", "syscall-loop", "off", NULL },
};

START_TEST(other_models_under_tcg)
{
	const char *const *row = subset[_i];
	const char *args[16] = { "qemu", "--accel", "tcg", "--entry", row[0], "--scenario", row[1], "--pti", row[2],
				 "--iters", "40" };
	int n = 11;
	for (int k = 3; row[k]; k++)
		args[n++] = row[k];
	args[n] = NULL;
	struct e2e_run q;
	e2e_run(&q, true, args);
	ck_assert_msg(q.json != NULL, "%s %s: no JSON; stderr: %s", row[0], row[1], q.stderr_text);
	ck_assert_msg(q.status == 0, "%s %s pti=%s %s: status %d outcome %s expected %s (%s)", row[0], row[1], row[2],
		      row[3] ? row[3] : "", q.status, e2e_str(q.json, "outcome"), e2e_str(q.json, "expected"),
		      e2e_str(q.json, "detail"));
	ck_assert_str_eq(e2e_str(q.json, "model"), row[0]);
	e2e_free(&q);
}
END_TEST

/* A hostile guest gets no more out of QEMU than out of our VMM: the same
 * console lines, the same limits (tests/guests/verdicts.S, flood.S). */
START_TEST(hostile_guests_are_bounded_under_tcg)
{
	static const char *const names[] = { "verdicts", "flood" };
	char guest[512];
	e2e_hostile_guest(names[_i], guest, sizeof(guest));
	const char *args[] = { "qemu", "--accel", "tcg", "--guest", guest, "--timeout", "60", NULL };
	struct e2e_run q;
	e2e_run(&q, true, args);
	if (_i == 0)
		e2e_assert_repeated_verdicts(&q, "qemu-tcg");
	else
		e2e_assert_flood_stopped(&q, "qemu-tcg");
	e2e_free(&q);
}
END_TEST

/* "tcg" (the default) runs the reference alone, on any host; "kvm" compares
 * it with our VMM and belongs to the kvm suite. */
int main(int argc, char **argv)
{
	bool kvm = argc > 1 && strcmp(argv[1], "kvm") == 0;
	e2e_require_qemu();
	if (kvm)
		e2e_require_kvm();
	Suite *s = suite_create(kvm ? "e2e-qemu-kvm" : "e2e-qemu");
	TCase *tc = tcase_create("parity");
	tcase_set_timeout(tc, 120);
	if (kvm) {
		tcase_add_loop_test(tc, tcg_and_our_vmm_agree, 0, 8);
	} else {
		tcase_add_loop_test(tc, tcg_reaches_the_expected_outcome, 0, 8);
		tcase_add_test(tc, pcid_follows_the_cpu_under_tcg);
		tcase_add_loop_test(tc, other_models_under_tcg, 0, (int)(sizeof(subset) / sizeof(subset[0])));
		tcase_add_loop_test(tc, hostile_guests_are_bounded_under_tcg, 0, 2);
	}
	suite_add_tcase(s, tc);
	return check_run(s);
}
