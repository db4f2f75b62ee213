/* SPDX-License-Identifier: MIT */
#include "machine/serial.h"

#include <string.h>

#define UART_THR 0
#define UART_LSR 5
#define LSR_THR_EMPTY 0x20
#define LSR_TX_IDLE   0x40

void serial_init(struct serial *s, FILE *echo, serial_line_fn on_line, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->echo = echo;
	s->on_line = on_line;
	s->ctx = ctx;
}

static void remember(struct serial *s, const char *line)
{
	char *slot = s->tail[s->tail_next % SERIAL_TAIL_LINES];
	size_t n = strnlen(line, sizeof(s->tail[0]) - 1);
	memcpy(slot, line, n);
	slot[n] = '\0';
	s->tail_next++;
}

static void end_line(struct serial *s)
{
	s->line[s->len] = '\0';
	/* A guest may send any byte; keep what we print and parse to plain text. */
	for (size_t i = 0; i < s->len; i++) {
		unsigned char c = (unsigned char)s->line[i];
		if (c == '\r' || c == '\t')
			s->line[i] = ' ';
		else if (c < 0x20 || c > 0x7e)
			s->line[i] = '?';
	}
	if (s->echo)
		fprintf(s->echo, "%s%s\n", s->line, s->truncated ? " [line truncated]" : "");
	remember(s, s->line);
	if (s->on_line && !s->truncated)
		s->on_line(s->ctx, s->line);
	s->len = 0;
	s->truncated = false;
}

bool serial_out(struct serial *s, uint16_t port_offset, uint8_t value)
{
	if (port_offset != UART_THR)
		return true; /* divisor, IER, FCR, LCR, MCR: nothing to model */
	if (++s->total_bytes > SERIAL_BYTE_LIMIT)
		return false;
	if (value == '\n') {
		end_line(s);
		return true;
	}
	if (s->len + 1 < SERIAL_LINE_MAX)
		s->line[s->len++] = (char)value;
	else
		s->truncated = true;
	return true;
}

uint8_t serial_in(const struct serial *s, uint16_t port_offset)
{
	(void)s;
	return port_offset == UART_LSR ? (LSR_THR_EMPTY | LSR_TX_IDLE) : 0;
}

void serial_flush(struct serial *s)
{
	if (s->len)
		end_line(s);
}

void serial_tail(const struct serial *s, char *buf, size_t buflen)
{
	size_t used = 0;
	if (buflen)
		buf[0] = '\0';
	unsigned n = s->tail_next < SERIAL_TAIL_LINES ? s->tail_next : SERIAL_TAIL_LINES;
	for (unsigned i = s->tail_next - n; i < s->tail_next && used + 1 < buflen; i++) {
		int w = snprintf(buf + used, buflen - used, "%s%s", used ? " | " : "", s->tail[i % SERIAL_TAIL_LINES]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}
