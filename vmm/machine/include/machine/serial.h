/* SPDX-License-Identifier: MIT */
/* The COM1 subset the guest uses: a transmit register and a line-status
 * register that always says "ready".  What the guest transmits goes to the
 * console line assembler every engine shares (console/console.h). */
#ifndef ENTRYBOX_SERIAL_H
#define ENTRYBOX_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "console/console.h"

#define SERIAL_BYTE_LIMIT CONSOLE_BYTE_LIMIT

typedef console_line_fn serial_line_fn;

struct serial {
	struct console console;
};

void serial_init(struct serial *s, FILE *echo, serial_line_fn on_line, void *ctx);
/* Returns false once the guest has written more than SERIAL_BYTE_LIMIT bytes. */
bool serial_out(struct serial *s, uint16_t port_offset, uint8_t value);
uint8_t serial_in(const struct serial *s, uint16_t port_offset);
void serial_flush(struct serial *s);
/* Appends the last lines, oldest first, separated by " | ". */
void serial_tail(const struct serial *s, char *buf, size_t buflen);

#endif
