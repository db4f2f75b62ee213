/* SPDX-License-Identifier: MIT */
/*
 * The matrix's svm-box engine: cells that run `entrybox run` inside SVM boxes
 * (tools/svm-box.sh: QEMU TCG with an AMD CPU, kvm_amd inside), for machines
 * without a /dev/kvm of their own and to put svm beside the host's backend.
 *
 * A box takes seconds to boot, so it is not one box a cell: a few boxes (one
 * a core) share one queue of cells in a folder both sides see (/tmp is shared
 * with the box) and take cells from it until it is empty
 * (tools/matrix/box-worker.sh).  Each cell's JSON and log are written there
 * and copied to the matrix's own folder when the cell is done.
 */
#ifndef ENTRYBOX_MATRIX_BOX_H
#define ENTRYBOX_MATRIX_BOX_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "matrix/matrix.h"
#include "matrix_runner.h"

#define BOX_POOL_MAX 8

struct box_pool {
	char dir[48];                     /* the shared queue folder under /tmp; empty when not started */
	pid_t workers[BOX_POOL_MAX];
	unsigned nworkers, running;
	struct matrix_cell **cells;       /* queue index -> cell */
	bool *finished;
	size_t ncells;
	double last_progress;             /* when a cell last finished (or the boxes started) */
	double stall_after;               /* seconds without progress that mean a box is stuck */
	bool stalled;
	char out_dir[PATH_MAX];           /* where the boxes' own logs are kept */
};

/* Where tools/svm-box.sh is: $ENTRYBOX_SVM_BOX, else the source tree's.
 * False when it is not there (then the engine cannot run). */
bool box_pool_script(char *path, size_t len);

/* Queues every svm-box cell of m and starts up to `boxes` boxes.  0, or a
 * CLI status after one error line. */
int box_pool_start(struct box_pool *p, struct matrix *m, const char *exe, unsigned boxes);

/* Reports every cell whose run is done through `done`; returns how many.
 * Once every box has ended, cells no box ran end as died.  A box whose
 * kernel hangs finishes nothing: when no cell has finished for longer than a
 * run may take, every box is stopped and the rest end as died. */
size_t box_pool_reap(struct box_pool *p, matrix_cell_done done, void *ctx);

/* Kills what still runs and removes the queue folder. */
void box_pool_stop(struct box_pool *p);

#endif
