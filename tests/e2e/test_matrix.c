/* SPDX-License-Identifier: MIT */
/* entrybox matrix on reduced selections: its files, its table against its
 * rows, n/a cells, and a disagreement between our VMM and QEMU TCG. */
#include <check.h>
#include "check_run.h"
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e_util.h"

struct matrix_run {
	char dir[64];
	char out_dir[128];
	int status;
	char *stdout_text;
	json_object *rows;       /* results.json */
};

static void read_file(const char *path, char **text)
{
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	size_t cap = 1 << 16, len = 0;
	*text = malloc(cap);
	size_t got;
	while ((got = fread(*text + len, 1, cap - len - 1, f)) > 0) {
		len += got;
		if (len + 1 == cap)
			*text = realloc(*text, cap *= 2);
	}
	(*text)[len] = '\0';
	fclose(f);
}

/* Runs `entrybox matrix ARGS --out DIR/out`, stdout kept in DIR/stdout. */
static void run_matrix(struct matrix_run *m, const char *const *args)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->dir, sizeof(m->dir), "/tmp/ebx-matrix-XXXXXX");
	ck_assert(mkdtemp(m->dir) != NULL);
	snprintf(m->out_dir, sizeof(m->out_dir), "%s/out", m->dir);
	char out_path[160];
	snprintf(out_path, sizeof(out_path), "%s/stdout", m->dir);
	const char *argv[64];
	int n = 0;
	argv[n++] = getenv("ENTRYBOX_BIN");
	argv[n++] = "matrix";
	for (int i = 0; args[i] && n < 58; i++)
		argv[n++] = args[i];
	argv[n++] = "--out";
	argv[n++] = m->out_dir;
	argv[n] = NULL;
	ck_assert_msg(argv[0] != NULL, "ENTRYBOX_BIN is not set");
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int null = open("/dev/null", O_WRONLY);
		if (fd < 0 || null < 0 || dup2(fd, 1) < 0 || dup2(null, 2) < 0)
			_exit(127);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	m->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	read_file(out_path, &m->stdout_text);
	char json_path[200];
	snprintf(json_path, sizeof(json_path), "%s/results.json", m->out_dir);
	m->rows = json_object_from_file(json_path);
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static void free_matrix(struct matrix_run *m)
{
	json_object_put(m->rows);
	free(m->stdout_text);
	nftw(m->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void assert_nonempty_file(const struct matrix_run *m, const char *name)
{
	char path[200];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", m->out_dir, name);
	ck_assert_msg(stat(path, &st) == 0, "%s is missing", path);
	ck_assert_msg(st.st_size > 0, "%s is empty", path);
}

static json_object *find_row(json_object *rows, const char *engine, const char *model, const char *pti,
			     const char *pcid, const char *vcpus, const char *scenario)
{
	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		json_object *r = json_object_array_get_idx(rows, i);
		char v[16];
		snprintf(v, sizeof(v), "%lld", e2e_int(r, "vcpus"));
		if (!strcmp(e2e_str(r, "engine"), engine) && !strcmp(e2e_str(r, "model"), model) &&
		    !strcmp(e2e_str(r, "pti"), pti) && !strcmp(e2e_str(r, "pcid"), pcid) && !strcmp(v, vcpus) &&
		    !strcmp(e2e_str(r, "scenario"), scenario))
			return r;
	}
	return NULL;
}

/* The cost run of a syscall-loop cell: the same selection at twice the iters. */
static json_object *cost_row(json_object *rows, json_object *cell)
{
	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		json_object *r = json_object_array_get_idx(rows, i);
		if (!strcmp(e2e_str(r, "matrix_role"), "cost") && !strcmp(e2e_str(r, "model"), e2e_str(cell, "model")) &&
		    !strcmp(e2e_str(r, "pti"), e2e_str(cell, "pti")) && !strcmp(e2e_str(r, "pcid"), e2e_str(cell, "pcid")) &&
		    e2e_int(r, "vcpus") == e2e_int(cell, "vcpus"))
			return r;
	}
	return NULL;
}

/* The exits/rt column: (exits of the cost run - exits of the cell) / (extra iters x tasks). */
static void check_exits_column(json_object *rows, json_object *cell, const char *shown)
{
	json_object *cost = cost_row(rows, cell);
	ck_assert_msg(cost != NULL, "no cost run for %s", shown);
	/* the matrix runs the cell at the default 200 iters, the cost run at 400 */
	double per = (double)(e2e_int(cost, "exits") - e2e_int(cell, "exits")) / (200.0 * (double)e2e_int(cost, "tasks"));
	char buf[32];
	snprintf(buf, sizeof(buf), "%.2f", per);
	ck_assert_str_eq(shown, buf);
	ck_assert_msg(per >= 1.0, "exits per round trip %s: a syscall round trip exits at least once here", buf);
}

static bool disagrees(json_object *row)
{
	json_object *v;
	return json_object_object_get_ex(row, "matrix_disagrees", &v) && json_object_get_boolean(v);
}

#define MAX_TOKENS 32

static int split(char *line, char **tok)
{
	int n = 0;
	for (char *save = NULL, *t = strtok_r(line, " ", &save); t && n < MAX_TOKENS; t = strtok_r(NULL, " ", &save))
		tok[n++] = t;
	return n;
}

/* Every table row's cells must be the categories of the matching JSON rows,
 * and its cost columns the syscall-loop measure.  Returns the rows checked. */
static int check_table(const struct matrix_run *m)
{
	char *text = strdup(m->stdout_text), *save = NULL, *header_line = NULL;
	char *header[MAX_TOKENS], *tok[MAX_TOKENS];
	int nheader = 0, checked = 0;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "model ", 6) == 0) {
			free(header_line);
			header_line = strdup(line);
			nheader = split(header_line, header);
			continue;
		}
		if (nheader == 0 || strncmp(line, "kpti ", 5) != 0)
			continue;
		int n = split(line, tok);
		ck_assert_int_eq(n, nheader);
		/* model [options] pti pcid vcpus engine, the scenarios, insn/rt, exits/rt */
		int o = strcmp(header[1], "options") == 0;
		for (int s = 5 + o; s < n - 2; s++) {
			json_object *row = find_row(m->rows, tok[4 + o], tok[0], tok[1 + o], tok[2 + o], tok[3 + o], header[s]);
			ck_assert_msg(row != NULL, "no JSON row for table cell %s %s", line, header[s]);
			char want[40];
			snprintf(want, sizeof(want), "%s%s", e2e_str(row, "matrix_category"), disagrees(row) ? "!" : "");
			ck_assert_str_eq(tok[s], want);
			if (strcmp(header[s], "syscall-loop") == 0 && strcmp(tok[n - 2], "-") != 0) {
				json_object *meas;
				ck_assert(json_object_object_get_ex(row, "measure", &meas));
				/* The median of the stepped SYSCALL..SYSRET round trips. */
				ck_assert_int_gt(e2e_int(meas, "round_trips_stepped"), 0);
				double per = (double)e2e_int(meas, "round_trip_median");
				char buf[32];
				snprintf(buf, sizeof(buf), "%.1f", per);
				ck_assert_str_eq(tok[n - 2], buf);
				/* Only the kvm engine has the cost runs exits/rt is taken from. */
				if (strcmp(tok[4 + o], "kvm") == 0)
					check_exits_column(m->rows, row, tok[n - 1]);
				else
					ck_assert_str_eq(tok[n - 1], "-");
			}
		}
		checked++;
	}
	free(header_line);
	free(text);
	return checked;
}

static void assert_row_schema(json_object *r)
{
	static const char *const keys[] = { "model", "pti", "pcid", "vcpus", "scenario", "engine", "outcome",
					    "expected", "exits", "checks", "violations", "status", "matrix_category" };
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		ck_assert_msg(json_object_object_get_ex(r, keys[k], NULL), "row lacks '%s'", keys[k]);
}

static size_t count_lines(const char *path)
{
	char *text;
	read_file(path, &text);
	size_t n = 0;
	for (char *p = text; *p; p++)
		n += *p == '\n';
	free(text);
	return n;
}

START_TEST(reduced_matrix_writes_rows_csv_plots_and_a_matching_table)
{
	const char *args[] = { "--models", "kpti", "--scenarios", "boot,syscall-loop", "--pti", "on,off", "--pcid", "off", "--vcpus", "1",
			       "--jobs", "2", NULL };
	struct matrix_run m;
	run_matrix(&m, args);
	ck_assert_msg(m.status == 0, "matrix status %d; stdout:\n%s", m.status, m.stdout_text);
	ck_assert(m.rows != NULL && json_object_is_type(m.rows, json_type_array));
	/* 4 cells, then one cost run (syscall-loop at twice the iters) per syscall-loop cell */
	ck_assert_int_eq(json_object_array_length(m.rows), 6);
	for (size_t i = 0; i < 6; i++) {
		json_object *r = json_object_array_get_idx(m.rows, i);
		assert_row_schema(r);
		ck_assert_str_eq(e2e_str(r, "matrix_category"), "pass");
		ck_assert_str_eq(e2e_str(r, "engine"), "kvm");
		ck_assert_str_eq(e2e_str(r, "matrix_role"), i < 4 ? "" : "cost");
		if (i >= 4)
			ck_assert_str_eq(e2e_str(r, "scenario"), "syscall-loop");
	}
	char csv[200];
	snprintf(csv, sizeof(csv), "%s/results.csv", m.out_dir);
	ck_assert_int_eq(count_lines(csv), 7);
	assert_nonempty_file(&m, "results.csv");
	assert_nonempty_file(&m, "cost.png");
	assert_nonempty_file(&m, "cost.svg");
	assert_nonempty_file(&m, "outcomes.png");
	assert_nonempty_file(&m, "outcomes.svg");
	ck_assert_int_eq(check_table(&m), 2);
	ck_assert_ptr_nonnull(strstr(m.stdout_text, "cells 4: pass 4, xfail 0, UNEXPECTED 0"));
	free_matrix(&m);
}
END_TEST

START_TEST(refused_combination_is_na_not_a_failure)
{
	/* pertask implements no PCID: the model refuses the mode, on any machine;
	 * the cell is n/a with the model's reason, and n/a is not a failure. */
	const char *args[] = { "--models", "pertask", "--scenarios", "boot", "--pti", "on", "--pcid", "on", "--vcpus", "1",
			       "--no-plots", NULL };
	struct matrix_run m;
	run_matrix(&m, args);
	ck_assert_msg(m.status == 0, "matrix status %d; stdout:\n%s", m.status, m.stdout_text);
	ck_assert_int_eq(json_object_array_length(m.rows), 1);
	json_object *row = json_object_array_get_idx(m.rows, 0);
	ck_assert_str_eq(e2e_str(row, "matrix_category"), "n/a");
	ck_assert_msg(strstr(e2e_str(row, "detail"), "entry=pertask refuses this mode"), "detail: %s", e2e_str(row, "detail"));
	free_matrix(&m);
}
END_TEST

START_TEST(extras_go_to_the_models_that_take_them)
{
	/* bug= is kpti's: pertask's row runs without it, and the table says which row took what. */
	const char *args[] = { "--models", "kpti,pertask", "--scenarios", "boot", "--pti", "on", "--pcid", "off", "--vcpus", "1",
			       "--no-plots", "--extra", "bug=skip-swapgs", NULL };
	struct matrix_run m;
	run_matrix(&m, args);
	json_object *k = find_row(m.rows, "kvm", "kpti", "on", "off", "1", "boot");
	json_object *p = find_row(m.rows, "kvm", "pertask", "on", "off", "1", "boot");
	ck_assert(k != NULL && p != NULL);
	ck_assert_str_eq(e2e_str(k, "options"), "bug=skip-swapgs");
	ck_assert_str_eq(e2e_str(p, "options"), "");
	ck_assert_str_eq(e2e_str(p, "matrix_category"), "pass");
	ck_assert_ptr_nonnull(strstr(m.stdout_text, "\nkpti    bug=skip-swapgs on "));
	ck_assert_ptr_nonnull(strstr(m.stdout_text, "\npertask -               on "));
	/* The log holds what the run printed: its summary and the guest's console. */
	char log[600];
	snprintf(log, sizeof(log), "%s", e2e_str(p, "matrix_log"));
	FILE *f = fopen(log, "r");
	ck_assert_msg(f != NULL, "no log %s", log);
	char text[8192];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	ck_assert_msg(strstr(text, "status    0 OK") && strstr(text, "@entrybox {\"event\":\"result\""), "log: %s", text);
	ck_assert_int_eq(check_table(&m), 1);
	free_matrix(&m);
}
END_TEST

START_TEST(vmm_violation_that_qemu_passes_is_a_disagreement)
{
	e2e_require_qemu();
	/* skip-user-cr3 leaves the kernel CR3 loaded in user mode: TCG runs it
	 * happily, our VMM flags cr3-user-mode.  The matrix must say they disagree. */
	const char *args[] = { "--models", "kpti", "--engine", "kvm,qemu-tcg", "--scenarios", "syscall-loop", "--pti", "on", "--pcid", "off",
			       "--vcpus", "1", "--extra", "bug=skip-user-cr3", NULL };
	struct matrix_run m;
	run_matrix(&m, args);
	ck_assert_msg(m.status == 1, "matrix status %d; stdout:\n%s", m.status, m.stdout_text);
	json_object *k = find_row(m.rows, "kvm", "kpti", "on", "off", "1", "syscall-loop");
	json_object *q = find_row(m.rows, "qemu-tcg", "kpti", "on", "off", "1", "syscall-loop");
	ck_assert(k != NULL && q != NULL);
	ck_assert_str_eq(e2e_str(k, "matrix_category"), "UNEXPECTED");
	ck_assert_str_eq(e2e_str(q, "matrix_category"), "pass");
	ck_assert(disagrees(k) && disagrees(q));
	ck_assert(e2e_has_violation(k, "cr3-user-mode"));
	ck_assert_ptr_nonnull(strstr(m.stdout_text, "DISAGREE kpti pti=on pcid=off vcpus=1 syscall-loop: kvm UNEXPECTED"));
	ck_assert_int_eq(check_table(&m), 2);
	free_matrix(&m);
}
END_TEST

START_TEST(bad_filters_are_usage_errors)
{
	const char *const bad[][3] = {
		{ "--models", "nosuch", NULL }, { "--engine", "bochs", NULL }, { "--pti", "maybe", NULL },
		{ "--vcpus", "0", NULL },        { "pti=off", NULL, NULL },  { "nosuchkey=1", NULL, NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct matrix_run m;
		run_matrix(&m, bad[i]);
		ck_assert_msg(m.status == 2, "matrix %s: status %d, want 2", bad[i][0], m.status);
		ck_assert(m.rows == NULL);
		free_matrix(&m);
	}
}
END_TEST

/* A box that stands in for tools/svm-box.sh (tests/fixtures/fake-svm-box.sh). */
static void fake_box(const char *mode)
{
	const char *dir = getenv("ENTRYBOX_FIXTURES");
	ck_assert_msg(dir != NULL, "ENTRYBOX_FIXTURES is not set");
	char path[512];
	snprintf(path, sizeof(path), "%s/fake-svm-box.sh", dir);
	setenv("ENTRYBOX_SVM_BOX", path, 1);
	setenv("FAKE_BOX", mode, 1);
}

/* The svm-box engine's queue: every cell taken once, its JSON and log where
 * the matrix keeps them, judged and compared as the kvm engine's are. */
START_TEST(svm_box_cells_run_through_the_shared_queue)
{
	fake_box("direct");
	const char *args[] = { "--engine", "kvm,svm-box", "--models", "kpti", "--scenarios", "boot,syscall-loop",
			       "--pti", "on", "--pcid", "off", "--vcpus", "1", "--box-jobs", "2", NULL };
	struct matrix_run m;
	run_matrix(&m, args);
	ck_assert_msg(m.status == 0, "status %d: %s", m.status, m.stdout_text);
	ck_assert_ptr_nonnull(m.rows);
	json_object *boxed = find_row(m.rows, "svm-box", "kpti", "on", "off", "1", "syscall-loop");
	json_object *host = find_row(m.rows, "kvm", "kpti", "on", "off", "1", "syscall-loop");
	ck_assert_ptr_nonnull(boxed);
	ck_assert_ptr_nonnull(host);
	ck_assert_str_eq(e2e_str(boxed, "matrix_category"), "pass");
	ck_assert(!disagrees(boxed));
	json_object *mb, *mh;
	ck_assert(json_object_object_get_ex(boxed, "measure", &mb) && json_object_object_get_ex(host, "measure", &mh));
	ck_assert_int_eq(e2e_int(mb, "round_trip_median"), e2e_int(mh, "round_trip_median"));
	struct stat st;
	ck_assert_msg(stat(e2e_str(boxed, "matrix_log"), &st) == 0, "no log %s", e2e_str(boxed, "matrix_log"));
	ck_assert(check_table(&m) == 2);
	/* Costs from two engines, each labelled; svm-box rows have no exits per trip. */
	assert_nonempty_file(&m, "cost.png");
	assert_nonempty_file(&m, "outcomes.svg");
	free_matrix(&m);
}
END_TEST

/* A box whose kernel hangs finishes nothing: the matrix stops it and its
 * cells end as runs that died, instead of waiting for ever. */
START_TEST(a_hung_box_is_stopped_and_its_cells_fail)
{
	fake_box("hang");
	setenv("ENTRYBOX_BOX_STALL_SECONDS", "2", 1);
	const char *args[] = { "--engine", "svm-box", "--models", "kpti", "--scenarios", "boot", "--pti", "on",
			       "--pcid", "off", "--vcpus", "1", "--no-plots", NULL };
	struct matrix_run m;
	run_matrix(&m, args);
	unsetenv("ENTRYBOX_BOX_STALL_SECONDS");
	ck_assert_int_eq(m.status, 1);
	json_object *row = find_row(m.rows, "svm-box", "kpti", "on", "off", "1", "boot");
	ck_assert_ptr_nonnull(row);
	ck_assert_str_eq(e2e_str(row, "matrix_category"), "UNEXPECTED");
	char log[256];
	snprintf(log, sizeof(log), "%s/runs/svm-box-0.log", m.out_dir);
	struct stat st;
	ck_assert_msg(stat(log, &st) == 0, "the box's own log %s was not kept", log);
	free_matrix(&m);
}
END_TEST

/* A box that cannot start (no SVM in the CPU model) fails every cell it had. */
START_TEST(a_box_that_cannot_start_fails_its_cells)
{
	fake_box("fail");
	const char *args[] = { "--engine", "svm-box", "--models", "kpti", "--scenarios", "boot,syscall-loop", "--pti",
			       "on", "--pcid", "off", "--vcpus", "1", "--no-plots", NULL };
	struct matrix_run m;
	run_matrix(&m, args);
	ck_assert_int_eq(m.status, 1);
	ck_assert_str_eq(e2e_str(find_row(m.rows, "svm-box", "kpti", "on", "off", "1", "boot"), "matrix_category"),
			 "UNEXPECTED");
	free_matrix(&m);
}
END_TEST

int main(void)
{
	e2e_require_kvm();
	Suite *s = suite_create("matrix");
	TCase *tc = tcase_create("matrix");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, reduced_matrix_writes_rows_csv_plots_and_a_matching_table);
	tcase_add_test(tc, refused_combination_is_na_not_a_failure);
	tcase_add_test(tc, extras_go_to_the_models_that_take_them);
	tcase_add_test(tc, vmm_violation_that_qemu_passes_is_a_disagreement);
	tcase_add_test(tc, bad_filters_are_usage_errors);
	tcase_add_test(tc, svm_box_cells_run_through_the_shared_queue);
	tcase_add_test(tc, a_hung_box_is_stopped_and_its_cells_fail);
	tcase_add_test(tc, a_box_that_cannot_start_fails_its_cells);
	suite_add_tcase(s, tc);
	return check_run(s);
}
