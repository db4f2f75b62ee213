/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the "@entrybox" result reader that the QEMU and libvirt
 * engines (and our VMM) apply to the guest's console lines, with the console
 * verdict that libvirt takes the guest's exit value from.  The input is a
 * console transcript and goes the way an engine takes it: through the
 * console line assembler into the verdict and the reader.  The first line is
 * also given to the reader raw, as a hostile caller might.  Whatever the
 * guest prints, every field the reader fills stays a terminated string of
 * printable ASCII, the modes stay on/off, the counts stay in range, one
 * result line counts once, and the exit value inferred is one the guest can
 * write.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "console/console.h"
#include "fuzz/fuzz_target.h"
#include "result/console_verdict.h"
#include "result/result.h"

#define LINE_MAX_FED 8192

static void printable(const char *s, size_t cap)
{
	FUZZ_ASSERT(memchr(s, '\0', cap) != NULL);
	for (; *s; s++)
		FUZZ_ASSERT(*s >= 0x20 && *s <= 0x7e);
}

static void on_off(const char *s)
{
	FUZZ_ASSERT(strcmp(s, "on") == 0 || strcmp(s, "off") == 0 || strcmp(s, "?") == 0);
}

static void check_result(const struct run_result *r)
{
	printable(r->model, sizeof(r->model));
	printable(r->scenario, sizeof(r->scenario));
	printable(r->outcome, sizeof(r->outcome));
	printable(r->expected, sizeof(r->expected));
	printable(r->detail, sizeof(r->detail));
	on_off(r->pti);
	on_off(r->pcid);
	FUZZ_ASSERT(r->vcpus <= 4096 && r->tasks <= 4096);
}

struct pipeline {
	struct console_verdict verdict;
	struct run_result *r;
	unsigned results;
};

static void on_line(void *ctx, const char *line)
{
	struct pipeline *p = ctx;
	unsigned before = p->r->result_lines;
	console_verdict_line(&p->verdict, line, p->r);
	FUZZ_ASSERT(p->r->result_lines == before || p->r->result_lines == before + 1);
	p->results += p->r->result_lines - before;
	check_result(p->r);
	printable(p->verdict.last_console, sizeof(p->verdict.last_console));
}

static struct run_result *fresh_result(void)
{
	struct run_result *r = calloc(1, sizeof(*r));
	FUZZ_ASSERT(r != NULL);
	strcpy(r->pti, "?");
	strcpy(r->pcid, "?");
	r->vcpus = r->tasks = 1;
	return r;
}

/* The reader is a pure function of the line: the same line twice, the same fields. */
static void raw_line(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl ? (size_t)(nl - data) : size;
	if (n > LINE_MAX_FED)
		return;
	char *line = malloc(n + 1);
	FUZZ_ASSERT(line != NULL);
	memcpy(line, data, n);
	line[n] = '\0';
	struct run_result *once = fresh_result(), *twice = fresh_result();
	bool a = result_parse_serial_line(line, once);
	check_result(once);
	memcpy(twice, once, sizeof(*twice));
	bool b = result_parse_serial_line(line, twice);
	FUZZ_ASSERT(a == b && once->result_lines == (a ? 1u : 0u) && twice->result_lines == (b ? 2u : 0u));
	FUZZ_ASSERT(strcmp(once->outcome, twice->outcome) == 0 && strcmp(once->detail, twice->detail) == 0);
	free(once);
	free(twice);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pipeline p = { .r = fresh_result() };
	console_verdict_init(&p.verdict);
	struct console *c = malloc(sizeof(*c));
	FUZZ_ASSERT(c != NULL);
	console_init(c, NULL, on_line, &p);
	console_feed(c, data, size);
	console_flush(c);
	FUZZ_ASSERT(p.results == p.r->result_lines);
	int code = console_verdict_exit_code(&p.verdict, p.r);
	FUZZ_ASSERT(code >= -1 && code <= 255);
	result_reject_repeated_verdicts(p.r);
	FUZZ_ASSERT((p.r->result_lines > 1) == (p.r->end == RUN_END_HOSTILE));
	raw_line(data, size);
	free(c);
	free(p.r);
	return 0;
}
