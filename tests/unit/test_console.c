/* SPDX-License-Identifier: MIT */
/* The console line assembler every engine shares: lines, plain text, the
 * truncation policy, the flood limit and the tail kept for reports. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "console/console.h"

#define MAX_GOT 32

struct lines {
	char got[MAX_GOT][CONSOLE_LINE_MAX + 1];
	int n;
};

static void collect(void *ctx, const char *line)
{
	struct lines *l = ctx;
	ck_assert_uint_le(strlen(line), CONSOLE_LINE_MAX);
	if (l->n < MAX_GOT)
		snprintf(l->got[l->n++], sizeof(l->got[0]), "%s", line);
}

static struct lines *fresh(struct console *c, FILE *echo)
{
	struct lines *l = calloc(1, sizeof(*l));
	ck_assert_ptr_nonnull(l);
	console_init(c, echo, collect, l);
	return l;
}

static void feed(struct console *c, const char *text)
{
	ck_assert(console_feed(c, text, strlen(text)));
}

START_TEST(lines_end_at_newline_and_crlf_is_one_end)
{
	struct console c;
	struct lines *l = fresh(&c, NULL);
	feed(&c, "one\r\ntw");
	ck_assert_int_eq(l->n, 1);
	ck_assert_str_eq(l->got[0], "one");
	feed(&c, "o\n\n");
	ck_assert_int_eq(l->n, 3);
	ck_assert_str_eq(l->got[1], "two");
	ck_assert_str_eq(l->got[2], "");
	ck_assert_uint_eq(c.lines, 3);
	free(l);
}
END_TEST

START_TEST(control_bytes_become_plain_text)
{
	struct console c;
	struct lines *l = fresh(&c, NULL);
	const uint8_t bytes[] = { 'a', 0x1b, '[', '2', 'J', '\t', 0xff, 0x7f, '\r', 'b', 0, 'c', '\n' };
	ck_assert(console_feed(&c, bytes, sizeof(bytes)));
	ck_assert_int_eq(l->n, 1);
	ck_assert_str_eq(l->got[0], "a?[2J ?? b?c");
	free(l);
}
END_TEST

START_TEST(a_line_at_the_limit_is_whole)
{
	struct console c;
	struct lines *l = fresh(&c, NULL);
	for (int i = 0; i < CONSOLE_LINE_MAX; i++)
		ck_assert(console_put(&c, 'x'));
	console_put(&c, '\n');
	ck_assert_int_eq(l->n, 1);
	ck_assert_uint_eq(strlen(l->got[0]), CONSOLE_LINE_MAX);
	ck_assert_uint_eq(c.truncated_lines, 0);
	free(l);
}
END_TEST

START_TEST(a_longer_line_is_never_parsed)
{
	struct console c;
	char *echo_text = NULL;
	size_t echo_len = 0;
	FILE *echo = open_memstream(&echo_text, &echo_len);
	ck_assert_ptr_nonnull(echo);
	struct lines *l = fresh(&c, echo);
	/* A result line cut at the limit would still look like one. */
	feed(&c, "@entrybox {\"event\":\"result\"}");
	for (int i = 0; i < CONSOLE_LINE_MAX; i++)
		console_put(&c, ' ');
	feed(&c, "\nnext\n");
	fclose(echo);
	ck_assert_int_eq(l->n, 1);
	ck_assert_str_eq(l->got[0], "next");
	ck_assert_uint_eq(c.truncated_lines, 1);
	ck_assert_uint_eq(c.lines, 2);
	ck_assert_ptr_nonnull(strstr(echo_text, " [line truncated]\nnext\n"));
	/* The tail keeps the cut line's start, for a report. */
	char tail[400];
	console_tail(&c, tail, sizeof(tail));
	ck_assert_msg(strncmp(tail, "@entrybox {\"event\":\"result\"}", 28) == 0, "%s", tail);
	ck_assert_ptr_nonnull(strstr(tail, " | next"));
	free(echo_text);
	free(l);
}
END_TEST

START_TEST(the_flood_limit_stops_everything)
{
	struct console c;
	struct lines *l = fresh(&c, NULL);
	static char chunk[4096];
	memset(chunk, 'y', sizeof(chunk));
	chunk[100] = '\n';
	size_t fed = 0;
	while (console_feed(&c, chunk, sizeof(chunk)))
		fed += sizeof(chunk);
	ck_assert_uint_eq(fed, CONSOLE_BYTE_LIMIT);
	ck_assert(console_flooded(&c));
	ck_assert_uint_eq(c.total_bytes, CONSOLE_BYTE_LIMIT + 1);
	int before = l->n;
	ck_assert(!console_put(&c, '\n'));
	console_flush(&c);
	ck_assert_int_eq(l->n, before);
	free(l);
}
END_TEST

START_TEST(flush_delivers_the_last_words)
{
	struct console c;
	struct lines *l = fresh(&c, NULL);
	feed(&c, "panic: no newline\r");
	ck_assert_int_eq(l->n, 0);
	console_flush(&c);
	ck_assert_int_eq(l->n, 1);
	ck_assert_str_eq(l->got[0], "panic: no newline");
	console_flush(&c);
	ck_assert_int_eq(l->n, 1);
	free(l);
}
END_TEST

START_TEST(the_tail_keeps_the_last_lines)
{
	struct console c;
	struct lines *l = fresh(&c, NULL);
	char line[32];
	for (int i = 0; i < CONSOLE_TAIL_LINES + 4; i++) {
		snprintf(line, sizeof(line), "l%d\n", i);
		feed(&c, line);
	}
	char tail[1024];
	console_tail(&c, tail, sizeof(tail));
	ck_assert_msg(strncmp(tail, "l4 | l5 | ", 10) == 0, "%s", tail);
	ck_assert_ptr_nonnull(strstr(tail, " | l19"));
	/* A short buffer is cut, never overrun. */
	char small[8];
	console_tail(&c, small, sizeof(small));
	ck_assert_str_eq(small, "l4 | l5");
	free(l);
}
END_TEST

START_TEST(a_copy_is_a_snapshot)
{
	struct console c;
	struct lines *l = fresh(&c, NULL);
	feed(&c, "before\npart");
	struct console saved = c;
	feed(&c, "ial\nafter\n");
	ck_assert_int_eq(l->n, 3);
	c = saved;
	feed(&c, "!\n");
	ck_assert_int_eq(l->n, 4);
	ck_assert_str_eq(l->got[3], "part!");
	free(l);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("console");
	TCase *tc = tcase_create("console");
	tcase_add_test(tc, lines_end_at_newline_and_crlf_is_one_end);
	tcase_add_test(tc, control_bytes_become_plain_text);
	tcase_add_test(tc, a_line_at_the_limit_is_whole);
	tcase_add_test(tc, a_longer_line_is_never_parsed);
	tcase_add_test(tc, the_flood_limit_stops_everything);
	tcase_add_test(tc, flush_delivers_the_last_words);
	tcase_add_test(tc, the_tail_keeps_the_last_lines);
	tcase_add_test(tc, a_copy_is_a_snapshot);
	suite_add_tcase(s, tc);
	return check_run(s);
}
