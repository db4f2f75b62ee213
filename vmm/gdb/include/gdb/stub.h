/* SPDX-License-Identifier: MIT */
/*
 * `entrybox run --gdb [HOST:]PORT`: a gdb remote stub on the run.  It serves
 * one gdb at a time on a TCP socket (loopback unless HOST says otherwise),
 * stops the VM where gdb asks (steps, breakpoints, watchpoints, an
 * interrupt) and where the VMM finds something gdb should see: a rule
 * violation, the guest's panic, a triple fault, an injection's delivery.
 *
 * It is an observer of the exit loop with its own debugctl owner
 * (DBG_OWNER_DEBUGGER): the VMM's own breakpoints, steps and the kvm_pvm
 * SYSCALL repair stay invisible to gdb.
 */
#ifndef ENTRYBOX_GDB_STUB_H
#define ENTRYBOX_GDB_STUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct session;

struct gdb_config {
	char host[64];            /* an IPv4 address; default 127.0.0.1 */
	uint16_t port;            /* 0: any free port (said on stderr) */
	bool wait;                /* --gdb-wait: stopped before the first guest instruction */
	bool profile;             /* time each round trip; a line on stderr when gdb leaves */
};

/* "[HOST:]PORT" into cfg; false with a reason for anything else. */
bool gdb_config_parse(const char *text, struct gdb_config *cfg, char *err, size_t errlen);

/* Binds the socket, starts serving and registers the stub as an observer;
 * before the threads run and before anything is confined.  Prints where it
 * listens on stderr.  False with a reason in err. */
bool gdb_stub_start(struct session *s, const struct gdb_config *cfg, char *err, size_t errlen);
/* The run is over (its result complete): tells a connected gdb how it ended
 * and stops serving. */
void gdb_stub_finish(struct session *s, int status);
void gdb_stub_free(struct session *s);

#endif
