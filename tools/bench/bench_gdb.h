/* SPDX-License-Identifier: MIT */
/* gdb's stepi round trip, driven by Debian's gdb in batch mode, against a gdb
 * stub that an `entrybox` child starts: this VMM's (`run --gdb`) or QEMU's
 * (`qemu --accel tcg --gdb`), on the same guest and the same code. */
#ifndef ENTRYBOX_BENCH_GDB_H
#define ENTRYBOX_BENCH_GDB_H

#include <stdbool.h>
#include <stddef.h>

/* Where the steps are taken: from this guest function on, kernel code
 * either engine runs the same way. */
#define BENCH_GDB_FROM "mm_init"

/* Where one stepi's time went, by this VMM's stub (ENTRYBOX_GDB_PROFILE):
 * the VMM's part (the step, its exit and checks, the stub's packets) and
 * the time the stub waited for gdb (gdb's own work and the socket). */
struct bench_gdb_split {
	double vmm_us, gdb_us;
};

/* Microseconds per stepi over `steps` steps of one session started as
 * `entrybox ARGS... --gdb 127.0.0.1:0 --gdb-wait`.  With `split` the
 * session runs with the stub's profile and *split says what it found.  0,
 * or -1 with a reason in note; *absent when what is missing is gdb (or its
 * Python), not the run. */
int bench_gdb_stepi(const char *const *args, unsigned steps, double *us_per_step, struct bench_gdb_split *split,
		    bool *absent, char *note, size_t len);

#endif
