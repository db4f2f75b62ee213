/* SPDX-License-Identifier: MIT */
/* `entrybox run --gdb [HOST:]PORT [--gdb-wait]`, taken out of argv before the
 * shared run/qemu parser sees it (as trace_args.h does). */
#ifndef ENTRYBOX_GDB_ARGS_H
#define ENTRYBOX_GDB_ARGS_H

#include <stdbool.h>

#include "gdb/stub.h"

struct gdb_args {
	bool on;                  /* --gdb given */
	struct gdb_config cfg;
};

/* Removes --gdb (with its value) and --gdb-wait from argv, *argc updated.
 * Returns 0, or EBX_STATUS_USAGE after one error line. */
int gdb_args_extract(int *argc, char **argv, struct gdb_args *out);

/* QEMU's -gdb endpoint "tcp:HOST:PORT" for cfg; PORT 0 becomes a port free
 * now (QEMU would not say which it took), and where it listens is said on
 * stderr as the VMM's stub says it.  0, or a status after one error line. */
int gdb_args_endpoint(const struct gdb_config *cfg, char *out, size_t len);

#endif
