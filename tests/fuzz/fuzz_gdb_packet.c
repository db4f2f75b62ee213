/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the gdb stub's protocol (vmm/gdb/proto.h): the input is
 * what a peer sends over the socket -- any bytes, cut into reads of any size
 * -- answered by the real framing and dispatch over a fake target
 * (tests/fixtures/gdb_fake_target.h).  Whenever a resume waits for its stop,
 * the target stops, in a way the input chooses.  Invariant: everything the
 * stub sends is an acknowledgement or a well-formed packet -- "$", at most a
 * packet's worth of bytes without '#' or '$', "#", the right checksum.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures/gdb_fake_target.h"
#include "fuzz/fuzz_target.h"
#include "gdb/proto.h"

static int hex(char c)
{
	return gdb_hex_digit(c);
}

/* What the stub sent: '+', '-' and whole, valid packets, nothing else. */
static void check_output(const char *out, size_t len)
{
	size_t i = 0;
	while (i < len) {
		if (out[i] == '+' || out[i] == '-') {
			i++;
			continue;
		}
		FUZZ_ASSERT(out[i] == '$');
		size_t start = ++i;
		uint8_t sum = 0;
		while (i < len && out[i] != '#') {
			FUZZ_ASSERT(out[i] != '$');
			sum = (uint8_t)(sum + (uint8_t)out[i]);
			i++;
		}
		/* The fake's buffer may cut the very last packet short. */
		if (i + 3 > len)
			return;
		FUZZ_ASSERT(i - start <= GDB_PACKET_MAX);
		FUZZ_ASSERT(hex(out[i + 1]) >= 0 && hex(out[i + 2]) >= 0);
		FUZZ_ASSERT((uint8_t)(hex(out[i + 1]) << 4 | hex(out[i + 2])) == sum);
		i += 3;
	}
}

static void stop_from(const uint8_t *data, size_t size, struct gdb_stop *s)
{
	memset(s, 0, sizeof(*s));
	if (size == 0)
		return;
	s->why = (enum gdb_stop_why)(data[0] % (GDB_WHY_EXITED + 1));
	s->cpu = (data[0] >> 7) % FAKE_GDB_CPUS;
	s->code = data[0];
	s->addr = FAKE_GDB_MEM_BASE + data[0];
	size_t n = size - 1 < sizeof(s->message) - 1 ? size - 1 : sizeof(s->message) - 1;
	memcpy(s->message, data + 1, n);
	s->message[n] = '\0';
	snprintf(s->reason, sizeof(s->reason), "violation:%.*s", (int)(n < 20 ? n : 20), s->message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fake_gdb_target t;
	static struct gdb_conn c;
	if (size < 1)
		return 0;
	fake_gdb_init(&t);
	gdb_conn_init(&c, &fake_gdb_ops, &t, fake_gdb_send, &t);
	/* The first byte: how the stream is cut into reads. */
	size_t chunk = (size_t)(data[0] % 64) + 1;
	data++;
	size--;
	for (size_t off = 0; off < size && !c.ended; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;
		gdb_conn_input(&c, data + off, n);
		if (c.running) {
			struct gdb_stop s;
			stop_from(data + off, n, &s);
			gdb_conn_stopped(&c, &s);
			FUZZ_ASSERT(!c.running);
		}
		if (t.out_len > sizeof(t.out) / 2) {
			check_output(t.out, t.out_len);
			fake_gdb_clear_output(&t);
		}
	}
	check_output(t.out, t.out_len);
	return 0;
}
