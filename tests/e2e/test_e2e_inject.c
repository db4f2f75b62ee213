/* SPDX-License-Identifier: MIT */
/* --inject end to end on kpti: delivery, "not reached", and a full sweep of the syscall path. */
#include <check.h>
#include "check_run.h"
#include <stdlib.h>
#include <string.h>

#include "e2e_util.h"

static json_object *first_injection(json_object *o)
{
	json_object *a = NULL;
	ck_assert(json_object_object_get_ex(o, "injections", &a));
	ck_assert_int_ge(json_object_array_length(a), 1);
	return json_object_array_get_idx(a, 0);
}

static void run_inject(struct e2e_run *r, const char *spec)
{
	const char *args[] = { "run", "--entry", "kpti", "--pti", "on", "--scenario", "syscall-loop", "--iters", "4",
			       "--quiet", "--inject", spec, NULL };
	e2e_run(r, true, args);
	ck_assert_msg(r->json != NULL, "%s: no JSON; stderr: %s", spec, r->stderr_text);
}

START_TEST(nmi_in_entry_survives)
{
	struct e2e_run r;
	run_inject(&r, "nmi@entry_SYSCALL_64+3");
	json_object *in = first_injection(r.json);
	ck_assert(json_object_get_boolean(json_object_object_get(in, "reached")));
	ck_assert_str_eq(e2e_str(in, "at"), "entry_SYSCALL_64+0x3");
	ck_assert_str_eq(e2e_str(in, "outcome"), "survived");
	ck_assert_int_eq(r.status, 0);
	e2e_free(&r);
}
END_TEST

/* Exceptions in kernel code are fatal to this guest by design (traps.c), but
 * for #DB, which the kernel survives as Linux does: the injection is reached
 * and the run reports the failure, never a pass. */
START_TEST(each_kind_is_delivered)
{
	static const char *const specs[] = { "pf@kpti_syscall_c:0x1000", "gp@kpti_syscall_c", "db@kpti_syscall_c",
					     "irq@kpti_syscall_c:0x40" };
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct e2e_run r;
		run_inject(&r, specs[i]);
		json_object *in = first_injection(r.json);
		ck_assert_msg(json_object_get_boolean(json_object_object_get(in, "reached")), "%s not reached", specs[i]);
		ck_assert_str_eq(e2e_str(in, "at"), "kpti_syscall_c+0x0");
		const char *outcome = e2e_str(in, "outcome");
		if (strncmp(specs[i], "irq", 3) == 0 || strncmp(specs[i], "db", 2) == 0)
			ck_assert_str_eq(outcome, "survived");
		else
			ck_assert_msg(strcmp(outcome, "survived") != 0 && r.status == 1, "%s: %s", specs[i], outcome);
		e2e_free(&r);
	}
}
END_TEST

START_TEST(unreachable_loc_is_not_reached)
{
	struct e2e_run r;
	/* The pcid entry is never used with pti=on pcid=off. */
	run_inject(&r, "nmi@entry_SYSCALL_64_pcid");
	json_object *in = first_injection(r.json);
	ck_assert(!json_object_get_boolean(json_object_object_get(in, "reached")));
	ck_assert_str_eq(e2e_str(in, "outcome"), "not-reached");
	ck_assert_int_eq(r.status, 1);
	e2e_free(&r);
}
END_TEST

START_TEST(unknown_symbol_is_bad_input)
{
	struct e2e_run r;
	const char *args[] = { "run", "--scenario", "boot", "--inject", "nmi@no_such_symbol", NULL };
	e2e_run(&r, false, args);
	ck_assert_int_eq(r.status, 2);
	ck_assert(strstr(r.stderr_text, "no_such_symbol") != NULL);
	e2e_free(&r);
}
END_TEST

static long long debug_exits(json_object *j)
{
	json_object *k = NULL;
	ck_assert(json_object_object_get_ex(j, "exits_by_kind", &k));
	return e2e_int(k, "debug");
}

/* The stack-growth task asks for an inject point with its RSP at a page base;
 * the VMM takes the page below away, and the task's next push must come back
 * as one more ordinary #PF from user mode that stack growth absorbs. */
START_TEST(pf_user_stack_forces_a_user_fault)
{
	const char *plain[] = { "run", "--scenario", "user-pf", "--tasks", "1", NULL };
	const char *forced[] = { "run", "--scenario", "user-pf", "--tasks", "1", "--inject", "pf-user-stack", NULL };
	struct e2e_run a, b;
	e2e_run(&a, true, plain);
	e2e_run(&b, true, forced);
	ck_assert_msg(a.json && b.json, "no JSON: %s %s", a.stderr_text, b.stderr_text);
	ck_assert_int_eq(a.status, 0);
	ck_assert_msg(b.status == 0, "status %d: %s", b.status, e2e_str(b.json, "detail"));
	json_object *inj = NULL;
	ck_assert(json_object_object_get_ex(b.json, "injections", &inj));
	ck_assert_int_eq(json_object_array_length(inj), 1);
	json_object *one = json_object_array_get_idx(inj, 0);
	ck_assert_str_eq(e2e_str(one, "outcome"), "survived");
	ck_assert_ptr_nonnull(strstr(e2e_str(one, "detail"), "unmapped"));
	/* kvm_pvm shows a #PF as a breakpoint on the handler plus a step over it,
	 * and once more where the #PF stub joins the common path of #GP and #UD
	 * when the fault watch has that path (docs/design.md §6). */
	if (strcmp(e2e_str(b.json, "backend"), "pvm") == 0) {
		json_object *fw = NULL;
		ck_assert(json_object_object_get_ex(b.json, "fault_watch", &fw) && fw);
		long long common = strstr(e2e_str(fw, "watched"), "#GP") ? 2 : 0;
		ck_assert_int_eq(debug_exits(b.json), debug_exits(a.json) + 2 + common);
	}
	e2e_free(&a);
	e2e_free(&b);
}
END_TEST

START_TEST(nmi_sweep_of_the_syscall_path)
{
	struct e2e_run r;
	run_inject(&r, "nmi@each:syscall");
	json_object *sw = NULL;
	ck_assert(json_object_object_get_ex(r.json, "sweep", &sw));
	long long points = e2e_int(sw, "points");
	long long sum = e2e_int(sw, "survived") + e2e_int(sw, "violations") + e2e_int(sw, "triple_faults") +
			e2e_int(sw, "failed") + e2e_int(sw, "not_reached");
	ck_assert_int_gt(points, 50);
	ck_assert_int_eq(points, sum);
	ck_assert_int_eq(e2e_int(sw, "not_reached"), 0);
	json_object *pp = json_object_object_get(sw, "per_point");
	ck_assert_int_eq((long long)json_object_array_length(pp), points);
	ck_assert_str_eq(e2e_str(json_object_array_get_idx(pp, 0), "at"), "entry_SYSCALL_64+0x0");
	ck_assert_str_eq(e2e_str(json_object_array_get_idx(pp, (size_t)points - 1), "insn"), "sysretq");
	ck_assert_str_eq(e2e_str(sw, "mode"), "snapshot");
	e2e_free(&r);
}
END_TEST

int main(void)
{
	e2e_require_kvm();
	Suite *s = suite_create("e2e-inject");
	TCase *tc = tcase_create("kpti");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, nmi_in_entry_survives);
	tcase_add_test(tc, each_kind_is_delivered);
	tcase_add_test(tc, unreachable_loc_is_not_reached);
	tcase_add_test(tc, unknown_symbol_is_bad_input);
	tcase_add_test(tc, pf_user_stack_forces_a_user_fault);
	tcase_add_test(tc, nmi_sweep_of_the_syscall_path);
	suite_add_tcase(s, tc);
	return check_run(s);
}
