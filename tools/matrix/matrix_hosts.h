/* SPDX-License-Identifier: MIT */
/*
 * The libvirt hosts an --engine libvirt matrix spreads its runs over.  Each
 * host is asked at the start, with the guest image placed on it the way its
 * runs will find it; one that cannot be reached is reported in one line and
 * left out.  A run goes to the reachable host with the fewest runs in
 * flight.  A run its host failed (the connection was lost, or the run could
 * not even start there) is asked about again: if the host is gone it is
 * marked down, and either way the run is tried on another host it has not
 * been tried on, until MATRIX_MAX_ATTEMPTS hosts have had it.
 */
#ifndef ENTRYBOX_MATRIX_HOSTS_H
#define ENTRYBOX_MATRIX_HOSTS_H

#include <stdbool.h>
#include <stdio.h>

#include "engines/libvirt.h"
#include "matrix/matrix.h"

struct matrix_host {
	const char *uri;          /* NULL: libvirt's default */
	bool up;
	unsigned running;         /* attempts in flight */
	unsigned assigned;        /* attempts started here */
	unsigned ran;             /* cells whose last attempt ran here */
	unsigned lost;            /* attempts the host failed */
	char why[200];            /* why it is down */
	bool down_at_start;
};

struct matrix_hosts {
	char *list;               /* owned copy of --connect; the URIs point into it */
	struct matrix_host host[LIBVIRT_URI_LIST_MAX];
	unsigned n;
};

/* Splits the URI list (NULL: libvirt's default, one host), asks every host
 * and places the guest image there; prints one line per host left out.
 * Returns 0, or EBX_STATUS_ENV after one line when no host is left. */
int matrix_hosts_open(struct matrix_hosts *h, const char *list, const char *guest);
void matrix_hosts_close(struct matrix_hosts *h);

/* The host for the cell's next attempt, or NULL when every reachable host
 * has had it (or MATRIX_MAX_ATTEMPTS have). */
struct matrix_host *matrix_hosts_pick(struct matrix_hosts *h, const struct matrix_cell *c);

/* The attempt of cell c on its host ended: true when the host failed it and
 * the cell is to be tried elsewhere (then its host has been asked again, and
 * is marked down with one line when it is gone). */
bool matrix_hosts_attempt_done(struct matrix_hosts *h, struct matrix_cell *c);

/* One line per host: runs, failures, whether it went down and why. */
void matrix_hosts_report(const struct matrix_hosts *h, FILE *out);

#endif
