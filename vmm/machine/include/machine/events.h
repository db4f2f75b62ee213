/* SPDX-License-Identifier: MIT */
/* Checkpoint records the guest hands over through EBX_PORT_CHECKPOINT: fetched
 * from guest memory and validated before anything else looks at them. */
#ifndef ENTRYBOX_EVENTS_H
#define ENTRYBOX_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "entrybox/abi.h"
#include "machine/gmem.h"

struct event_view {
	uint32_t kind;
	uint32_t cpu;
	uint32_t length;
	const uint8_t *payload;  /* inside guest RAM; copy before use if the guest may race */
};

/* Validates header and payload bounds, magic, kind and the payload size each
 * kind requires.  On failure writes one line to err. */
bool event_fetch(const struct gmem *m, uint64_t gpa, unsigned ncpus, struct event_view *out, char *err,
		 size_t errlen);

/* Copies a string field of at most `cap` bytes that must be NUL-terminated within it. */
bool event_string(const char *field, size_t cap, char *dst, size_t dstlen);

const char *event_kind_name(uint32_t kind);

#endif
