/* SPDX-License-Identifier: MIT */
/* entrybox bench with a small iteration count: every reference is measured
 * and carries a ratio; speed itself is never asserted here. */
#include <check.h>
#include "check_run.h"
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e_util.h"

static const char *const references[] = { "host_getppid_ns", "bare_exit_ns",    "rules_exit_ns",
					   "boot_qemu_kvm_s", "boot_entrybox_s", "boot_qemu_tcg_s" };

static json_object *field(json_object *o, const char *key)
{
	json_object *v = NULL;
	ck_assert_msg(json_object_object_get_ex(o, key, &v), "missing '%s'", key);
	return v;
}

static double positive(json_object *o, const char *key)
{
	json_object *v = field(o, key);
	ck_assert_msg(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int),
		      "'%s' is not a number", key);
	double d = json_object_get_double(v);
	ck_assert_msg(d > 0, "'%s' = %g, want > 0", key, d);
	return d;
}

static void assert_goal(json_object *ref, double goal)
{
	ck_assert_double_eq_tol(json_object_get_double(field(ref, "goal_max_ratio")), goal, 1e-9);
	ck_assert(json_object_is_type(field(ref, "goal_met"), json_type_boolean));
	bool met = json_object_get_boolean(field(ref, "goal_met"));
	ck_assert_int_eq(met, positive(ref, "ratio") <= goal);
}

START_TEST(bench_reports_every_reference_with_a_ratio)
{
	e2e_require_qemu();
	char path[] = "/tmp/ebx-bench-XXXXXX";
	int fd = mkstemp(path);
	ck_assert(fd >= 0);
	close(fd);
	const char *args[] = { "bench", "--iterations", "2", "--exits", "300", "--iters", "40", "--models", "kpti", "--out", path, NULL };
	struct e2e_run r;
	e2e_run(&r, false, args);
	ck_assert_msg(r.status == 0, "bench status %d; stderr: %s", r.status, r.stderr_text);
	json_object *b = json_object_from_file(path);
	ck_assert_msg(b != NULL, "no JSON in %s", path);
	json_object *refs = field(b, "references");
	for (size_t i = 0; i < sizeof(references) / sizeof(references[0]); i++) {
		json_object *ref = field(refs, references[i]);
		ck_assert_msg(json_object_get_boolean(field(ref, "available")), "%s not measured", references[i]);
		ck_assert_int_eq(json_object_get_int(field(ref, "samples")), 2);
		double median = positive(ref, "median");
		ck_assert(positive(ref, "min") <= median && median <= positive(ref, "max"));
		positive(ref, "ratio");
		const char *to = json_object_get_string(field(ref, "ratio_to"));
		ck_assert_msg(json_object_object_get_ex(refs, to, NULL), "%s: ratio to unknown '%s'", references[i], to);
	}
	/* The ratios are the ones the goals are stated in. */
	json_object *rules = field(refs, "rules_exit_ns");
	ck_assert_str_eq(json_object_get_string(field(rules, "ratio_to")), "bare_exit_ns");
	ck_assert_double_eq_tol(positive(rules, "ratio"),
				positive(rules, "median") / positive(field(refs, "bare_exit_ns"), "median"), 1e-6);
	assert_goal(rules, 1.5);
	json_object *boot = field(refs, "boot_entrybox_s");
	ck_assert_str_eq(json_object_get_string(field(boot, "ratio_to")), "boot_qemu_kvm_s");
	assert_goal(boot, 1.0 / 3.0);
	/* gdb's stepi through our stub against QEMU TCG's, in time per step:
	 * 10x QEMU's rate is a ratio of 0.1.  Without gdb the figures say why. */
	json_object *ours = field(refs, "gdb_stepi_us"), *qemu = field(refs, "gdb_stepi_qemu_tcg_us");
	if (system("command -v gdb >/dev/null 2>&1") != 0) {
		ck_assert(!json_object_get_boolean(field(ours, "available")));
		ck_assert_ptr_nonnull(strstr(json_object_get_string(field(ours, "note")), "gdb is not installed"));
	} else {
		ck_assert_msg(json_object_get_boolean(field(ours, "available")), "gdb_stepi_us: %s",
			      json_object_get_string(field(ours, "note")));
		ck_assert_int_eq(json_object_get_int(field(qemu, "samples")), 2);
		ck_assert_str_eq(json_object_get_string(field(ours, "ratio_to")), "gdb_stepi_qemu_tcg_us");
		ck_assert_double_eq_tol(positive(ours, "ratio"), positive(ours, "median") / positive(qemu, "median"),
					1e-6);
		assert_goal(ours, 0.1);
		/* Where our step's time goes, from the stub's profile of a third session. */
		const char *parts[] = { "gdb_stepi_vmm_us", "gdb_stepi_gdb_us" };
		for (size_t i = 0; i < 2; i++) {
			json_object *part = field(refs, parts[i]);
			ck_assert_msg(json_object_get_boolean(field(part, "available")), "%s: %s", parts[i],
				      json_object_get_string(field(part, "note")));
			ck_assert_int_eq(json_object_get_int(field(part, "samples")), 2);
			ck_assert_str_eq(json_object_get_string(field(part, "ratio_to")), "gdb_stepi_qemu_tcg_us");
			ck_assert_double_eq_tol(positive(part, "ratio"), positive(part, "median") / positive(qemu, "median"),
						1e-6);
		}
	}

	/* Sweeps: the reboot sweep is measured once, the snapshot sweep per
	 * iteration and judged against it (goal: at least 30 times faster). */
	json_object *reboot = field(refs, "sweep_reboot_ms_per_point");
	ck_assert(json_object_get_boolean(field(reboot, "available")));
	ck_assert_int_eq(json_object_get_int(field(reboot, "samples")), 1);
	json_object *snap = field(refs, "sweep_snapshot_ms_per_point");
	ck_assert_int_eq(json_object_get_int(field(snap, "samples")), 2);
	ck_assert_str_eq(json_object_get_string(field(snap, "ratio_to")), "sweep_reboot_ms_per_point");
	ck_assert_double_eq_tol(positive(snap, "ratio"), positive(snap, "median") / positive(reboot, "median"), 1e-6);
	assert_goal(snap, 1.0 / 30.0);
	/* Trace steps with every rule against bare stepping in the same runs. */
	json_object *traced = field(refs, "traced_step_us");
	ck_assert_int_eq(json_object_get_int(field(traced, "samples")), 2);
	ck_assert_str_eq(json_object_get_string(field(traced, "ratio_to")), "bare_step_us");
	ck_assert_int_eq(json_object_get_int(field(field(refs, "bare_step_us"), "samples")), 2);
	ck_assert_double_eq_tol(positive(traced, "ratio"),
				positive(traced, "median") / positive(field(refs, "bare_step_us"), "median"), 1e-6);

	json_object *models = field(b, "models");
	ck_assert(json_object_array_length(models) >= 1);
	json_object *first = json_object_array_get_idx(models, 0);
	ck_assert_str_eq(json_object_get_string(field(first, "mode")), "kpti pti=on pcid=off");
	json_object *insn = field(first, "instructions_per_rt");
	ck_assert(positive(insn, "median") > 10);
	ck_assert_double_eq_tol(positive(insn, "ratio"), 1.0, 1e-9);
	positive(field(first, "exits_per_rt"), "median");
	ck_assert(strlen(json_object_get_string(field(b, "cycles_note"))) > 0);
	json_object_put(b);
	unlink(path);
	e2e_free(&r);
}
END_TEST

START_TEST(bench_rejects_bad_counts)
{
	const char *const bad[][3] = { { "bench", "--iterations", "0" }, { "bench", "--exits", "x" },
				       { "bench", "--models", "nosuch" } };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[] = { bad[i][0], bad[i][1], bad[i][2], NULL };
		struct e2e_run r;
		e2e_run(&r, false, args);
		ck_assert_msg(r.status == 2, "%s %s: status %d", bad[i][1], bad[i][2], r.status);
		ck_assert_int_eq(r.stderr_lines, 1);
		e2e_free(&r);
	}
}
END_TEST

int main(void)
{
	e2e_require_kvm();
	Suite *s = suite_create("bench");
	TCase *tc = tcase_create("bench");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, bench_reports_every_reference_with_a_ratio);
	tcase_add_test(tc, bench_rejects_bad_counts);
	suite_add_tcase(s, tc);
	return check_run(s);
}
