/* SPDX-License-Identifier: MIT */
/*
 * Checks where mistakes happen, end to end: the two mistakes the
 * kpti-cswitch design invites (its bug= values) are reported by rule name at
 * the instruction that made them; the panic that follows is a result with
 * its vector, symbol, source line, stack and CR3; the designs that block
 * safely pass the switch checkpoints; a mode a model refuses is n/a.
 */
#include <check.h>
#include "check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_util.h"

/* The first violation of `rule`, or NULL. */
static json_object *violation(json_object *run, const char *rule)
{
	json_object *arr;
	if (!json_object_object_get_ex(run, "violations", &arr))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *v = json_object_array_get_idx(arr, i);
		if (strcmp(e2e_str(v, "rule"), rule) == 0)
			return v;
	}
	return NULL;
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

START_TEST(store_to_the_kernel_stack_before_the_cr3_switch)
{
	const char *args[] = { "run", "--entry", "kpti-cswitch", "--scenario", "syscall-loop", "bug=kstack-before-cr3", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.json, "no JSON: %s", r.stderr_text);
	ck_assert_int_eq(r.status, 1);
	/* At the store itself, with the address, the PGD and the instruction. */
	json_object *v = violation(r.json, "user-cr3-kernel-access");
	ck_assert_msg(v, "no user-cr3-kernel-access violation");
	ck_assert_msg(starts(e2e_str(v, "symbol"), "kpti_cswitch_syscall_kstack_c+"), "at %s", e2e_str(v, "symbol"));
	ck_assert_msg(strstr(e2e_str(v, "insn"), "mov"), "insn %s", e2e_str(v, "insn"));
	ck_assert_msg(strstr(e2e_str(v, "source"), "kpti_cswitch.c:"), "source %s", e2e_str(v, "source"));
	const char *d = e2e_str(v, "detail");
	ck_assert_msg(strstr(d, "CPL0 wrote 0xffffc9") && strstr(d, "\"kstack-task0\", kernel-only") &&
			      strstr(d, "the user PGD") && strstr(d, "#PF error 0x2"),
		      "detail %s", d);
	/* The panic that follows, as a result. */
	ck_assert_str_eq(e2e_str(r.json, "outcome"), "panic");
	json_object *p;
	ck_assert(json_object_object_get_ex(r.json, "panic", &p) && p);
	ck_assert_int_eq(e2e_int(p, "vector"), 14);
	ck_assert_str_eq(e2e_str(p, "vector_name"), "#PF");
	ck_assert_str_eq(e2e_str(p, "symbol"), e2e_str(v, "symbol"));
	ck_assert_str_eq(e2e_str(p, "error"), "0x2");
	ck_assert_str_eq(e2e_str(p, "stack"), "entry0");
	ck_assert_str_eq(e2e_str(p, "cr3_kind"), "user PGD of task 0");
	ck_assert(starts(e2e_str(p, "cr2"), "0xffffc9"));
	e2e_free(&r);
}
END_TEST

START_TEST(sleep_on_the_shared_trampoline_stack)
{
	const char *args[] = { "run", "--entry", "kpti-cswitch", "--scenario", "sleep-in-entry", "bug=sleep-on-entry-stack",
			       NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.json, "no JSON: %s", r.stderr_text);
	ck_assert_int_eq(r.status, 1);
	/* At the switch that leaves the frames, naming who asked for it. */
	json_object *v = violation(r.json, "switch-live-frame");
	ck_assert_msg(v, "no switch-live-frame violation");
	ck_assert_msg(starts(e2e_str(v, "symbol"), "schedule+"), "at %s", e2e_str(v, "symbol"));
	ck_assert_msg(strstr(e2e_str(v, "insn"), "call"), "insn %s", e2e_str(v, "insn"));
	const char *d = e2e_str(v, "detail");
	ck_assert_msg(strstr(d, "task 0 leaves cpu 0 with its live frames on shared stack \"entry0\"") &&
			      strstr(d, "kpti_cswitch_syscall_c"),
		      "detail %s", d);
	ck_assert_str_eq(e2e_str(r.json, "expected"), "fail");
	e2e_free(&r);
}
END_TEST

static const char *const safe_blocks[][2] = { { "pervcpu", "pervcpu_sleep=copy" }, { "pervcpu", "pervcpu_sleep=pin" },
					      { "pertask", NULL } };

START_TEST(designs_that_block_safely_pass_the_switch_checks)
{
	const char *model = safe_blocks[_i / 2][0], *opt = safe_blocks[_i / 2][1];
	const char *vcpus = _i % 2 ? "2" : "1";
	const char *args[] = { "run", "--entry", model, "--vcpus", vcpus, "--scenario", "sleep-in-entry", opt, NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.json && r.status == 0, "%s %s vcpus=%s: status %d, %lld violations: %s", model, opt ? opt : "",
		      vcpus, r.status, e2e_int(r.json, "violation_count"), r.stderr_text);
	ck_assert_str_eq(e2e_str(r.json, "outcome"), "pass");
	e2e_free(&r);
}
END_TEST

START_TEST(kernel_exceptions_are_watched)
{
	const char *args[] = { "run", "--scenario", "user-pf", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.json && r.status == 0, "status %d: %s", r.status, r.stderr_text);
	json_object *fw;
	ck_assert(json_object_object_get_ex(r.json, "fault_watch", &fw) && fw);
	/* #PF everywhere (kvm_pvm: the syscall boundary's own breakpoint); on
	 * vmx and svm all four, with the two slots the boundary leaves. */
	ck_assert_msg(strstr(e2e_str(fw, "watched"), "#PF"), "watched: %s", e2e_str(fw, "watched"));
	if (strcmp(e2e_str(r.json, "backend"), "pvm") != 0)
		ck_assert_str_eq(e2e_str(fw, "watched"), "#PF #DF #GP #UD");
	e2e_free(&r);
}
END_TEST

/* A #GP injected into kernel code: judged on its instruction where a debug
 * register was left for #GP, and said to be unjudged where none was (kvm_pvm,
 * where --inject takes the last free one). */
START_TEST(kernel_gp_is_judged_or_said_unjudged)
{
	const char *args[] = { "run", "--scenario", "syscall-loop", "--inject", "gp@kpti_syscall_c", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.json, "no JSON: %s", r.stderr_text);
	json_object *p = NULL, *fw = NULL;
	ck_assert(json_object_object_get_ex(r.json, "panic", &p) && p);
	ck_assert(json_object_object_get_ex(r.json, "fault_watch", &fw) && fw);
	ck_assert_int_eq(e2e_int(p, "vector"), 13);
	ck_assert_str_eq(e2e_str(p, "symbol"), "kpti_syscall_c+0x0");
	if (strstr(e2e_str(fw, "watched"), "#GP")) {
		ck_assert_int_ge(e2e_int(fw, "judged"), 1);
		ck_assert_str_eq(e2e_str(p, "cr3_kind"), "kernel PGD of task 0");
	} else {
		ck_assert_msg(strstr(e2e_str(fw, "unwatched"), "#GP"), "unwatched: %s", e2e_str(fw, "unwatched"));
		ck_assert_msg(strstr(e2e_str(p, "cr3_kind"), "that check did not run"), "cr3_kind: %s", e2e_str(p, "cr3_kind"));
	}
	e2e_free(&r);
}
END_TEST

START_TEST(a_mode_the_model_refuses_is_not_applicable)
{
	const char *args[] = { "run", "--entry", "kpti-cswitch", "--pti", "off", "bug=kstack-before-cr3", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.json && r.status == 0, "status %d: %s", r.status, r.stderr_text);
	ck_assert_str_eq(e2e_str(r.json, "outcome"), "not-applicable");
	ck_assert_str_eq(e2e_str(r.json, "expected"), "not-applicable");
	ck_assert_msg(strstr(e2e_str(r.json, "detail"), "entry=kpti-cswitch refuses this mode: bug=kstack-before-cr3 needs pti=on"),
		      "detail %s", e2e_str(r.json, "detail"));
	e2e_free(&r);
}
END_TEST

int main(void)
{
	e2e_require_kvm();
	Suite *s = suite_create("e2e-checks");
	TCase *tc = tcase_create("checks");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, store_to_the_kernel_stack_before_the_cr3_switch);
	tcase_add_test(tc, sleep_on_the_shared_trampoline_stack);
	tcase_add_loop_test(tc, designs_that_block_safely_pass_the_switch_checks, 0,
			    (int)(2 * sizeof(safe_blocks) / sizeof(safe_blocks[0])));
	tcase_add_test(tc, kernel_exceptions_are_watched);
	tcase_add_test(tc, a_mode_the_model_refuses_is_not_applicable);
	tcase_add_test(tc, kernel_gp_is_judged_or_said_unjudged);
	suite_add_tcase(s, tc);
	return check_run(s);
}
