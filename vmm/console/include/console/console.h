/* SPDX-License-Identifier: MIT */
/*
 * The guest's console as every engine reads it: a byte stream turned into
 * bounded lines of plain text.  Our VMM feeds it the bytes of COM1 writes,
 * the QEMU engine the bytes of QEMU's stdout, the libvirt engine the bytes of
 * the console socket; the same guest output therefore gives the same lines,
 * the same truncation and the same flood limit under every engine.
 *
 * The policy, for a hostile guest:
 *  - a line ends at '\n'; a '\r' right before it is dropped (CRLF);
 *  - every other byte outside printable ASCII becomes '?', except '\r' and
 *    '\t', which become a space: nothing the guest sends reaches a terminal
 *    or a report as a control sequence;
 *  - a line longer than CONSOLE_LINE_MAX keeps its first CONSOLE_LINE_MAX
 *    bytes for the echo and the tail, marked truncated, and is never handed
 *    to the line callback: a cut "@entrybox" line is not a result;
 *  - after CONSOLE_BYTE_LIMIT bytes the console is flooded: it takes nothing
 *    more and the engine ends the run as hostile (byte_limit; only tests
 *    lower it, to reach a flood in fewer bytes).
 * Memory is the struct itself, whatever the guest writes.  The struct is
 * plain data: a copy is a snapshot of the console (sweeps restore one).
 */
#ifndef ENTRYBOX_CONSOLE_H
#define ENTRYBOX_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONSOLE_LINE_MAX    2048
/* Far above what any scenario prints (a few KiB), low enough that a flooding
 * guest is stopped in about a second even where every byte is an exit. */
#define CONSOLE_BYTE_LIMIT  (256u << 10)
#define CONSOLE_TAIL_LINES  16
#define CONSOLE_TAIL_WIDTH  160

/* A complete line, plain text, NUL-terminated, at most CONSOLE_LINE_MAX bytes. */
typedef void (*console_line_fn)(void *ctx, const char *line);

struct console {
	char line[CONSOLE_LINE_MAX + 1];
	size_t len;
	bool truncated;                      /* the current line overflowed */
	bool flooded;                        /* more than byte_limit bytes came */
	uint64_t total_bytes;
	uint64_t byte_limit;                 /* CONSOLE_BYTE_LIMIT */
	uint64_t lines, truncated_lines;
	char tail[CONSOLE_TAIL_LINES][CONSOLE_TAIL_WIDTH];  /* last lines, for error reports */
	unsigned tail_next;
	FILE *echo;                          /* NULL: keep quiet */
	console_line_fn on_line;             /* NULL: nobody parses the lines */
	void *ctx;
};

void console_init(struct console *c, FILE *echo, console_line_fn on_line, void *ctx);

/* Takes bytes from the guest.  Returns false once the console is flooded
 * (the bytes past the limit are dropped). */
bool console_feed(struct console *c, const void *bytes, size_t n);
bool console_put(struct console *c, uint8_t byte);

/* Ends an unterminated last line (the guest's last words may lack '\n').
 * Nothing is delivered after a flood: the line is the flood's. */
void console_flush(struct console *c);

static inline bool console_flooded(const struct console *c)
{
	return c->flooded;
}

/* The last lines, oldest first, separated by " | ". */
void console_tail(const struct console *c, char *buf, size_t buflen);

#endif
