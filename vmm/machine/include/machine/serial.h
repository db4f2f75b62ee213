/* SPDX-License-Identifier: MIT */
/* The COM1 subset the guest uses: a transmit register and a line-status
 * register that always says "ready".  Output is assembled into lines with a
 * hard cap, so a guest that floods the console costs bounded memory. */
#ifndef ENTRYBOX_SERIAL_H
#define ENTRYBOX_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SERIAL_LINE_MAX     2048
#define SERIAL_TAIL_LINES   16
/* Far above what any scenario prints (a few KiB), low enough that a flooding
 * guest is stopped in about a second even where every byte is an exit. */
#define SERIAL_BYTE_LIMIT   (256u << 10)

typedef void (*serial_line_fn)(void *ctx, const char *line);

struct serial {
	char line[SERIAL_LINE_MAX];
	size_t len;
	bool truncated;
	uint64_t total_bytes;
	char tail[SERIAL_TAIL_LINES][160];   /* last lines, for error reports */
	unsigned tail_next;
	FILE *echo;                          /* NULL: keep quiet */
	serial_line_fn on_line;
	void *ctx;
};

void serial_init(struct serial *s, FILE *echo, serial_line_fn on_line, void *ctx);
/* Returns false once the guest has written more than SERIAL_BYTE_LIMIT bytes. */
bool serial_out(struct serial *s, uint16_t port_offset, uint8_t value);
uint8_t serial_in(const struct serial *s, uint16_t port_offset);
void serial_flush(struct serial *s);
/* Appends the last lines, oldest first, separated by " | ". */
void serial_tail(const struct serial *s, char *buf, size_t buflen);

#endif
