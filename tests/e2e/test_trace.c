/* SPDX-License-Identifier: MIT */
/*
 * `entrybox run --trace` end to end: kpti SYSCALL round trips with pti=on,
 * stepped instruction by instruction with every rule and every step checked,
 * the traced count against the bare loop and the measured region on every
 * model, a step dropped on purpose, and the picture.
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
			       "--trace-path", "null-syscall", NULL };
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

/* The kpti SYSCALL prologue is one macro invocation built of macros from
 * entry/calling.h: each step must name the line of the macro body it executes
 * (tools/asm-lines.py), not the invocation's one line for all of them. */
START_TEST(prologue_steps_name_macro_body_lines)
{
	struct trace_file t;
	size_t steps = 0, in_calling = 0;
	bool cr3_write_seen = false;

	trace_syscall(trace_path("lines.jsonl"), &t);
	for (size_t i = 0; i < t.n; i++) {
		json_object *l = t.lines[i];
		const char *src = str(l, "src"), *insn = str(l, "insn");

		if (strncmp(str(l, "sym"), "entry_SYSCALL_64+", 17) != 0)
			break;
		/* One instruction per source line in this prologue: no line twice. */
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(strcmp(src, str(t.lines[j], "src")) != 0, "steps %zu and %zu (%s, %s) both at %s", j,
				      i, str(t.lines[j], "insn"), insn, src);
		if (strncmp(src, "calling.h:", 10) == 0)
			in_calling++;
		if (strcmp(insn, "movq %rsp, %cr3") == 0) {
			ck_assert_msg(strncmp(src, "calling.h:", 10) == 0, "the CR3 write is at %s", src);
			cr3_write_seen = true;
		}
		steps++;
		if (strncmp(insn, "call", 4) == 0)
			break;
	}
	ck_assert_msg(cr3_write_seen, "no CR3 write among the %zu steps of entry_SYSCALL_64", steps);
	ck_assert_msg(in_calling >= 20, "%zu of %zu prologue steps in calling.h", in_calling, steps);
	free_trace(&t);
}
END_TEST

static const char *const models[][4] = {
	{ "kpti", "on", NULL }, { "kpti", "off", NULL }, { "pertask", "on", NULL }, { "pertask", "off", NULL },
	{ "pervcpu", "on", NULL }, { "pervcpu", "off", NULL }, { "xen", "on", NULL }, { "xen", "off", NULL },
	{ "xen", "on", "hv=vmm" }, { "ukl", "off", NULL },
};

static json_object *run_traced(const char *const *model, const char *path, const char *file, struct trace_file *t,
			       struct e2e_run *r)
{
	const char *args[] = { "run", "--entry", model[0], "--pti", model[1], "--scenario", "syscall-loop",
			       "--trace", file, "--trace-path", path, model[2], NULL };
	e2e_run(r, true, args);
	ck_assert_msg(r->json && r->status == 0, "%s pti=%s %s, trace %s: status %d; stderr: %s", model[0], model[1],
		      model[2] ? model[2] : "", path, r->status, r->stderr_text);
	read_trace(file, t);
	return r->json;
}

static int64_t num(json_object *o, const char *key)
{
	return json_object_get_int64(get(o, key));
}

/* A whole, checked trace: every step landed where its instruction allows. */
static void assert_whole(const struct trace_file *t, const char *what)
{
	json_object *lost = NULL;
	ck_assert_msg(!json_object_object_get_ex(t->summary, "lost_step", &lost), "%s: lost step %s", what,
		      json_object_to_json_string(lost));
	ck_assert_str_eq(str(t->summary, "ended"), "returned-to-user");
	ck_assert_int_eq(num(t->summary, "unvalidated"), 0);
	ck_assert_int_eq(num(t->summary, "steps"), (int64_t)t->n);
}

/* The first round trip of the run and the first null one, on every model:
 * whole, and the null one as long as every bare round trip of the same
 * syscall and as the measured region's round trips less their SYSCALL. */
START_TEST(traced_count_equals_bare_and_measured_on_every_model)
{
	const char *const *model = models[_i];
	struct trace_file t;
	struct e2e_run r;
	run_traced(model, "syscall", trace_path("first.jsonl"), &t, &r);
	assert_whole(&t, "first round trip");
	e2e_free(&r);
	free_trace(&t);

	json_object *run = run_traced(model, "null-syscall", trace_path("first-null.jsonl"), &t, &r);
	assert_whole(&t, "first null round trip");
	int64_t traced = num(t.summary, "instructions");
	json_object *bare = get(t.summary, "bare");
	ck_assert_int_gt(num(bare, "round_trips"), 0);
	ck_assert_int_eq(num(bare, "lost_round_trips"), 0);
	ck_assert_msg(num(bare, "min") == traced && num(bare, "max") == traced, "%s pti=%s: traced %lld, bare %lld..%lld",
		      model[0], model[1], (long long)traced, (long long)num(bare, "min"), (long long)num(bare, "max"));
	json_object *m = get(run, "measure");
	ck_assert_msg(num(m, "round_trip_min") == traced + 1 && num(m, "round_trip_max") == traced + 1,
		      "%s pti=%s: traced %lld + the SYSCALL, measured %lld..%lld", model[0], model[1],
		      (long long)traced, (long long)num(m, "round_trip_min"), (long long)num(m, "round_trip_max"));
	printf("%s pti=%s%s%s: %lld instructions from the syscall entry to the return, %.0f traced steps/s with "
	       "every rule, %.0f bare\n", model[0], model[1], model[2] ? " " : "", model[2] ? model[2] : "",
	       (long long)traced, json_object_get_double(get(t.summary, "steps_per_second")),
	       json_object_get_double(get(bare, "steps_per_second")));
	e2e_free(&r);
	free_trace(&t);
}
END_TEST

/* The checker checks: a step dropped on purpose, as a backend that loses one
 * would, ends the trace right there as lost-step, and the run fails. */
START_TEST(a_dropped_step_is_a_lost_step)
{
	const char *file = trace_path("dropped.jsonl");
	const char *args[] = { "run", "--scenario", "syscall-loop", "--trace", file, "--trace-path", "null-syscall",
			       "--trace-drop-step", "5", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.json != NULL, "no JSON: %s", r.stderr_text);
	ck_assert_int_eq(r.status, 1);
	struct trace_file t;
	read_trace(file, &t);
	ck_assert_str_eq(str(t.summary, "ended"), "lost-step");
	ck_assert_int_eq(num(t.summary, "dropped_step"), 5);
	json_object *lost = get(t.summary, "lost_step");
	ck_assert_int_eq(num(lost, "i"), 5);
	ck_assert_int_eq((int64_t)t.n, 5);
	/* Both addresses: the instruction before, and where the step arrived instead. */
	ck_assert_str_eq(str(lost, "after"), str(t.lines[4], "rip"));
	ck_assert_int_ge(json_object_array_length(get(lost, "expected")), 1);
	ck_assert_str_ne(str(lost, "got"), json_object_get_string(json_object_array_get_idx(get(lost, "expected"), 0)));
	ck_assert_msg(strlen(str(lost, "got_sym")) > 0, "no symbol for the arrival");
	free_trace(&t);
	e2e_free(&r);
}
END_TEST

START_TEST(several_round_trips_and_a_step_limit)
{
	const char *file = trace_path("trips.jsonl");
	const char *args[] = { "run", "--scenario", "syscall-loop", "--trace", file, "--trace-path", "null-syscall",
			       "--trace-trips", "3", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.stderr_text);
	e2e_free(&r);
	struct trace_file t;
	read_trace(file, &t);
	json_object *trips = get(t.summary, "trips");
	ck_assert_int_eq(json_object_array_length(trips), 3);
	int64_t each = num(json_object_array_get_idx(trips, 0), "instructions");
	for (int i = 0; i < 3; i++) {
		json_object *trip = json_object_array_get_idx(trips, i);
		ck_assert_str_eq(str(trip, "ended"), "returned-to-user");
		ck_assert_int_eq(num(trip, "instructions"), each);
		ck_assert_int_eq(num(trip, "first"), i * each);
		ck_assert_int_eq(num(t.lines[i * each], "trip"), i);
		ck_assert_str_eq(str(t.lines[i * each], "event"), "syscall-boundary");
	}
	free_trace(&t);

	const char *limited[] = { "run", "--scenario", "syscall-loop", "--trace", file, "--trace-max-steps", "10", NULL };
	e2e_run(&r, true, limited);
	ck_assert_int_eq(r.status, 1);
	e2e_free(&r);
	read_trace(file, &t);
	ck_assert_str_eq(str(t.summary, "ended"), "step-limit");
	ck_assert_int_eq((int64_t)t.n, 10);
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

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	static char buf[1 << 20];
	size_t got = fread(buf, 1, sizeof(buf) - 1, f);
	buf[got] = '\0';
	fclose(f);
	return buf;
}

/* The picture alone tells where the CR3 switch and the stack switch happen,
 * marks an injection, and draws each round trip. */
START_TEST(picture_labels_transitions_and_marks_injections)
{
	char file[256], svg[256];
	snprintf(file, sizeof(file), "%s", trace_path("picture.jsonl"));
	snprintf(svg, sizeof(svg), "%s", trace_path("picture.svg"));
	/* The first syscall, with an NMI in its entry after the stack switch, and the next one. */
	const char *args[] = { "run", "--scenario", "syscall-loop", "--trace", file, "--trace-trips", "2",
			       "--inject", "nmi@entry_SYSCALL_64+0x24", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.stderr_text);
	e2e_free(&r);
	struct trace_file t;
	read_trace(file, &t);
	assert_whole(&t, "two round trips with an NMI");
	bool injected = false;
	for (size_t i = 0; i < t.n; i++) {
		json_object *ev = NULL;
		if (json_object_object_get_ex(t.lines[i], "event", &ev) && strcmp(json_object_get_string(ev), "injected") == 0) {
			injected = true;
			ck_assert_int_eq(json_object_get_int(get(t.lines[i], "vector")), 2);
			ck_assert_ptr_nonnull(strstr(str(t.lines[i], "sym"), "nmi"));
		}
	}
	ck_assert_msg(injected, "the NMI's handler was not traced");
	free_trace(&t);
	ck_assert_int_eq(render(file, svg, NULL), 0);
	const char *pic = slurp(svg);
	ck_assert_ptr_nonnull(strstr(pic, "round trip 1:"));
	ck_assert_ptr_nonnull(strstr(pic, "round trip 2:"));
	ck_assert_ptr_nonnull(strstr(pic, "CR3 user-&gt;kernel by entry_SYSCALL_64+0x"));
	ck_assert_ptr_nonnull(strstr(pic, "%cr3"));
	ck_assert_ptr_nonnull(strstr(pic, "stack-&gt;kstack-task"));
	ck_assert_ptr_nonnull(strstr(pic, "injected #2 at "));
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
	const char *no_trips[] = { "run", "--trace", trace_path("x.jsonl"), "--trace-trips", "0", NULL };
	const char *limit_alone[] = { "run", "--trace-max-steps", "10", NULL };
	const char *const *cases[] = { bad_path, bare_alone, zeroth, no_trips, limit_alone };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
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
	tcase_add_test(tc, prologue_steps_name_macro_body_lines);
	tcase_add_loop_test(tc, traced_count_equals_bare_and_measured_on_every_model, 0,
			    (int)(sizeof(models) / sizeof(models[0])));
	tcase_add_test(tc, a_dropped_step_is_a_lost_step);
	tcase_add_test(tc, several_round_trips_and_a_step_limit);
	tcase_add_test(tc, renders_svg_and_png);
	tcase_add_test(tc, render_rejects_garbage);
	tcase_add_test(tc, picture_labels_transitions_and_marks_injections);
	tcase_add_test(tc, trace_usage_errors);
	suite_add_tcase(s, tc);
	int status = check_run(s);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return status;
}
