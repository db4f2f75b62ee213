/* SPDX-License-Identifier: MIT */
/*
 * KIND@each:PATH: one injection per instruction of an entry path, each point
 * judged as survived / violation / triple fault / failed / not reached.
 *
 * The baseline run finds the path (single-stepping the first null syscall for
 * `syscall`; the symbol's bytes for SYMBOL and SYMBOL..SYMBOL) and, in
 * snapshot mode, saves the VM just before it; each point then restores that
 * snapshot instead of booting again.  Reboot mode boots a fresh VM per point,
 * for comparison.
 */
#ifndef ENTRYBOX_SWEEP_H
#define ENTRYBOX_SWEEP_H

#include <stdbool.h>
#include <stddef.h>

struct session;
struct sweep;

/* Arms the baseline run of the run's sweep in *out (NULL when the run has
 * none).  False, with why in err, when it cannot. */
bool sweep_prepare(struct session *s, struct sweep **out, char *err, size_t errlen);
/* After the baseline run: runs every point and puts the report in s->r. */
void sweep_execute(struct sweep *sw, struct session *s);
void sweep_free(struct sweep *sw, struct session *s);

#endif
