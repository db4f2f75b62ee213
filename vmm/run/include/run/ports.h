/* SPDX-License-Identifier: MIT */
/*
 * The guest's I/O ports: one table, port range -> handler.  A handler gets one
 * access (a string I/O exit is split into its `count` accesses) and returns
 * what it decided; a port or access the table does not claim reads as a
 * floating bus (all ones) and drops writes, as on hardware.
 */
#ifndef ENTRYBOX_PORTS_H
#define ENTRYBOX_PORTS_H

#include <stdbool.h>
#include <stdint.h>
#include "run/observer.h"

enum port_dir { PORT_IN = 1, PORT_OUT = 2 };

struct port_access {
	uint16_t port;
	bool out;
	uint8_t *data;            /* `size` bytes: written for an IN, read for an OUT */
	unsigned size;
};

struct port_handler {
	const char *name;
	uint16_t first;
	uint16_t count;           /* ports first .. first + count - 1 */
	unsigned dirs;            /* enum port_dir bits */
	unsigned sizes;           /* bit per access size in bytes (1 << size): 1, 2, 4 */
	/* Takes the whole exit: only a single access (no string I/O), and nothing
	 * of the exit record may be used after it (it re-enters KVM itself). */
	bool whole_exit;
	enum exit_decision (*handle)(struct vcpu_state *v, const struct port_access *a);
};

/* The handler that claims this access, or NULL. */
const struct port_handler *ports_lookup(uint16_t port, bool out, unsigned size, uint32_t count);
/* The table itself, for listing and tests. */
const struct port_handler *ports_table(unsigned *n);

#endif
