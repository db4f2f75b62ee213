/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the console line assembler every engine shares: the input
 * is what a guest sends to its console, cut into the reads an engine would
 * get (the first byte chooses the chunk size).  Every line handed on is
 * plain printable ASCII of at most CONSOLE_LINE_MAX bytes; the lines, the
 * counters and the tail are the same however the bytes are cut; the flood
 * limit holds and memory stays the struct.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "console/console.h"
#include "fuzz/fuzz_target.h"

/* A lower flood limit than the engines', so a flood costs an input little:
 * what is tested is the policy at the limit, not the number. */
#define FUZZ_BYTE_LIMIT (8u * CONSOLE_LINE_MAX)

/* The lines seen, as one digest per way of feeding. */
struct seen {
	uint64_t hash;
	uint64_t lines;
};

static void plain(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);
	FUZZ_ASSERT(n <= max);
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT(s[i] >= 0x20 && s[i] <= 0x7e);
}

static void on_line(void *ctx, const char *line)
{
	struct seen *s = ctx;
	plain(line, CONSOLE_LINE_MAX);
	for (const char *p = line; *p; p++)
		s->hash = (s->hash ^ (uint8_t)*p) * 0x100000001b3ull;
	s->hash = (s->hash ^ 0x0a) * 0x100000001b3ull;
	s->lines++;
}

static void feed(struct console *c, const uint8_t *data, size_t size, size_t chunk)
{
	for (size_t off = 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;
		bool more = console_feed(c, data + off, n);
		FUZZ_ASSERT(more == !console_flooded(c));
		if (!more)
			break;
	}
	console_flush(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* The first byte: how an engine's reads cut the stream, and (0xff, never
	 * in text) whether to repeat it past the flood limit. */
	size_t chunk = (size_t)data[0] % 64 + 1;
	bool flood = data[0] == 0xff && size > 1;   /* something to repeat */
	data++;
	size--;
	size_t total = flood ? FUZZ_BYTE_LIMIT + 1 + size : size;
	uint8_t *bytes = malloc(total ? total : 1);
	FUZZ_ASSERT(bytes != NULL);
	for (size_t i = 0; i < total; i++)
		bytes[i] = data[i % size];

	struct console *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	FUZZ_ASSERT(a && b);
	struct seen sa = { .hash = 0xcbf29ce484222325ull }, sb = sa;
	console_init(a, NULL, on_line, &sa);
	console_init(b, NULL, on_line, &sb);
	a->byte_limit = b->byte_limit = FUZZ_BYTE_LIMIT;
	feed(a, bytes, total, chunk);
	feed(b, bytes, total, 1);

	FUZZ_ASSERT(sa.hash == sb.hash && sa.lines == sb.lines);
	FUZZ_ASSERT(a->lines == b->lines && a->truncated_lines == b->truncated_lines);
	FUZZ_ASSERT(sa.lines + a->truncated_lines == a->lines);
	FUZZ_ASSERT(console_flooded(a) == (total > FUZZ_BYTE_LIMIT));
	FUZZ_ASSERT(a->total_bytes <= (uint64_t)FUZZ_BYTE_LIMIT + 1);
	char ta[CONSOLE_TAIL_LINES * (CONSOLE_TAIL_WIDTH + 3) + 1], tb[sizeof(ta)];
	console_tail(a, ta, sizeof(ta));
	console_tail(b, tb, sizeof(tb));
	FUZZ_ASSERT(strcmp(ta, tb) == 0);
	plain(ta, sizeof(ta) - 1);
	free(a);
	free(b);
	free(bytes);
	return 0;
}
