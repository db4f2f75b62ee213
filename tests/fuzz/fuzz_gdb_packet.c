/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the gdb stub's protocol: the input is what a peer sends
 * over the socket -- any bytes, cut into reads of any size -- answered by the
 * real framing and dispatch over a fake target (tests/fixtures/gdb_fake_target.h).
 * Whenever a resume waits for its stop, the target stops, in a way the input
 * chooses.  Everything a hostile gdb can make the stub parse runs here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures/gdb_fake_target.h"
#include "gdb/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void stop_from(const uint8_t *data, size_t size, struct gdb_stop *s)
{
	memset(s, 0, sizeof(*s));
	if (size == 0)
		return;
	s->why = (enum gdb_stop_why)(data[0] % (GDB_WHY_EXITED + 1));
	s->cpu = data[0] >> 7;
	s->code = data[0];
	s->addr = 0xffffffff81000000ull + data[0];
	size_t n = size - 1 < sizeof(s->message) - 1 ? size - 1 : sizeof(s->message) - 1;
	memcpy(s->message, data + 1, n);
	s->message[n] = '\0';
	snprintf(s->reason, sizeof(s->reason), "violation:%.*s", (int)(n < 20 ? n : 20), (const char *)data + 1);
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
		}
		if (t.out_len > sizeof(t.out) / 2)
			fake_gdb_clear_output(&t);
	}
	return 0;
}

#ifdef FUZZ_REPLAY
int main(int argc, char **argv)
{
	static uint8_t buf[1 << 20];
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
	}
	printf("replayed %d inputs\n", argc - 1);
	return 0;
}
#endif
