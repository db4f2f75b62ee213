/* SPDX-License-Identifier: MIT */
/*
 * Run results: the verdict they come to, the guest's "@entrybox" result
 * line, and the JSON object of docs/design.md §8.
 *
 * The serial line comes from the guest, which this project treats as hostile:
 * the parser bounds the line, ignores fields of the wrong type or shape, and
 * never lets a control character through into text that later reaches a
 * terminal or a JSON consumer.
 */
#include "result/result.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entrybox/abi.h"
#include "result/result_coverage.h"
#include "result/result_inject.h"

/* Longer lines are not something our guest prints; treat them as garbage. */
#define RESULT_LINE_MAX 4096
/* vcpus/tasks beyond this are nonsense from any guest; ignore them. */
#define RESULT_COUNT_MAX 4096

_Static_assert(RESULT_MAX_TASKS == EBX_MAX_TASKS, "one task_syscalls count per task the layout can describe");

const char *result_end_name(enum run_end end)
{
	switch (end) {
	case RUN_END_GUEST_EXIT: return "guest-exit";
	case RUN_END_TRIPLE_FAULT: return "triple-fault";
	case RUN_END_TIMEOUT: return "timeout";
	case RUN_END_INTERNAL_ERROR: return "internal-error";
	case RUN_END_HOSTILE: return "hostile";
	case RUN_END_HORIZON: return "horizon";
	case RUN_END_HOST_LOST: return "host-lost";
	case RUN_END_DEBUGGER: return "debugger";
	}
	return "internal-error";
}

/* The run ended without the guest's own verdict: it counts as expected only
 * when the scenario announced exactly this end (e.g. "triple-fault"). */
static bool abnormal_end_expected(const struct run_result *r)
{
	if (r->end == RUN_END_HOSTILE || r->end == RUN_END_HOST_LOST)
		return false;
	return strcmp(r->expected, result_end_name(r->end)) == 0;
}

enum run_verdict result_verdict(const struct run_result *r)
{
	if (r->nviolations > 0 || !result_inject_ok(r) || !result_coverage_ok(r))
		return RUN_VERDICT_MISMATCH;
	if (r->end != RUN_END_GUEST_EXIT)
		return abnormal_end_expected(r) ? RUN_VERDICT_OK : RUN_VERDICT_MISMATCH;
	/* The guest refused its command line or lacks a CPU feature: that is the
	 * input or the machine, not a wrong outcome (docs/design.md §8 statuses). */
	if (r->guest_exit_code == EBX_GUEST_EXIT_BAD_CMDLINE)
		return RUN_VERDICT_BAD_INPUT;
	if (r->guest_exit_code == EBX_GUEST_EXIT_UNSUPPORTED)
		return RUN_VERDICT_ENVIRONMENT;
	if (r->guest_exit_code != EBX_GUEST_EXIT_PASS)
		return RUN_VERDICT_MISMATCH;
	if (r->outcome[0] == '\0' || r->expected[0] == '\0')
		return RUN_VERDICT_MISMATCH;
	return strcmp(r->outcome, r->expected) == 0 ? RUN_VERDICT_OK : RUN_VERDICT_MISMATCH;
}

/* ---- parsing ------------------------------------------------------------------------- */

/* Copies a JSON string field into dst, truncating and replacing anything that
 * is not printable ASCII.  Fields of another type leave dst untouched. */
static void take_string(struct json_object *obj, const char *key, char *dst, size_t dstlen)
{
	struct json_object *v;
	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return;
	const char *s = json_object_get_string(v);
	size_t n = (size_t)json_object_get_string_len(v);
	size_t i;
	for (i = 0; i < n && i + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)s[i];
		dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[i] = '\0';
}

static void take_on_off(struct json_object *obj, const char *key, char *dst, size_t dstlen)
{
	struct json_object *v;
	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return;
	const char *s = json_object_get_string(v);
	if (strcmp(s, "on") == 0 || strcmp(s, "off") == 0)
		snprintf(dst, dstlen, "%s", s);
}

static void take_count(struct json_object *obj, const char *key, unsigned *dst)
{
	struct json_object *v;
	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_int))
		return;
	int64_t n = json_object_get_int64(v);
	if (n >= 0 && n <= RESULT_COUNT_MAX)
		*dst = (unsigned)n;
}

/* "task_syscalls": [n0, n1, ...], one non-negative count per task id. */
static void take_task_syscalls(struct json_object *obj, struct run_result *r)
{
	struct json_object *a;
	if (!json_object_object_get_ex(obj, "task_syscalls", &a) || !json_object_is_type(a, json_type_array))
		return;
	size_t n = json_object_array_length(a);
	if (n > RESULT_MAX_TASKS)
		return;
	uint64_t counts[RESULT_MAX_TASKS];
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		if (!json_object_is_type(e, json_type_int) || json_object_get_int64(e) < 0)
			return;
		counts[i] = (uint64_t)json_object_get_int64(e);
	}
	memcpy(r->task_syscalls, counts, n * sizeof(counts[0]));
	r->ntask_syscalls = (unsigned)n;
}

static bool take_hex(struct json_object *obj, const char *key, uint64_t *dst)
{
	struct json_object *v;
	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return false;
	const char *s = json_object_get_string(v);
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 16);
	if (strncmp(s, "0x", 2) != 0 || *end != '\0' || errno)
		return false;
	*dst = n;
	return true;
}

/* The guest's "panic" event: an unexpected kernel exception and its frame. */
static void fill_panic(struct json_object *obj, struct run_result *r)
{
	struct guest_panic *p = &r->panic;
	unsigned vector = 256;
	take_count(obj, "vector", &vector);
	if (vector > 255 || !take_hex(obj, "rip", &p->rip))
		return;
	p->seen = p->exception = true;
	p->vector = vector;
	take_hex(obj, "error", &p->error);
	take_hex(obj, "cr2", &p->cr2);
	take_hex(obj, "rsp", &p->rsp);
	take_string(obj, "stack", p->stack, sizeof(p->stack));
}

static bool is_event(struct json_object *obj, const char *name)
{
	struct json_object *ev;
	return json_object_object_get_ex(obj, "event", &ev) && json_object_is_type(ev, json_type_string) &&
	       strcmp(json_object_get_string(ev), name) == 0;
}

static void fill_from_result(struct json_object *obj, struct run_result *r)
{
	take_string(obj, "model", r->model, sizeof(r->model));
	take_string(obj, "scenario", r->scenario, sizeof(r->scenario));
	take_on_off(obj, "pti", r->pti, sizeof(r->pti));
	take_on_off(obj, "pcid", r->pcid, sizeof(r->pcid));
	take_count(obj, "vcpus", &r->vcpus);
	take_count(obj, "tasks", &r->tasks);
	take_string(obj, "options", r->options, sizeof(r->options));
	take_string(obj, "outcome", r->outcome, sizeof(r->outcome));
	take_string(obj, "expected", r->expected, sizeof(r->expected));
	take_string(obj, "detail", r->detail, sizeof(r->detail));
	take_count(obj, "kernel_db", &r->kernel_db);
	take_task_syscalls(obj, r);
}

/* Parses exactly the JSON text (no trailing bytes); NULL unless it is an object. */
static struct json_object *parse_object(const char *text, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	if (!tok)
		return NULL;
	struct json_object *obj = json_tokener_parse_ex(tok, text, (int)len);
	bool complete = obj && json_tokener_get_error(tok) == json_tokener_success &&
			json_tokener_get_parse_end(tok) == len;
	json_tokener_free(tok);
	if (!complete || !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

void result_json_prepare(void)
{
	json_object *o = json_tokener_parse("{\"seed\":0}");
	json_object_put(o);
}

/* The guest's human panic line, "entrybox: panic: <what>", printable ASCII only. */
static void take_panic_line(const char *line, size_t len, struct run_result *r)
{
	static const char prefix[] = "entrybox: panic: ";
	size_t n = sizeof(prefix) - 1, i = 0;
	if (len <= n || strncmp(line, prefix, n) != 0)
		return;
	for (; n + i < len && i + 1 < sizeof(r->panic.message); i++) {
		unsigned char c = (unsigned char)line[n + i];
		r->panic.message[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	r->panic.message[i] = '\0';
	while (i > 0 && r->panic.message[i - 1] == '?')
		r->panic.message[--i] = '\0';   /* the line's own CR/LF */
	r->panic.seen = true;
}

bool result_parse_serial_line(const char *line, struct run_result *r)
{
	static const char prefix[] = EBX_SERIAL_PREFIX;
	if (!line || !r)
		return false;
	size_t len = strnlen(line, RESULT_LINE_MAX + 1);
	if (len > RESULT_LINE_MAX)
		return false;
	if (strncmp(line, prefix, sizeof(prefix) - 1) != 0) {
		take_panic_line(line, len, r);
		return false;
	}
	const char *json = line + sizeof(prefix) - 1;
	size_t jlen = len - (sizeof(prefix) - 1);
	while (jlen > 0 && (json[jlen - 1] == '\n' || json[jlen - 1] == '\r' || json[jlen - 1] == ' '))
		jlen--;
	struct json_object *obj = parse_object(json, jlen);
	if (!obj)
		return false;
	bool is_result = is_event(obj, "result");
	if (is_result) {
		fill_from_result(obj, r);
		if (r->result_lines < UINT_MAX)
			r->result_lines++;
	} else if (is_event(obj, "refused")) {
		take_string(obj, "reason", r->refused, sizeof(r->refused));
	} else if (is_event(obj, "expect")) {
		take_string(obj, "expected", r->expected, sizeof(r->expected));
	} else if (is_event(obj, "panic")) {
		fill_panic(obj, r);
	}
	json_object_put(obj);
	return is_result;
}

const char *result_vector_name(unsigned vector)
{
	static const char *const names[32] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "coprocessor overrun", "#TS", "#NP",
		"#SS", "#GP", "#PF", "vector 15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
	};
	return vector < 32 && names[vector] ? names[vector] : vector < 32 ? "reserved vector" : "interrupt";
}

void result_reject_repeated_verdicts(struct run_result *r)
{
	if (r->result_lines <= 1 || r->end == RUN_END_HOSTILE)
		return;
	r->end = RUN_END_HOSTILE;
	snprintf(r->outcome, sizeof(r->outcome), "%s", result_end_name(r->end));
	snprintf(r->end_reason, sizeof(r->end_reason), "the guest printed %u result lines (one expected)",
		 r->result_lines);
}

/* ---- writing ------------------------------------------------------------------------- */

/* Addresses are hex strings: JSON numbers lose kernel addresses above 2^53. */
static struct json_object *hex(uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_object_new_string(buf);
}

static struct json_object *violation_json(const struct violation_report *v)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "rule", json_object_new_string(v->rule));
	json_object_object_add(o, "rip", hex(v->rip));
	json_object_object_add(o, "symbol", json_object_new_string(v->symbol));
	json_object_object_add(o, "insn", json_object_new_string(v->insn));
	json_object_object_add(o, "source", json_object_new_string(v->source));
	json_object_object_add(o, "stack", json_object_new_string(v->stack));
	json_object_object_add(o, "rsp", hex(v->rsp));
	json_object_object_add(o, "cr3", hex(v->cr3));
	json_object_object_add(o, "gs_base", hex(v->gs_base));
	json_object_object_add(o, "cpl", json_object_new_int(v->cpl));
	json_object_object_add(o, "cpu", json_object_new_int64(v->cpu));
	json_object_object_add(o, "detail", json_object_new_string(v->detail));
	return o;
}

static struct json_object *violations_json(const struct run_result *r)
{
	struct json_object *a = json_object_new_array();
	size_t stored = r->nviolations < RESULT_MAX_VIOLATIONS ? r->nviolations : RESULT_MAX_VIOLATIONS;
	for (size_t i = 0; i < stored; i++)
		json_object_array_add(a, violation_json(&r->violations[i]));
	return a;
}

static struct json_object *measure_json(const struct run_result *r)
{
	if (r->measure_name[0] == '\0')
		return NULL;
	struct json_object *m = json_object_new_object();
	json_object_object_add(m, "name", json_object_new_string(r->measure_name));
	json_object_object_add(m, "iterations", json_object_new_uint64(r->measure_iterations));
	json_object_object_add(m, "instructions", json_object_new_uint64(r->measure_instructions));
	json_object_object_add(m, "exits", json_object_new_uint64(r->measure_exits));
	json_object_object_add(m, "round_trips_stepped", json_object_new_uint64(r->measure_trips));
	json_object_object_add(m, "round_trip_min", json_object_new_uint64(r->measure_trip_min));
	json_object_object_add(m, "round_trip_median", json_object_new_uint64(r->measure_trip_median));
	json_object_object_add(m, "round_trip_max", json_object_new_uint64(r->measure_trip_max));
	json_object_object_add(m, "instructions_per_iteration",
			       r->measure_iterations ? json_object_new_double((double)r->measure_instructions /
									      (double)r->measure_iterations)
						     : NULL);
	return m;
}

static void add_identity(struct json_object *o, const struct run_result *r)
{
	json_object_object_add(o, "model", json_object_new_string(r->model));
	json_object_object_add(o, "pti", json_object_new_string(r->pti));
	json_object_object_add(o, "pcid", json_object_new_string(r->pcid));
	json_object_object_add(o, "vcpus", json_object_new_int64(r->vcpus));
	json_object_object_add(o, "tasks", json_object_new_int64(r->tasks));
	json_object_object_add(o, "scenario", json_object_new_string(r->scenario));
	json_object_object_add(o, "options", json_object_new_string(r->options));
	json_object_object_add(o, "engine", json_object_new_string(r->engine));
	json_object_object_add(o, "backend", json_object_new_string(r->backend));
	json_object_object_add(o, "host", r->host[0] ? json_object_new_string(r->host) : NULL);
	json_object_object_add(o, "confinement", r->confinement[0] ? json_object_new_string(r->confinement) : NULL);
}

static void add_outcome(struct json_object *o, const struct run_result *r)
{
	json_object_object_add(o, "outcome", json_object_new_string(r->outcome));
	json_object_object_add(o, "expected", json_object_new_string(r->expected));
	json_object_object_add(o, "detail", json_object_new_string(r->detail));
	json_object_object_add(o, "kernel_db", json_object_new_int64(r->kernel_db));
	json_object_object_add(o, "end", json_object_new_string(result_end_name(r->end)));
	json_object_object_add(o, "end_reason", json_object_new_string(r->end_reason));
	if (r->refused[0])
		json_object_object_add(o, "refused", json_object_new_string(r->refused));
	json_object_object_add(o, "guest_exit_code", json_object_new_int(r->guest_exit_code));
}

static struct json_object *panic_json(const struct run_result *r)
{
	const struct guest_panic *p = &r->panic;
	if (!p->seen)
		return NULL;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "message", json_object_new_string(p->message));
	if (!p->exception)
		return o;
	json_object_object_add(o, "vector", json_object_new_int((int)p->vector));
	json_object_object_add(o, "vector_name", json_object_new_string(result_vector_name(p->vector)));
	json_object_object_add(o, "rip", hex(p->rip));
	json_object_object_add(o, "symbol", json_object_new_string(p->symbol));
	json_object_object_add(o, "source", json_object_new_string(p->source));
	json_object_object_add(o, "error", hex(p->error));
	json_object_object_add(o, "cr2", hex(p->cr2));
	json_object_object_add(o, "rsp", hex(p->rsp));
	json_object_object_add(o, "stack", json_object_new_string(p->stack));
	json_object_object_add(o, "cr3", p->cr3_known ? hex(p->cr3) : NULL);
	json_object_object_add(o, "cr3_kind", json_object_new_string(p->cr3_kind));
	return o;
}

static struct json_object *fault_watch_json(const struct run_result *r)
{
	if (!r->faults_watched[0] && !r->faults_unwatched[0])
		return NULL;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "watched", json_object_new_string(r->faults_watched));
	json_object_object_add(o, "unwatched", json_object_new_string(r->faults_unwatched));
	json_object_object_add(o, "judged", json_object_new_uint64(r->faults_judged));
	return o;
}

static void add_counters(struct json_object *o, const struct run_result *r)
{
	json_object_object_add(o, "panic", panic_json(r));
	json_object_object_add(o, "fault_watch", fault_watch_json(r));
	if (r->hv_bounces || r->hv_irets || r->hv_refused) {
		json_object *hc = json_object_new_object();
		json_object_object_add(hc, "syscall_bounces", json_object_new_uint64(r->hv_bounces));
		json_object_object_add(hc, "irets", json_object_new_uint64(r->hv_irets));
		json_object_object_add(hc, "irets_refused", json_object_new_uint64(r->hv_refused));
		json_object_object_add(o, "hypercalls", hc);
	}
	if (r->backend_deviation[0])
		json_object_object_add(o, "backend_deviation", json_object_new_string(r->backend_deviation));
	json_object_object_add(o, "exits", json_object_new_uint64(r->exits));
	json_object *by_kind = json_object_new_object();
	json_object_object_add(by_kind, "io", json_object_new_uint64(r->exits_io));
	json_object_object_add(by_kind, "debug", json_object_new_uint64(r->exits_debug));
	json_object_object_add(by_kind, "mmio", json_object_new_uint64(r->exits_mmio));
	json_object_object_add(by_kind, "intr", json_object_new_uint64(r->exits_intr));
	json_object_object_add(by_kind, "other", json_object_new_uint64(r->exits_other));
	json_object_object_add(o, "exits_by_kind", by_kind);
	json_object_object_add(o, "checks", json_object_new_uint64(r->checks));
	json_object_object_add(o, "syscall_repairs", json_object_new_uint64(r->syscall_repairs));
	json_object_object_add(o, "violation_count", json_object_new_uint64(r->nviolations));
	json_object_object_add(o, "violation_occurrences", json_object_new_uint64(r->violation_occurrences));
	json_object_object_add(o, "violations", violations_json(r));
	json_object_object_add(o, "measure", measure_json(r));
	result_inject_json(o, r);
	if (r->ntask_syscalls) {
		struct json_object *a = json_object_new_array();
		for (unsigned i = 0; i < r->ntask_syscalls; i++)
			json_object_array_add(a, json_object_new_uint64(r->task_syscalls[i]));
		json_object_object_add(o, "task_syscalls", a);
	}
	json_object_object_add(o, "syscall_boundaries", json_object_new_uint64(r->syscall_boundaries));
	result_coverage_json(o, r);
	json_object_object_add(o, "wall_seconds", json_object_new_double(r->wall_seconds));
	json_object_object_add(o, "status", json_object_new_int(result_verdict(r)));
}

static int write_text(const char *text, FILE *f)
{
	int err = 0;
	errno = 0;
	if (fputs(text, f) < 0 || fputc('\n', f) == EOF || fflush(f) != 0)
		err = errno ? errno : EIO;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

int result_write_json_stream(const struct run_result *r, FILE *f)
{
	if (!r || !f) {
		errno = EINVAL;
		return -1;
	}
	struct json_object *o = json_object_new_object();
	if (!o) {
		errno = ENOMEM;
		return -1;
	}
	add_identity(o, r);
	add_outcome(o, r);
	add_counters(o, r);
	size_t len = 0;
	const char *text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	int rc = -1;
	if (!text)
		errno = ENOMEM;
	else if (len > RESULT_JSON_MAX)
		errno = EFBIG;
	else
		rc = write_text(text, f);
	json_object_put(o);
	return rc;
}

int result_write_json(const struct run_result *r, const char *path)
{
	if (!r || !path) {
		errno = EINVAL;
		return -1;
	}
	if (strcmp(path, "-") == 0)
		return result_write_json_stream(r, stdout);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int rc = result_write_json_stream(r, f);
	int saved = errno;
	if (fclose(f) != 0 && rc == 0)
		return -1;
	errno = saved;
	return rc;
}
