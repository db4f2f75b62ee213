/* SPDX-License-Identifier: MIT */
#include "console/console.h"

#include <string.h>

void console_init(struct console *c, FILE *echo, console_line_fn on_line, void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->byte_limit = CONSOLE_BYTE_LIMIT;
	c->echo = echo;
	c->on_line = on_line;
	c->ctx = ctx;
}

static void remember(struct console *c, const char *line)
{
	char *slot = c->tail[c->tail_next % CONSOLE_TAIL_LINES];
	size_t n = strnlen(line, CONSOLE_TAIL_WIDTH - 1);
	memcpy(slot, line, n);
	slot[n] = '\0';
	c->tail_next++;
}

/* Guest text may reach a terminal and a report: printable ASCII only. */
static void plain_text(char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\r' || ch == '\t')
			s[i] = ' ';
		else if (ch < 0x20 || ch > 0x7e)
			s[i] = '?';
	}
}

static void end_line(struct console *c)
{
	if (!c->truncated && c->len > 0 && c->line[c->len - 1] == '\r')
		c->len--;
	c->line[c->len] = '\0';
	plain_text(c->line, c->len);
	if (c->echo)
		fprintf(c->echo, "%s%s\n", c->line, c->truncated ? " [line truncated]" : "");
	remember(c, c->line);
	c->lines++;
	if (c->truncated)
		c->truncated_lines++;
	else if (c->on_line)
		c->on_line(c->ctx, c->line);
	c->len = 0;
	c->truncated = false;
}

bool console_put(struct console *c, uint8_t byte)
{
	if (c->flooded)
		return false;
	if (++c->total_bytes > c->byte_limit) {
		c->flooded = true;
		return false;
	}
	if (byte == '\n')
		end_line(c);
	else if (c->len < CONSOLE_LINE_MAX)
		c->line[c->len++] = (char)byte;
	else
		c->truncated = true;
	return true;
}

bool console_feed(struct console *c, const void *bytes, size_t n)
{
	const uint8_t *b = bytes;
	for (size_t i = 0; i < n; i++)
		if (!console_put(c, b[i]))
			return false;
	return !c->flooded;
}

void console_flush(struct console *c)
{
	if (c->len > 0 && !c->flooded)
		end_line(c);
	c->len = 0;
	c->truncated = false;
}

void console_tail(const struct console *c, char *buf, size_t buflen)
{
	size_t used = 0;
	if (buflen)
		buf[0] = '\0';
	unsigned n = c->tail_next < CONSOLE_TAIL_LINES ? c->tail_next : CONSOLE_TAIL_LINES;
	for (unsigned i = c->tail_next - n; i < c->tail_next && used + 1 < buflen; i++) {
		int w = snprintf(buf + used, buflen - used, "%s%s", used ? " | " : "", c->tail[i % CONSOLE_TAIL_LINES]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}
