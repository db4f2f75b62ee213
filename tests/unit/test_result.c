/* SPDX-License-Identifier: MIT */
/* Run results: the guest's serial result line (a hostile input), the exit
 * status a run maps to, and the JSON object read back with json-c. */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "entrybox/abi.h"
#include "result/result.h"
#include "result/result_coverage.h"

#define GOOD_LINE                                                                                          \
	"@entrybox {\"event\":\"result\",\"model\":\"kpti\",\"pti\":\"on\",\"pcid\":\"off\",\"vcpus\":1,"  \
	"\"tasks\":3,\"scenario\":\"syscall-loop\",\"outcome\":\"pass\",\"expected\":\"pass\","            \
	"\"detail\":\"3 tasks x 200 syscalls\"}"

static struct run_result *fresh(void)
{
	struct run_result *r = calloc(1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	r->guest_exit_code = -1;
	return r;
}

/* ---- parsing ------------------------------------------------------------------------- */

START_TEST(parses_a_result_line)
{
	struct run_result *r = fresh();
	ck_assert(result_parse_serial_line(GOOD_LINE, r));
	ck_assert_str_eq(r->model, "kpti");
	ck_assert_str_eq(r->pti, "on");
	ck_assert_str_eq(r->pcid, "off");
	ck_assert_uint_eq(r->vcpus, 1);
	ck_assert_uint_eq(r->tasks, 3);
	ck_assert_str_eq(r->scenario, "syscall-loop");
	ck_assert_str_eq(r->outcome, "pass");
	ck_assert_str_eq(r->expected, "pass");
	ck_assert_str_eq(r->detail, "3 tasks x 200 syscalls");
	free(r);
}
END_TEST

START_TEST(tolerates_line_endings)
{
	struct run_result *r = fresh();
	ck_assert(result_parse_serial_line(GOOD_LINE "\r\n", r));
	ck_assert_str_eq(r->outcome, "pass");
	free(r);
}
END_TEST

START_TEST(ignores_other_events)
{
	struct run_result *r = fresh();
	ck_assert(!result_parse_serial_line("@entrybox {\"event\":\"layout\",\"model\":\"evil\",\"outcome\":\"pass\"}",
					     r));
	ck_assert_str_eq(r->model, "");
	ck_assert_str_eq(r->outcome, "");
	free(r);
}
END_TEST

START_TEST(takes_the_guests_reasons)
{
	struct run_result *r = fresh();
	/* Refusals, the expectation said up front, the options the model ran with. */
	ck_assert(!result_parse_serial_line("@entrybox {\"event\":\"refused\",\"what\":\"cmdline\",\"reason\":\"bad value 'x'\"}", r));
	ck_assert_str_eq(r->refused, "bad value 'x'");
	ck_assert(!result_parse_serial_line("@entrybox {\"event\":\"expect\",\"expected\":\"refused\"}", r));
	ck_assert_str_eq(r->expected, "refused");
	ck_assert(result_parse_serial_line("@entrybox {\"event\":\"result\",\"options\":\"bug=none\",\"outcome\":\"pass\"}", r));
	ck_assert_str_eq(r->options, "bug=none");
	/* A kernel exception, then the human line. */
	ck_assert(!result_parse_serial_line("@entrybox {\"event\":\"panic\",\"vector\":14,\"error\":\"0x2\","
					     "\"rip\":\"0xffffffff80115159\",\"cr2\":\"0xffffc90000004ff8\",\"rsp\":\"0xfffffe0000005f38\","
					     "\"stack\":\"entry0\"}", r));
	ck_assert(!result_parse_serial_line("entrybox: panic: kernel exception vector 14 (#PF)\r\n", r));
	ck_assert(r->panic.seen && r->panic.exception);
	ck_assert_uint_eq(r->panic.vector, 14);
	ck_assert_uint_eq(r->panic.error, 2);
	ck_assert_uint_eq(r->panic.rip, 0xffffffff80115159ull);
	ck_assert_uint_eq(r->panic.cr2, 0xffffc90000004ff8ull);
	ck_assert_str_eq(r->panic.stack, "entry0");
	ck_assert_str_eq(r->panic.message, "kernel exception vector 14 (#PF)");
	free(r);
}
END_TEST

START_TEST(panic_events_checked)
{
	static const char *const bad[] = {
		"@entrybox {\"event\":\"panic\",\"vector\":300,\"rip\":\"0x1\"}",
		"@entrybox {\"event\":\"panic\",\"vector\":14}",
		"@entrybox {\"event\":\"panic\",\"vector\":14,\"rip\":\"12\"}",
		"@entrybox {\"event\":\"panic\",\"vector\":14,\"rip\":\"0x1zz\"}",
		"@entrybox {\"event\":\"panic\",\"vector\":\"14\",\"rip\":\"0x1\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run_result *r = fresh();
		ck_assert(!result_parse_serial_line(bad[i], r));
		ck_assert_msg(!r->panic.seen, "%s", bad[i]);
		free(r);
	}
	struct run_result *r = fresh();
	ck_assert(!result_parse_serial_line("entrybox: panic: \x1b[31mred", r));
	ck_assert_str_eq(r->panic.message, "?[31mred");
	ck_assert_str_eq(result_vector_name(8), "#DF");
	ck_assert_str_eq(result_vector_name(31), "reserved vector");
	ck_assert_str_eq(result_vector_name(40), "interrupt");
	free(r);
}
END_TEST

/* Lines a broken or hostile guest may print: none of them is a result, and
 * none may touch r. */
static const char *const garbage[] = {
	"",
	"hello world",
	"@entrybox",
	"@entrybox ",
	"@entrybox{\"event\":\"result\",\"outcome\":\"pass\"}",
	" @entrybox {\"event\":\"result\",\"outcome\":\"pass\"}",
	"@entrybox {\"event\":\"result\",\"outcome\":\"pass\"",
	"@entrybox {\"event\":\"result\",\"outcome\":\"pass\"} trailing",
	"@entrybox {\"event\":\"result\",\"outcome\":\"pass\"}{}",
	"@entrybox [\"event\",\"result\"]",
	"@entrybox \"result\"",
	"@entrybox 42",
	"@entrybox null",
	"@entrybox {\"event\":7,\"outcome\":\"pass\"}",
	"@entrybox {\"event\":[\"result\"],\"outcome\":\"pass\"}",
	"@entrybox {\"event\":\"Result\",\"outcome\":\"pass\"}",
	"@entrybox {\"outcome\":\"pass\"}",
	"@entrybox \xff\xfe{\"event\":\"result\"}",
};

START_TEST(rejects_garbage)
{
	struct run_result *r = fresh();
	ck_assert_msg(!result_parse_serial_line(garbage[_i], r), "accepted: '%s'", garbage[_i]);
	ck_assert_str_eq(r->outcome, "");
	ck_assert_str_eq(r->model, "");
	free(r);
}
END_TEST

START_TEST(rejects_null)
{
	struct run_result *r = fresh();
	ck_assert(!result_parse_serial_line(NULL, r));
	ck_assert(!result_parse_serial_line(GOOD_LINE, NULL));
	free(r);
}
END_TEST

START_TEST(ignores_fields_of_the_wrong_type_or_value)
{
	struct run_result *r = fresh();
	snprintf(r->model, sizeof(r->model), "kept");
	r->vcpus = 5;
	r->tasks = 6;
	ck_assert(result_parse_serial_line("@entrybox {\"event\":\"result\",\"model\":7,\"pti\":\"maybe\","
					   "\"pcid\":true,\"vcpus\":\"2\",\"tasks\":-1,\"outcome\":\"pass\","
					   "\"expected\":{\"x\":1},\"detail\":null}",
					   r));
	ck_assert_str_eq(r->model, "kept");
	ck_assert_str_eq(r->pti, "");
	ck_assert_str_eq(r->pcid, "");
	ck_assert_uint_eq(r->vcpus, 5);
	ck_assert_uint_eq(r->tasks, 6);
	ck_assert_str_eq(r->outcome, "pass");
	ck_assert_str_eq(r->expected, "");
	ck_assert_str_eq(r->detail, "");
	ck_assert(result_parse_serial_line("@entrybox {\"event\":\"result\",\"vcpus\":99999999999,\"tasks\":1.5}", r));
	ck_assert_uint_eq(r->vcpus, 5);
	ck_assert_uint_eq(r->tasks, 6);
	free(r);
}
END_TEST

START_TEST(bounds_and_cleans_strings)
{
	struct run_result *r = fresh();
	char line[1024];
	char longname[200];
	memset(longname, 'm', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	snprintf(line, sizeof(line),
		 "@entrybox {\"event\":\"result\",\"model\":\"%s\",\"outcome\":\"pa\\u001b[2Jss\","
		 "\"detail\":\"a\\u0000b\\nc\"}",
		 longname);
	ck_assert(result_parse_serial_line(line, r));
	ck_assert_uint_eq(strlen(r->model), sizeof(r->model) - 1);
	ck_assert_str_eq(r->outcome, "pa?[2Jss");
	ck_assert_str_eq(r->detail, "a?b?c");
	free(r);
}
END_TEST

START_TEST(rejects_overlong_lines)
{
	struct run_result *r = fresh();
	size_t pad = 8000;
	char *line = malloc(pad + 200);
	ck_assert_ptr_nonnull(line);
	int n = snprintf(line, 200, "@entrybox {\"event\":\"result\",\"outcome\":\"pass\",\"detail\":\"");
	memset(line + n, 'x', pad);
	strcpy(line + n + pad, "\"}");
	ck_assert(!result_parse_serial_line(line, r));
	ck_assert_str_eq(r->outcome, "");
	free(line);
	free(r);
}
END_TEST

/* ---- status -------------------------------------------------------------------------- */

struct status_case {
	enum run_end end;
	int exit_code;
	const char *outcome, *expected;
	size_t violations;
	enum run_verdict want;
};

static const struct status_case status_cases[] = {
	{ RUN_END_GUEST_EXIT, EBX_GUEST_EXIT_PASS, "pass", "pass", 0, RUN_VERDICT_OK },
	{ RUN_END_GUEST_EXIT, EBX_GUEST_EXIT_PASS, "pass", "pass", 1, RUN_VERDICT_MISMATCH },
	{ RUN_END_GUEST_EXIT, EBX_GUEST_EXIT_FAIL, "fail", "pass", 0, RUN_VERDICT_MISMATCH },
	{ RUN_END_GUEST_EXIT, EBX_GUEST_EXIT_PASS, "fail", "pass", 0, RUN_VERDICT_MISMATCH },
	{ RUN_END_GUEST_EXIT, EBX_GUEST_EXIT_PASS, "fail", "fail", 0, RUN_VERDICT_OK },
	{ RUN_END_GUEST_EXIT, EBX_GUEST_EXIT_PASS, "", "", 0, RUN_VERDICT_MISMATCH },
	{ RUN_END_GUEST_EXIT, EBX_GUEST_EXIT_PASS, "pass", "", 0, RUN_VERDICT_MISMATCH },
	{ RUN_END_GUEST_EXIT, EBX_GUEST_EXIT_PANIC, "pass", "pass", 0, RUN_VERDICT_MISMATCH },
	{ RUN_END_GUEST_EXIT, 77, "pass", "pass", 0, RUN_VERDICT_MISMATCH },
	{ RUN_END_GUEST_EXIT, EBX_GUEST_EXIT_BAD_CMDLINE, "", "", 0, RUN_VERDICT_BAD_INPUT },
	{ RUN_END_GUEST_EXIT, EBX_GUEST_EXIT_UNSUPPORTED, "", "", 0, RUN_VERDICT_ENVIRONMENT },
	{ RUN_END_GUEST_EXIT, EBX_GUEST_EXIT_BAD_CMDLINE, "", "", 2, RUN_VERDICT_MISMATCH },
	{ RUN_END_TRIPLE_FAULT, -1, "triple-fault", "pass", 0, RUN_VERDICT_MISMATCH },
	{ RUN_END_TRIPLE_FAULT, -1, "triple-fault", "triple-fault", 0, RUN_VERDICT_OK },
	{ RUN_END_TRIPLE_FAULT, -1, "triple-fault", "triple-fault", 1, RUN_VERDICT_MISMATCH },
	{ RUN_END_TIMEOUT, -1, "pass", "pass", 0, RUN_VERDICT_MISMATCH },
	{ RUN_END_TIMEOUT, -1, "timeout", "timeout", 0, RUN_VERDICT_OK },
	{ RUN_END_INTERNAL_ERROR, -1, "internal-error", "pass", 0, RUN_VERDICT_MISMATCH },
	{ RUN_END_HOSTILE, -1, "hostile", "hostile", 0, RUN_VERDICT_MISMATCH },
};

START_TEST(maps_status)
{
	const struct status_case *c = &status_cases[_i];
	struct run_result *r = fresh();
	r->end = c->end;
	r->guest_exit_code = c->exit_code;
	snprintf(r->outcome, sizeof(r->outcome), "%s", c->outcome);
	snprintf(r->expected, sizeof(r->expected), "%s", c->expected);
	r->nviolations = c->violations;
	ck_assert_msg(result_verdict(r) == c->want, "case %d: end %s exit %d outcome '%s' expected '%s': got %d want %d",
		      _i, result_end_name(c->end), c->exit_code, c->outcome, c->expected, result_verdict(r), c->want);
	free(r);
}
END_TEST

START_TEST(names_run_ends)
{
	ck_assert_str_eq(result_end_name(RUN_END_GUEST_EXIT), "guest-exit");
	ck_assert_str_eq(result_end_name(RUN_END_TRIPLE_FAULT), "triple-fault");
	ck_assert_str_eq(result_end_name(RUN_END_TIMEOUT), "timeout");
	ck_assert_str_eq(result_end_name(RUN_END_INTERNAL_ERROR), "internal-error");
	ck_assert_str_eq(result_end_name(RUN_END_HOSTILE), "hostile");
	ck_assert_str_eq(result_end_name(RUN_END_HOST_LOST), "host-lost");
}
END_TEST

/* ---- JSON ---------------------------------------------------------------------------- */

static void fill_example(struct run_result *r)
{
	ck_assert(result_parse_serial_line(GOOD_LINE, r));
	snprintf(r->engine, sizeof(r->engine), "kvm");
	snprintf(r->backend, sizeof(r->backend), "pvm");
	r->end = RUN_END_GUEST_EXIT;
	r->guest_exit_code = 0;
	snprintf(r->end_reason, sizeof(r->end_reason), "guest exited with code 0");
	r->exits = 12345;
	r->checks = 67890;
	r->syscall_repairs = 600;
	r->nviolations = 2;
	struct violation_report *v = &r->violations[0];
	snprintf(v->rule, sizeof(v->rule), "cr3-user-mode");
	snprintf(v->symbol, sizeof(v->symbol), "entry_SYSCALL_64+0x1b");
	snprintf(v->insn, sizeof(v->insn), "movq %%rsp, %%gs:0x10");
	snprintf(v->source, sizeof(v->source), "kpti.S:42");
	snprintf(v->stack, sizeof(v->stack), "task1-kstack");
	snprintf(v->detail, sizeof(v->detail), "CPL3 with CR3=0x1234000");
	v->rip = 0xffffffff81000abcull;
	v->rsp = 0xffffc90000003f00ull;
	v->cr3 = 0x1234000;
	v->gs_base = 0xffffffff82000000ull;
	v->cpu = 0;
	v->cpl = 3;
	snprintf(r->violations[1].rule, sizeof(r->violations[1].rule), "gs-base");
	snprintf(r->measure_name, sizeof(r->measure_name), "syscall-null");
	r->measure_iterations = 21;
	r->measure_instructions = 2100;
	r->measure_exits = 42;
	r->wall_seconds = 0.25;
}

static struct json_object *write_and_read(const struct run_result *r)
{
	char path[] = "/tmp/test-result-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(result_write_json(r, path), 0);
	struct json_object *o = json_object_from_file(path);
	unlink(path);
	ck_assert_msg(o != NULL, "written JSON does not parse");
	return o;
}

static struct json_object *field(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;
	ck_assert_msg(json_object_object_get_ex(o, key, &v), "missing field '%s'", key);
	return v;
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v = field(o, key);
	ck_assert_msg(json_object_is_type(v, json_type_string), "'%s' is not a string", key);
	return json_object_get_string(v);
}

static int64_t num(struct json_object *o, const char *key)
{
	struct json_object *v = field(o, key);
	ck_assert_msg(json_object_is_type(v, json_type_int), "'%s' is not an integer", key);
	return json_object_get_int64(v);
}

START_TEST(json_round_trip)
{
	struct run_result *r = fresh();
	fill_example(r);
	struct json_object *o = write_and_read(r);
	ck_assert_str_eq(str(o, "model"), "kpti");
	ck_assert_str_eq(str(o, "pti"), "on");
	ck_assert_str_eq(str(o, "pcid"), "off");
	ck_assert_int_eq(num(o, "vcpus"), 1);
	ck_assert_int_eq(num(o, "tasks"), 3);
	ck_assert_str_eq(str(o, "scenario"), "syscall-loop");
	ck_assert_str_eq(str(o, "outcome"), "pass");
	ck_assert_str_eq(str(o, "expected"), "pass");
	ck_assert_str_eq(str(o, "engine"), "kvm");
	ck_assert_str_eq(str(o, "backend"), "pvm");
	ck_assert_str_eq(str(o, "end"), "guest-exit");
	ck_assert_str_eq(str(o, "end_reason"), "guest exited with code 0");
	ck_assert_int_eq(num(o, "guest_exit_code"), 0);
	ck_assert_int_eq(num(o, "exits"), 12345);
	ck_assert_int_eq(num(o, "checks"), 67890);
	ck_assert_int_eq(num(o, "syscall_repairs"), 600);
	ck_assert_int_eq(num(o, "violation_count"), 2);
	/* a violation makes the run a mismatch even though the guest passed */
	ck_assert_int_eq(num(o, "status"), RUN_VERDICT_MISMATCH);
	ck_assert(json_object_get_double(field(o, "wall_seconds")) == 0.25);

	struct json_object *vs = field(o, "violations");
	ck_assert(json_object_is_type(vs, json_type_array));
	ck_assert_uint_eq(json_object_array_length(vs), 2);
	struct json_object *v = json_object_array_get_idx(vs, 0);
	ck_assert_str_eq(str(v, "rule"), "cr3-user-mode");
	ck_assert_str_eq(str(v, "rip"), "0xffffffff81000abc");
	ck_assert_str_eq(str(v, "symbol"), "entry_SYSCALL_64+0x1b");
	ck_assert_str_eq(str(v, "insn"), "movq %rsp, %gs:0x10");
	ck_assert_str_eq(str(v, "source"), "kpti.S:42");
	ck_assert_str_eq(str(v, "stack"), "task1-kstack");
	ck_assert_str_eq(str(v, "cr3"), "0x1234000");
	ck_assert_str_eq(str(v, "gs_base"), "0xffffffff82000000");
	ck_assert_int_eq(num(v, "cpl"), 3);
	ck_assert_int_eq(num(v, "cpu"), 0);
	ck_assert_str_eq(str(v, "detail"), "CPL3 with CR3=0x1234000");
	ck_assert_str_eq(str(json_object_array_get_idx(vs, 1), "rule"), "gs-base");

	struct json_object *m = field(o, "measure");
	ck_assert_str_eq(str(m, "name"), "syscall-null");
	ck_assert_int_eq(num(m, "iterations"), 21);
	ck_assert_int_eq(num(m, "instructions"), 2100);
	ck_assert_int_eq(num(m, "exits"), 42);
	ck_assert(json_object_get_double(field(m, "instructions_per_iteration")) == 100.0);
	json_object_put(o);
	free(r);
}
END_TEST

START_TEST(json_without_measure_or_violations)
{
	struct run_result *r = fresh();
	r->end = RUN_END_TIMEOUT;
	snprintf(r->outcome, sizeof(r->outcome), "timeout");
	struct json_object *o = write_and_read(r);
	ck_assert(json_object_is_type(field(o, "measure"), json_type_null));
	ck_assert_uint_eq(json_object_array_length(field(o, "violations")), 0);
	ck_assert_str_eq(str(o, "end"), "timeout");
	ck_assert_int_eq(num(o, "guest_exit_code"), -1);
	ck_assert_int_eq(num(o, "status"), RUN_VERDICT_MISMATCH);
	json_object_put(o);
	free(r);
}
END_TEST

START_TEST(json_keeps_only_stored_violations)
{
	struct run_result *r = fresh();
	r->nviolations = RESULT_MAX_VIOLATIONS + 10;
	struct json_object *o = write_and_read(r);
	ck_assert_uint_eq(json_object_array_length(field(o, "violations")), RESULT_MAX_VIOLATIONS);
	ck_assert_int_eq(num(o, "violation_count"), RESULT_MAX_VIOLATIONS + 10);
	json_object_put(o);
	free(r);
}
END_TEST

/* Every char array full of what json-c escapes longest (\u00XX). */
static void fill_worst(void *dst, size_t size)
{
	memset(dst, 0x01, size - 1);
	((char *)dst)[size - 1] = 0;
}

#define WORST(f) fill_worst((f), sizeof(f))

static void fill_worst_result(struct run_result *r, struct sweep_report *sw, unsigned points)
{
	WORST(r->engine); WORST(r->backend); WORST(r->host); WORST(r->model); WORST(r->scenario);
	WORST(r->pti); WORST(r->pcid); WORST(r->outcome); WORST(r->expected); WORST(r->detail);
	WORST(r->measure_name); WORST(r->backend_deviation); WORST(r->end_reason); WORST(r->explanation);
	r->nviolations = RESULT_MAX_VIOLATIONS;
	for (size_t i = 0; i < RESULT_MAX_VIOLATIONS; i++) {
		struct violation_report *v = &r->violations[i];
		WORST(v->rule); WORST(v->symbol); WORST(v->insn); WORST(v->source); WORST(v->stack); WORST(v->detail);
		v->rip = v->rsp = v->cr3 = v->gs_base = UINT64_MAX;
	}
	r->ninjections = RESULT_MAX_INJECTIONS;
	for (size_t i = 0; i < RESULT_MAX_INJECTIONS; i++) {
		struct injection_report *j = &r->injections[i];
		WORST(j->spec); WORST(j->at); WORST(j->detail);
		j->outcome = INJECT_TRIPLE_FAULT;
		j->rip = UINT64_MAX;
	}
	WORST(sw->spec); WORST(sw->path); WORST(sw->mode);
	sw->points = points;
	for (unsigned i = 0; i < points; i++) {
		struct sweep_point *p = &sw->per_point[i];
		WORST(p->at); WORST(p->insn); WORST(p->detail);
		p->outcome = INJECT_TRIPLE_FAULT;
		p->rip = UINT64_MAX;
	}
	r->sweep = sw;
}

/* The largest run this program can describe still fits the limit, and a
 * sweep that claims more points than the cap writes only the cap. */
START_TEST(json_size_is_bounded)
{
	struct run_result *r = fresh();
	unsigned points = RESULT_MAX_SWEEP_POINTS + 100;
	struct sweep_report *sw = calloc(1, sizeof(*sw));
	ck_assert_ptr_nonnull(sw);
	sw->per_point = calloc(points, sizeof(*sw->per_point));
	ck_assert_ptr_nonnull(sw->per_point);
	fill_worst_result(r, sw, points);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(result_write_json_stream(r, f), 0);
	fclose(f);
	printf("worst-case JSON: %zu bytes (limit %u)\n", len, RESULT_JSON_MAX);
	ck_assert_uint_le(len, RESULT_JSON_MAX);
	struct json_object *o = json_tokener_parse(text);
	ck_assert_ptr_nonnull(o);
	struct json_object *sweep = field(o, "sweep");
	ck_assert_uint_eq(json_object_array_length(field(sweep, "per_point")), RESULT_MAX_SWEEP_POINTS);
	json_object_put(o);
	free(text);
	result_release(r);
	free(r);
}
END_TEST

START_TEST(json_reports_write_errors)
{
	struct run_result *r = fresh();
	errno = 0;
	ck_assert_int_eq(result_write_json(r, "/nonexistent-dir/result.json"), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(result_write_json(NULL, "x"), -1);
	ck_assert_int_eq(result_write_json(r, NULL), -1);
	free(r);
}
END_TEST

/* ---- coverage ------------------------------------------------------------------------ */

START_TEST(parses_task_syscalls)
{
	struct run_result *r = fresh();
	ck_assert(result_parse_serial_line("@entrybox {\"event\":\"result\",\"task_syscalls\":[0,235,213]}", r));
	ck_assert_uint_eq(r->ntask_syscalls, 3);
	ck_assert_uint_eq(r->task_syscalls[1], 235);
	ck_assert_uint_eq(r->task_syscalls[2], 213);
	/* Too many tasks, a negative or a non-integer count: the field is ignored whole. */
	struct run_result *bad = fresh();
	ck_assert(result_parse_serial_line("@entrybox {\"event\":\"result\",\"task_syscalls\":[1,-2]}", bad));
	ck_assert(result_parse_serial_line("@entrybox {\"event\":\"result\",\"task_syscalls\":[1,\"x\"]}", bad));
	ck_assert(result_parse_serial_line("@entrybox {\"event\":\"result\",\"task_syscalls\":"
					   "[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}", bad));
	ck_assert_uint_eq(bad->ntask_syscalls, 0);
	free(bad);
	free(r);
}
END_TEST

START_TEST(a_check_seen_less_often_than_needed_fails_the_run)
{
	struct run_result *r = fresh();
	r->end = RUN_END_GUEST_EXIT;
	r->guest_exit_code = 0;
	snprintf(r->outcome, sizeof(r->outcome), "pass");
	snprintf(r->expected, sizeof(r->expected), "pass");
	ck_assert(result_coverage_add(r, "syscall-boundary", 402, 402, "syscalls stopped at"));
	ck_assert_int_eq(result_verdict(r), RUN_VERDICT_OK);
	/* The same check again replaces it: a run with dead breakpoints. */
	ck_assert(result_coverage_add(r, "syscall-boundary", 402, 0, "syscalls stopped at"));
	ck_assert_uint_eq(r->ncoverage, 1);
	ck_assert(!result_coverage_ok(r));
	ck_assert_int_eq(result_verdict(r), RUN_VERDICT_MISMATCH);
	ck_assert_uint_eq(result_coverage_find(r, "syscall-boundary")->observed, 0);
	ck_assert_ptr_null(result_coverage_find(r, "trace"));
	/* Seen more often than the guest counted is fine. */
	ck_assert(result_coverage_add(r, "syscall-boundary", 2, 3, "syscalls stopped at"));
	ck_assert(result_coverage_ok(r));
	for (int i = 1; i < RESULT_MAX_COVERAGE; i++) {
		char name[16];
		snprintf(name, sizeof(name), "c%d", i);
		ck_assert(result_coverage_add(r, name, 0, 0, "x"));
	}
	ck_assert(!result_coverage_add(r, "one-too-many", 0, 0, "x"));
	free(r);
}
END_TEST

START_TEST(coverage_in_json_and_summary)
{
	struct run_result *r = fresh();
	result_coverage_add(r, "stepped-round-trips", 20, 0, "round trips stepped");
	result_coverage_add(r, "syscall-boundary", 448, 448, "syscalls stopped at");
	char path[] = "/tmp/entrybox-coverage-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(result_write_json(r, path), 0);
	struct json_object *o = json_object_from_file(path);
	unlink(path);
	ck_assert_ptr_nonnull(o);
	struct json_object *cov = json_object_object_get(o, "coverage");
	ck_assert_uint_eq(json_object_array_length(cov), 2);
	struct json_object *first = json_object_array_get_idx(cov, 0);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(first, "check")), "stepped-round-trips");
	ck_assert_int_eq(json_object_get_int(json_object_object_get(first, "expected")), 20);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(first, "observed")), 0);
	ck_assert(!json_object_get_boolean(json_object_object_get(first, "ok")));
	ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "status")), RUN_VERDICT_MISMATCH);
	json_object_put(o);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	result_coverage_print(f, r);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "coverage  stepped-round-trips 0/20, syscall-boundary 448/448\n"));
	ck_assert_ptr_nonnull(strstr(text, "NOT RUN   stepped-round-trips: 0 of 20 times (round trips stepped)\n"));
	ck_assert_ptr_null(strstr(text, "NOT RUN   syscall-boundary"));
	free(text);
	free(r);
}
END_TEST

static Suite *result_suite(void)
{
	Suite *s = suite_create("result");
	TCase *parse = tcase_create("parse");
	tcase_add_test(parse, parses_a_result_line);
	tcase_add_test(parse, tolerates_line_endings);
	tcase_add_test(parse, ignores_other_events);
	tcase_add_test(parse, takes_the_guests_reasons);
	tcase_add_test(parse, panic_events_checked);
	tcase_add_loop_test(parse, rejects_garbage, 0, (int)(sizeof(garbage) / sizeof(garbage[0])));
	tcase_add_test(parse, rejects_null);
	tcase_add_test(parse, ignores_fields_of_the_wrong_type_or_value);
	tcase_add_test(parse, bounds_and_cleans_strings);
	tcase_add_test(parse, rejects_overlong_lines);
	suite_add_tcase(s, parse);
	TCase *status = tcase_create("status");
	tcase_add_loop_test(status, maps_status, 0, (int)(sizeof(status_cases) / sizeof(status_cases[0])));
	tcase_add_test(status, names_run_ends);
	suite_add_tcase(s, status);
	TCase *json = tcase_create("json");
	tcase_add_test(json, json_round_trip);
	tcase_add_test(json, json_without_measure_or_violations);
	tcase_add_test(json, json_keeps_only_stored_violations);
	tcase_add_test(json, json_reports_write_errors);
	tcase_add_test(json, json_size_is_bounded);
	suite_add_tcase(s, json);
	TCase *coverage = tcase_create("coverage");
	tcase_add_test(coverage, parses_task_syscalls);
	tcase_add_test(coverage, a_check_seen_less_often_than_needed_fails_the_run);
	tcase_add_test(coverage, coverage_in_json_and_summary);
	suite_add_tcase(s, coverage);
	return s;
}

int main(void)
{
	return check_run(result_suite());
}
