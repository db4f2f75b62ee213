/* SPDX-License-Identifier: MIT */
/* --inject end to end on kpti: delivery, "not reached", and a full sweep of the syscall path. */
#include <check.h>
#include "check_run.h"
#include <stdlib.h>
#include <stdio.h>
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

/* Plain pf-user-stack: at the task's first syscall entry the stack page(s) it
 * came from are taken with their contents; the task's next touch is one more
 * ordinary #PF from user mode, the page comes back, and the scenario passes. */
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
	ck_assert_ptr_nonnull(strstr(e2e_str(one, "detail"), "taken"));
	/* kvm_pvm shows a #PF as a breakpoint on the handler plus a step over it,
	 * and once more where the #PF stub joins the common path of #GP and #UD
	 * when the fault watch has that path (docs/design.md §6); taking the page
	 * at the syscall boundary may add steps of its own. */
	if (strcmp(e2e_str(b.json, "backend"), "pvm") == 0) {
		json_object *fw = NULL;
		ck_assert(json_object_object_get_ex(b.json, "fault_watch", &fw) && fw);
		long long common = strstr(e2e_str(fw, "watched"), "#GP") ? 2 : 0;
		ck_assert_int_ge(debug_exits(b.json), debug_exits(a.json) + 2 + common);
	}
	e2e_free(&a);
	e2e_free(&b);
}
END_TEST

static const char *const user_code_models[][2] = {
	{ "kpti", "on" }, { "kpti", "off" }, { "pertask", "on" }, { "pervcpu", "on" }, { "xen", "on" }, { "ukl", "off" },
};

/* Any scenario with user or application code: syscall-loop on every model. */
START_TEST(pf_user_stack_in_every_model)
{
	const char *const *m = user_code_models[_i];
	const char *args[] = { "run", "--entry", m[0], "--pti", m[1], "--scenario", "syscall-loop", "--inject",
			       "pf-user-stack", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.json && r.status == 0, "%s: status %d: %s", m[0], r.status, r.stderr_text);
	json_object *one = json_object_array_get_idx(json_object_object_get(r.json, "injections"), 0);
	ck_assert_str_eq(e2e_str(one, "outcome"), "survived");
	ck_assert_ptr_nonnull(strstr(e2e_str(one, "detail"), "taken at RSP 0x7"));
	e2e_free(&r);
}
END_TEST

/* The mission's example: a #PF on a UKL application's stack in its syscall
 * entry.  The #DF workaround and the #PF IST survive it; without either the
 * CPU cannot deliver the #PF on the stack that faulted, nor the #DF: a triple
 * fault, explained down to the instruction. */
START_TEST(ukl_pf_on_the_application_stack)
{
	static const char *const dfs[] = { "ukl_df=workaround", "ukl_df=ist", "ukl_df=none" };
	const char *args[] = { "run", "--entry", "ukl", "--pti", "off", "--scenario", "syscall-loop", "--inject",
			       "pf-user-stack@ukl_entry_SYSCALL_64", dfs[_i], NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.json != NULL, "%s: no JSON: %s", dfs[_i], r.stderr_text);
	json_object *one = json_object_array_get_idx(json_object_object_get(r.json, "injections"), 0);
	ck_assert_str_eq(e2e_str(one, "at"), "ukl_entry_SYSCALL_64+0x0");
	if (_i < 2) {
		ck_assert_msg(r.status == 0, "%s: status %d, %s", dfs[_i], r.status, e2e_str(one, "detail"));
		ck_assert_str_eq(e2e_str(one, "outcome"), "survived");
	} else {
		ck_assert_int_eq(r.status, 1);
		ck_assert_str_eq(e2e_str(one, "outcome"), "triple-fault");
		const char *why = e2e_str(r.json, "explanation");
		ck_assert_msg(strstr(why, "#PF at ukl_entry_SYSCALL_64+0x") && strstr(why, "#DF") &&
			      strstr(why, "shutdown") && strstr(why, "(%rsp)"), "explanation: %s", why);
	}
	e2e_free(&r);
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

static json_object *sweep_of(const char *const *args, struct e2e_run *r)
{
	e2e_run(r, true, args);
	ck_assert_msg(r->json != NULL, "no JSON: %s", r->stderr_text);
	json_object *sw = NULL;
	ck_assert_msg(json_object_object_get_ex(r->json, "sweep", &sw), "no sweep: %s", r->stderr_text);
	return sw;
}

/* Snapshots (2 vCPUs, the other one held at a safe point, only dirtied pages
 * restored) give the verdict a fresh boot per point gives, at every point. */
START_TEST(snapshot_sweep_on_two_vcpus_matches_reboot)
{
	const char *snap[] = { "run", "--scenario", "syscall-loop", "--vcpus", "2", "--tasks", "2", "--iters", "5",
			       "--inject", "nmi@each:syscall", NULL };
	const char *boot[] = { "run", "--scenario", "syscall-loop", "--vcpus", "2", "--tasks", "2", "--iters", "5",
			       "--inject", "nmi@each:syscall", "--sweep-mode", "reboot", NULL };
	struct e2e_run a, b;
	json_object *sa = sweep_of(snap, &a), *sb = sweep_of(boot, &b);
	ck_assert_str_eq(e2e_str(sa, "mode"), "snapshot");
	ck_assert_str_eq(e2e_str(sb, "mode"), "reboot");
	ck_assert_int_gt(e2e_int(sa, "points"), 50);
	ck_assert_int_eq(e2e_int(sa, "points"), e2e_int(sb, "points"));
	ck_assert_int_eq(e2e_int(sa, "not_reached"), 0);
	json_object *pa = json_object_object_get(sa, "per_point"), *pb = json_object_object_get(sb, "per_point");
	for (size_t i = 0; i < json_object_array_length(pa); i++) {
		json_object *x = json_object_array_get_idx(pa, i), *y = json_object_array_get_idx(pb, i);
		ck_assert_str_eq(e2e_str(x, "at"), e2e_str(y, "at"));
		ck_assert_msg(strcmp(e2e_str(x, "outcome"), e2e_str(y, "outcome")) == 0, "point %zu %s: %s vs %s (%s)", i,
			      e2e_str(x, "at"), e2e_str(x, "outcome"), e2e_str(y, "outcome"), e2e_str(y, "detail"));
	}
	/* Only what a point dirtied comes back: far less than the 16384 pages of RAM per point. */
	ck_assert_int_lt(e2e_int(sa, "restored_pages"), e2e_int(sa, "points") * 512);
	printf("2 vCPUs: %.0f points/s with snapshots, %.1f rebooting\n",
	       json_object_get_double(json_object_object_get(sa, "points_per_second")),
	       json_object_get_double(json_object_object_get(sb, "points_per_second")));
	e2e_free(&a);
	e2e_free(&b);
}
END_TEST

/* Per instruction of the UKL syscall path, which ukl_df answers survive a #PF
 * on the application stack.  While the entry still runs on the application
 * stack, the #PF cannot be delivered there: the #DF workaround and the #PF
 * IST save the application, no IST at all triple-faults.  Once on the kernel
 * stack, the kernel's own touch of the application stack (the return frame)
 * is an ordinary #PF every answer survives. */
START_TEST(ukl_pf_user_stack_sweep_per_instruction)
{
	static const char *const dfs[] = { "ukl_df=workaround", "ukl_df=ist", "ukl_df=none" };
	struct e2e_run r[3];
	json_object *pp[3];
	for (int k = 0; k < 3; k++) {
		const char *args[] = { "run", "--entry", "ukl", "--pti", "off", "--scenario", "syscall-loop", "--inject",
				       "pf-user-stack@each:syscall", dfs[k], NULL };
		pp[k] = json_object_object_get(sweep_of(args, &r[k]), "per_point");
	}
	size_t n = json_object_array_length(pp[0]);
	ck_assert_int_gt(n, 50);
	unsigned on_app_stack = 0, on_kernel_stack = 0;
	for (size_t i = 0; i < n; i++) {
		const char *w = e2e_str(json_object_array_get_idx(pp[0], i), "outcome");
		const char *ist = e2e_str(json_object_array_get_idx(pp[1], i), "outcome");
		const char *none = e2e_str(json_object_array_get_idx(pp[2], i), "outcome");
		const char *at = e2e_str(json_object_array_get_idx(pp[0], i), "at");
		ck_assert_msg(strcmp(w, "survived") == 0, "%s: workaround %s", at, w);
		ck_assert_msg(strcmp(ist, "survived") == 0, "%s: ist %s", at, ist);
		if (strcmp(none, "survived") == 0) {
			on_kernel_stack++;
		} else {
			ck_assert_msg(strcmp(none, "triple-fault") == 0, "%s: none %s", at, none);
			on_app_stack++;
		}
	}
	/* The first instructions of ukl_entry_SYSCALL_64, still on the application stack. */
	ck_assert_str_eq(e2e_str(json_object_array_get_idx(pp[0], 0), "at"), "ukl_entry_SYSCALL_64+0x0");
	ck_assert_str_eq(e2e_str(json_object_array_get_idx(pp[2], 0), "outcome"), "triple-fault");
	ck_assert_uint_ge(on_app_stack, 5);
	ck_assert_uint_gt(on_kernel_stack, 10);
	for (int k = 0; k < 3; k++)
		e2e_free(&r[k]);
}
END_TEST

int main(void)
{
	e2e_require_kvm();
	Suite *s = suite_create("e2e-inject");
	TCase *tc = tcase_create("kpti");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, nmi_in_entry_survives);
	tcase_add_test(tc, each_kind_is_delivered);
	tcase_add_test(tc, unreachable_loc_is_not_reached);
	tcase_add_test(tc, unknown_symbol_is_bad_input);
	tcase_add_test(tc, pf_user_stack_forces_a_user_fault);
	tcase_add_loop_test(tc, pf_user_stack_in_every_model, 0,
			    (int)(sizeof(user_code_models) / sizeof(user_code_models[0])));
	tcase_add_loop_test(tc, ukl_pf_on_the_application_stack, 0, 3);
	tcase_add_test(tc, nmi_sweep_of_the_syscall_path);
	tcase_add_test(tc, snapshot_sweep_on_two_vcpus_matches_reboot);
	tcase_add_test(tc, ukl_pf_user_stack_sweep_per_instruction);
	suite_add_tcase(s, tc);
	return check_run(s);
}
