/* SPDX-License-Identifier: MIT */
#include "result/console_verdict.h"

#include <stdio.h>
#include <string.h>

#include "entrybox/abi.h"

/* The line the guest prints right before each exit that has no result line
 * (guest/main.c bad_cmdline() and unsupported(), guest/panic.c panic()). */
static const struct {
	const char *prefix;
	int exit_value;
} last_words[] = {
	{ "entrybox: panic: ", EBX_GUEST_EXIT_PANIC },
	{ "entrybox: bad command line: ", EBX_GUEST_EXIT_BAD_CMDLINE },
	{ "entrybox: unsupported: ", EBX_GUEST_EXIT_UNSUPPORTED },
};

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

void console_verdict_init(struct console_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->last_words = -1;
	v->announced = -1;
}

/* Exactly `@entrybox {"event":"exit","code":N}` with 0 <= N <= 255, nothing else. */
static int exit_event(const char *line)
{
	unsigned code;
	int used = 0;
	if (sscanf(line, EBX_SERIAL_PREFIX "{\"event\":\"exit\",\"code\":%3u}%n", &code, &used) != 1 || used == 0 ||
	    line[used] != '\0' || code > 255)
		return -1;
	return (int)code;
}

void console_verdict_line(struct console_verdict *v, const char *line, struct run_result *r)
{
	if (result_parse_serial_line(line, r))
		return;
	int code = exit_event(line);
	if (code >= 0) {
		v->announced = code;
		return;
	}
	if (starts_with(line, EBX_SERIAL_PREFIX) || !line[0])
		return;
	for (size_t i = 0; i < sizeof(last_words) / sizeof(last_words[0]); i++)
		if (starts_with(line, last_words[i].prefix))
			v->last_words = last_words[i].exit_value;
	snprintf(v->last_console, sizeof(v->last_console), "%s", line);
}

int console_verdict_exit_code(const struct console_verdict *v, const struct run_result *r)
{
	if (v->announced >= 0)
		return v->announced;
	/* A panic after a result line means the guest never got to exit with that verdict. */
	if (v->last_words == EBX_GUEST_EXIT_PANIC)
		return EBX_GUEST_EXIT_PANIC;
	if (r->result_lines > 0) {
		/* guest/main.c exits with PASS exactly when the outcome is the expected one. */
		bool as_expected = r->outcome[0] && strcmp(r->outcome, r->expected) == 0;
		return as_expected ? EBX_GUEST_EXIT_PASS : EBX_GUEST_EXIT_FAIL;
	}
	return v->last_words;
}
