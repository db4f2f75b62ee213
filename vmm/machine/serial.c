/* SPDX-License-Identifier: MIT */
#include "machine/serial.h"

#define UART_THR 0
#define UART_LSR 5
#define LSR_THR_EMPTY 0x20
#define LSR_TX_IDLE   0x40

void serial_init(struct serial *s, FILE *echo, serial_line_fn on_line, void *ctx)
{
	console_init(&s->console, echo, on_line, ctx);
}

bool serial_out(struct serial *s, uint16_t port_offset, uint8_t value)
{
	if (port_offset != UART_THR)
		return true; /* divisor, IER, FCR, LCR, MCR: nothing to model */
	return console_put(&s->console, value);
}

uint8_t serial_in(const struct serial *s, uint16_t port_offset)
{
	(void)s;
	return port_offset == UART_LSR ? (LSR_THR_EMPTY | LSR_TX_IDLE) : 0;
}

void serial_flush(struct serial *s)
{
	console_flush(&s->console);
}

void serial_tail(const struct serial *s, char *buf, size_t buflen)
{
	console_tail(&s->console, buf, buflen);
}
