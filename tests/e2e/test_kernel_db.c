/* SPDX-License-Identifier: MIT */
/*
 * A #DB in kernel mode, survived as Linux survives it: through each model's
 * paranoid (IST) entry, which decides GS by what the GS base holds.  The
 * hardest place is the first instruction of the SYSCALL entry (still the
 * user's GS: CVE-2018-8897's MOV SS; SYSCALL), and the last ones of its exit
 * (the user's GS again).  kernel_bug=db-trust-cs gives #DB an entry that trusts CS
 * instead, and the same injections must then fail by a rule's name.
 */
#include <check.h>
#include "check_run.h"
#include <stdio.h>
#include <string.h>

#include "e2e_util.h"

/* Each model's SYSCALL entry (LSTAR) in its default mode, and what it needs on the command line. */
static const struct {
	const char *model, *pti, *entry, *extra;
} entries[] = {
	{ "kpti", "on", "entry_SYSCALL_64", NULL },
	{ "kpti", "off", "entry_SYSCALL_64_nopti", NULL },
	{ "pertask", "on", "pertask_syscall_pti", NULL },
	{ "pervcpu", "on", "pervcpu_syscall_pti", NULL },
	{ "xen", "on", "xen_shim_syscall_pti", NULL },
	{ "xen", "off", "xen_vmm_syscall_trap", "hv=vmm" },
	{ "ukl", "off", "ukl_syscall_nopti", "ukl_tasks=1" },
	{ "kpti-cswitch", "on", "kpti_cswitch_syscall_pti", NULL },
};
#define NENTRIES (sizeof(entries) / sizeof(entries[0]))

static void run_db(struct e2e_run *r, unsigned i, const char *spec, const char *bug)
{
	/* ukl with a ring-3 task holds three breakpoint slots for its boundaries
	 * on kvm_pvm and the injection the fourth: syscall-loop's stepped
	 * measurement would find none for the steps that backend hides (the
	 * step-catch coverage check says so), so ukl runs a scenario that does
	 * not measure. */
	const char *scenario = strcmp(entries[i].model, "ukl") == 0 ? "regs-roundtrip" : "syscall-loop";
	const char *args[16] = { "run", "--entry", entries[i].model, "--pti", entries[i].pti, "--scenario", scenario,
				 "--iters", "4", "--quiet", "--inject", spec };
	size_t n = 12;
	if (entries[i].extra)
		args[n++] = entries[i].extra;
	if (bug)
		args[n++] = bug;
	args[n] = NULL;
	e2e_run(r, true, args);
	ck_assert_msg(r->json != NULL, "%s %s: no JSON; stderr: %s", entries[i].model, spec, r->stderr_text);
}

static json_object *first_injection(json_object *o)
{
	json_object *a = NULL;
	ck_assert(json_object_object_get_ex(o, "injections", &a));
	ck_assert_int_ge(json_object_array_length(a), 1);
	return json_object_array_get_idx(a, 0);
}

START_TEST(db_at_the_syscall_entry_is_survived)
{
	unsigned i = (unsigned)_i;
	char spec[96];
	struct e2e_run r;
	snprintf(spec, sizeof(spec), "db@%s", entries[i].entry);
	run_db(&r, i, spec, NULL);
	json_object *in = first_injection(r.json);
	ck_assert_msg(json_object_get_boolean(json_object_object_get(in, "reached")), "%s %s not reached",
		      entries[i].model, spec);
	ck_assert_msg(strcmp(e2e_str(in, "outcome"), "survived") == 0 && r.status == 0, "%s %s: %s (%s)",
		      entries[i].model, spec, e2e_str(in, "outcome"), e2e_str(in, "detail"));
	/* Counted and reported by the guest, not merely not fatal. */
	ck_assert_int_ge(e2e_int(r.json, "kernel_db"), 1);
	e2e_free(&r);
}
END_TEST

/* The handler runs on the user's GS: a rule names it at the first exit in C
 * (gs-base), or, where the model's C half dereferences GS before anything
 * exits (pertask, ukl), the faults that follow end the run (stack-bounds, a
 * panic or a triple fault, depending on the backend).  Never survived. */
START_TEST(trusting_cs_fails_at_the_syscall_entry)
{
	unsigned i = (unsigned)_i;
	char spec[96];
	struct e2e_run r;
	snprintf(spec, sizeof(spec), "db@%s", entries[i].entry);
	run_db(&r, i, spec, "kernel_bug=db-trust-cs");
	json_object *in = first_injection(r.json);
	ck_assert(json_object_get_boolean(json_object_object_get(in, "reached")));
	ck_assert_msg(strcmp(e2e_str(in, "outcome"), "survived") != 0, "%s kernel_bug=db-trust-cs %s survived", entries[i].model,
		      spec);
	ck_assert_int_eq(r.status, 1);
	if (strcmp(entries[i].model, "kpti") == 0 || strcmp(entries[i].model, "pervcpu") == 0 ||
	    strcmp(entries[i].model, "xen") == 0)
		ck_assert_msg(e2e_has_violation(r.json, "gs-base"), "%s kernel_bug=db-trust-cs %s: %s (%s), no gs-base",
			      entries[i].model, spec, e2e_str(in, "outcome"), e2e_str(in, "detail"));
	e2e_free(&r);
}
END_TEST

static json_object *sweep_points(json_object *o, long long *n)
{
	json_object *sw = NULL, *pp = NULL;
	ck_assert(json_object_object_get_ex(o, "sweep", &sw));
	ck_assert(json_object_object_get_ex(sw, "per_point", &pp));
	*n = e2e_int(sw, "points");
	ck_assert_int_eq((long long)json_object_array_length(pp), *n);
	ck_assert_int_gt(*n, 50);
	return pp;
}

/* Every instruction from SYSCALL's target to the sysretq of kpti pti=on. */
START_TEST(db_sweep_of_the_syscall_path_is_survived)
{
	struct e2e_run r;
	long long n;
	run_db(&r, 0, "db@each:syscall", NULL);
	json_object *pp = sweep_points(r.json, &n);
	for (long long k = 0; k < n; k++) {
		json_object *p = json_object_array_get_idx(pp, (size_t)k);
		ck_assert_msg(strcmp(e2e_str(p, "outcome"), "survived") == 0, "point %lld %s (%s): %s %s", k,
			      e2e_str(p, "at"), e2e_str(p, "insn"), e2e_str(p, "outcome"), e2e_str(p, "detail"));
	}
	ck_assert_int_eq(r.status, 0);
	e2e_free(&r);
}
END_TEST

/* With the knob exactly the points where GS is the user's while CPL is 0 fail:
 * the entry's swapgs (not yet executed) and the exit's sysretq (after its swapgs). */
START_TEST(db_sweep_with_trust_cs_fails_between_syscall_and_swapgs)
{
	struct e2e_run r;
	long long n, failed = 0;
	run_db(&r, 0, "db@each:syscall", "kernel_bug=db-trust-cs");
	json_object *pp = sweep_points(r.json, &n);
	for (long long k = 0; k < n; k++) {
		json_object *p = json_object_array_get_idx(pp, (size_t)k);
		bool user_gs = k == 0 || k == n - 1;
		if (!user_gs) {
			ck_assert_msg(strcmp(e2e_str(p, "outcome"), "survived") == 0, "point %lld %s: %s", k,
				      e2e_str(p, "at"), e2e_str(p, "outcome"));
			continue;
		}
		failed++;
		ck_assert_msg(strcmp(e2e_str(p, "outcome"), "violation") == 0, "point %lld %s (%s): %s", k,
			      e2e_str(p, "at"), e2e_str(p, "insn"), e2e_str(p, "outcome"));
		/* The detail names the rule: "gs-base at <symbol>". */
		ck_assert_msg(strncmp(e2e_str(p, "detail"), "gs-base at ", 11) == 0, "point %lld: %s", k,
			      e2e_str(p, "detail"));
	}
	ck_assert_str_eq(e2e_str(json_object_array_get_idx(pp, 0), "insn"), "swapgs");
	ck_assert_str_eq(e2e_str(json_object_array_get_idx(pp, (size_t)n - 1), "insn"), "sysretq");
	ck_assert_int_eq(failed, 2);
	ck_assert_int_eq(r.status, 1);
	e2e_free(&r);
}
END_TEST

int main(void)
{
	e2e_require_kvm();
	Suite *s = suite_create("kernel-db");
	TCase *one = tcase_create("first instruction, every model");
	tcase_set_timeout(one, 60);
	tcase_add_loop_test(one, db_at_the_syscall_entry_is_survived, 0, (int)NENTRIES);
	tcase_add_loop_test(one, trusting_cs_fails_at_the_syscall_entry, 0, (int)NENTRIES);
	suite_add_tcase(s, one);
	TCase *sweep = tcase_create("kpti syscall path");
	tcase_set_timeout(sweep, 600);
	tcase_add_test(sweep, db_sweep_of_the_syscall_path_is_survived);
	tcase_add_test(sweep, db_sweep_with_trust_cs_fails_between_syscall_and_swapgs);
	suite_add_tcase(s, sweep);
	return check_run(s);
}
