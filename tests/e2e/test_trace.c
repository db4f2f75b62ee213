/* SPDX-License-Identifier: MIT */
/*
 * `entrybox run --trace` end to end: one kpti SYSCALL round trip with pti=on,
 * stepped instruction by instruction with every rule, and its picture.
 */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_run.h"
#include "e2e_util.h"

#define MAX_LINES 4096

struct trace_file {
	json_object *lines[MAX_LINES];
	size_t n;             /* instruction lines */
	json_object *summary;
};

static char dir[] = "/tmp/entrybox-test-trace.XXXXXX";

static void read_trace(const char *path, struct trace_file *t)
{
	memset(t, 0, sizeof(*t));
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "no trace file %s", path);
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		json_object *o = json_tokener_parse(line);
		ck_assert_msg(o != NULL, "trace line %zu is not JSON: %s", t->n, line);
		json_object *s;
		if (json_object_object_get_ex(o, "summary", &s)) {
			ck_assert_msg(t->summary == NULL, "two summary lines");
			t->summary = o;
		} else {
			ck_assert_msg(t->summary == NULL, "instruction line after the summary");
			ck_assert_int_lt(t->n, MAX_LINES);
			t->lines[t->n++] = o;
		}
	}
	free(line);
	fclose(f);
	ck_assert_msg(t->summary != NULL, "no summary line");
}

static void free_trace(struct trace_file *t)
{
	for (size_t i = 0; i < t->n; i++)
		json_object_put(t->lines[i]);
	json_object_put(t->summary);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no '%s' in %s", key, json_object_to_json_string(o));
	return v;
}

static const char *str(json_object *o, const char *key)
{
	return json_object_get_string(get(o, key));
}

static const char *trace_path(const char *name)
{
	static char buf[256];
	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

/* The `kind` of the stack named `name` in the summary's stacks[] (0 = unregistered). */
static int stack_kind(json_object *summary, const char *name)
{
	json_object *stacks = get(summary, "stacks");
	for (size_t i = 0; i < json_object_array_length(stacks); i++) {
		json_object *s = json_object_array_get_idx(stacks, i);
		json_object *kind;
		if (strcmp(str(s, "name"), name) == 0)
			return json_object_object_get_ex(s, "kind", &kind) ? json_object_get_int(kind) : 0;
	}
	ck_abort_msg("stack %s is not in the summary", name);
	return -1;
}

static void trace_syscall(const char *file, struct trace_file *t)
{
	const char *args[] = { "run", "--scenario", "syscall-loop", "--pti", "on", "--iters", "5", "--trace", file,
			       "--trace-path", "syscall:2", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.stderr_text);
	e2e_free(&r);
	read_trace(file, t);
}

START_TEST(null_syscall_round_trip)
{
	struct trace_file t;
	trace_syscall(trace_path("null.jsonl"), &t);
	int64_t n = json_object_get_int64(get(t.summary, "instructions"));
	/* ~106 kernel instructions for a null syscall under kpti pti=on here; the
	 * measure region's average of ~115 includes its longer marker syscalls. */
	ck_assert_msg(n >= 80 && n <= 140, "%lld instructions", (long long)n);
	ck_assert_int_eq((int64_t)t.n, n);
	ck_assert_str_eq(str(t.summary, "ended"), "returned-to-user");
	ck_assert_msg(strstr(str(t.summary, "note"), "SYSRET") != NULL, "the summary must say why sysretq is last");
	ck_assert_int_ge(json_object_get_int64(get(t.summary, "exits")), n);
	int64_t rules = json_object_get_int64(get(t.summary, "rules_per_step"));
	ck_assert_int_ge(rules, 7);
	ck_assert_int_eq(json_object_get_int64(get(t.summary, "checks")), n * rules);
	ck_assert_str_eq(str(t.lines[0], "event"), "syscall-boundary");
	ck_assert_str_eq(str(t.lines[t.n - 1], "insn"), "sysretq");
	for (size_t i = 0; i < t.n; i++) {
		json_object *l = t.lines[i];
		ck_assert_int_eq(json_object_get_int64(get(l, "i")), (int64_t)i);
		ck_assert_int_eq(json_object_get_int(get(l, "cpl")), 0);
		ck_assert_msg(strlen(str(l, "sym")) > 0 && strlen(str(l, "insn")) > 0, "line %zu", i);
		ck_assert_int_eq(json_object_array_length(get(l, "failed")), 0);
		(void)get(l, "gs");
		(void)get(l, "if");
	}
	free_trace(&t);
}
END_TEST

START_TEST(cr3_and_stack_transitions)
{
	struct trace_file t;
	trace_syscall(trace_path("transitions.jsonl"), &t);
	json_object *pgd = get(t.summary, "pgd_transitions");
	ck_assert_int_eq(json_object_array_length(pgd), 3);
	ck_assert_str_eq(str(json_object_array_get_idx(pgd, 0), "to"), "user");
	ck_assert_str_eq(str(json_object_array_get_idx(pgd, 1), "to"), "kernel");
	ck_assert_str_eq(str(json_object_array_get_idx(pgd, 2), "to"), "user");

	/* user stack -> (entry stack) -> task stack -> entry stack -> user stack; the
	 * kpti entry borrows RSP as a scratch register for CR3 on the way in, which
	 * shows as a short unregistered stretch. */
	json_object *st = get(t.summary, "stack_transitions");
	int kinds[16], nk = 0;
	for (size_t i = 0; i < json_object_array_length(st) && nk < 16; i++) {
		const char *name = str(json_object_array_get_idx(st, i), "to");
		if (strcmp(name, "unregistered") != 0)
			kinds[nk++] = stack_kind(t.summary, name);
	}
	ck_assert_int_ge(nk, 4);
	ck_assert_int_eq(kinds[0], 4);          /* EBX_STACK_USER */
	ck_assert_int_eq(kinds[nk - 1], 4);
	ck_assert_int_eq(kinds[nk - 2], 1);     /* EBX_STACK_ENTRY */
	ck_assert_int_eq(kinds[nk - 3], 2);     /* EBX_STACK_TASK */
	int64_t task_used = -1;
	json_object *stacks = get(t.summary, "stacks");
	for (size_t i = 0; i < json_object_array_length(stacks); i++) {
		json_object *s = json_object_array_get_idx(stacks, i);
		json_object *kind;
		if (json_object_object_get_ex(s, "kind", &kind) && json_object_get_int(kind) == 2)
			task_used = json_object_get_int64(get(s, "bytes_used"));
	}
	ck_assert_msg(task_used > 0 && task_used < 4096, "task stack bytes used %lld", (long long)task_used);
	json_object *bare = get(t.summary, "bare");
	ck_assert_int_gt(json_object_get_int(get(bare, "round_trips")), 0);
	ck_assert_msg(json_object_get_double(get(bare, "steps_per_second")) > 0, "no bare rate");
	ck_assert_msg(json_object_get_double(get(t.summary, "steps_per_second")) > 0, "no traced rate");
	free_trace(&t);
}
END_TEST

static int render(const char *trace, const char *svg, const char *png)
{
	const char *bin = getenv("ENTRYBOX_RENDER_BIN");
	ck_assert_msg(bin != NULL, "ENTRYBOX_RENDER_BIN is not set");
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (png)
			execl(bin, bin, trace, svg, "--png", png, (char *)NULL);
		else
			execl(bin, bin, trace, svg, (char *)NULL);
		_exit(127);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

START_TEST(renders_svg_and_png)
{
	struct trace_file t;
	char file[256], svg[256], png[256];
	snprintf(file, sizeof(file), "%s", trace_path("render.jsonl"));
	snprintf(svg, sizeof(svg), "%s", trace_path("render.svg"));
	snprintf(png, sizeof(png), "%s", trace_path("render.png"));
	trace_syscall(file, &t);
	free_trace(&t);
	bool have_gnuplot = system("command -v gnuplot >/dev/null 2>&1") == 0;
	int rc = render(file, svg, have_gnuplot ? png : NULL);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_gt(file_size(svg), 1000);
	FILE *f = fopen(svg, "r");
	char head[512] = "";
	ck_assert_ptr_nonnull(f);
	size_t got = fread(head, 1, sizeof(head) - 1, f);
	head[got] = '\0';
	fclose(f);
	ck_assert_msg(strstr(head, "<svg") != NULL, "not an SVG: %s", head);
	if (have_gnuplot) {
		unsigned char magic[8] = { 0 };
		f = fopen(png, "rb");
		ck_assert_ptr_nonnull(f);
		ck_assert_int_eq(fread(magic, 1, 8, f), 8);
		fclose(f);
		ck_assert_msg(memcmp(magic, "\x89PNG\r\n\x1a\n", 8) == 0, "not a PNG");
		ck_assert_int_gt(file_size(png), 1000);
	}
}
END_TEST

START_TEST(render_rejects_garbage)
{
	char file[256], svg[256];
	snprintf(file, sizeof(file), "%s", trace_path("garbage.jsonl"));
	snprintf(svg, sizeof(svg), "%s", trace_path("garbage.svg"));
	FILE *f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"i\":0,\"cpl\":9}\nnot json\n", f);
	fclose(f);
	ck_assert_int_eq(render(file, svg, NULL), 2);
}
END_TEST

START_TEST(trace_usage_errors)
{
	const char *bad_path[] = { "run", "--trace", trace_path("x.jsonl"), "--trace-path", "sysenter", NULL };
	const char *bare_alone[] = { "run", "--trace-bare", "3", NULL };
	const char *zeroth[] = { "run", "--trace", trace_path("x.jsonl"), "--trace-path", "syscall:0", NULL };
	const char *const *cases[] = { bad_path, bare_alone, zeroth };
	for (size_t i = 0; i < 3; i++) {
		struct e2e_run r;
		e2e_run(&r, false, cases[i]);
		ck_assert_msg(r.status == 2, "case %zu: status %d", i, r.status);
		ck_assert_int_eq(r.stderr_lines, 1);
		e2e_free(&r);
	}
}
END_TEST

int main(void)
{
	e2e_require_kvm();
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("trace");
	tcase_add_test(tc, null_syscall_round_trip);
	tcase_add_test(tc, cr3_and_stack_transitions);
	tcase_add_test(tc, renders_svg_and_png);
	tcase_add_test(tc, render_rejects_garbage);
	tcase_add_test(tc, trace_usage_errors);
	suite_add_tcase(s, tc);
	int status = check_run(s);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return status;
}
