/* SPDX-License-Identifier: MIT */
/*
 * One gdb connection's protocol: packets in (through rsp.h's framing),
 * replies out, every request carried out through a table of target
 * operations.  The VMM's target is the run's session (stub.c); a test or a
 * fuzz target puts a fake behind the same table, so everything a hostile
 * peer can send is exercised without a VM.
 *
 * All-stop mode: a resume packet (c, s, vCont) gets no reply until the
 * target stops (gdb_conn_stopped()); meanwhile only the interrupt byte is
 * acted on.  gdb threads are the vCPUs: thread id = vCPU index + 1.
 */
#ifndef ENTRYBOX_GDB_PROTO_H
#define ENTRYBOX_GDB_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gdb/regs.h"
#include "gdb/rsp.h"

#define GDB_MAX_CPUS 64u
#define GDB_MESSAGE_MAX 2048u

/* What each vCPU does when the target resumes. */
enum gdb_action { GDB_ACT_STOP = 0, GDB_ACT_CONTINUE, GDB_ACT_STEP };

/* Z and z types. */
enum gdb_bp_type { GDB_BP_SW = 0, GDB_BP_HW = 1, GDB_WP_WRITE = 2, GDB_WP_READ = 3, GDB_WP_ACCESS = 4 };

enum gdb_stop_why {
	GDB_WHY_ATTACH = 0, /* stopped for the debugger: attach, --gdb-wait (signal 5, no reason) */
	GDB_WHY_STEP,       /* a step ended */
	GDB_WHY_SWBREAK,    /* a Z0 breakpoint */
	GDB_WHY_HWBREAK,    /* a Z1 breakpoint */
	GDB_WHY_WATCH,      /* a Z2 watchpoint at `addr` */
	GDB_WHY_AWATCH,     /* a Z4 watchpoint at `addr` */
	GDB_WHY_INTERRUPT,  /* the peer's interrupt (signal 2) */
	GDB_WHY_EVENT,      /* the VMM stopped the VM (a violation, a panic, ...): `reason` and the message say what */
	GDB_WHY_EXITED,     /* the run ended: W with `code` */
};

struct gdb_stop {
	enum gdb_stop_why why;
	unsigned cpu;
	uint64_t addr;
	int code;
	/* GDB_WHY_EVENT: a stop reason of our own, "name:value" without ';'
	 * (e.g. "violation:cr3-user-mode").  gdb skips reasons it does not know,
	 * and shows the stop as a SIGTRAP no breakpoint or step explains -- not
	 * "swbreak", which gdb takes for a breakpoint it has just removed and
	 * silently resumes. */
	char reason[64];
	char message[GDB_MESSAGE_MAX]; /* printed by gdb before it shows the stop; may be empty */
};

struct gdb_conn;

/* Every operation runs on the connection's thread while the target is
 * stopped, except `interrupt`.  Errors are -errno. */
struct gdb_target_ops {
	unsigned (*cpus)(void *t);
	/* gdb_regs_size() bytes in `g` order; with !all only the general
	 * registers, RIP, EFLAGS and the selectors need be right (a stop reply
	 * sends no more, and the rest may cost the target more to read). */
	int (*read_registers)(void *t, unsigned cpu, uint8_t *out, bool all);
	int (*write_register)(void *t, unsigned cpu, unsigned regno, const uint8_t *val);
	/* Bytes copied (a prefix of the range) or -errno when none. */
	long (*read_memory)(void *t, unsigned cpu, uint64_t addr, uint8_t *out, size_t len);
	long (*write_memory)(void *t, unsigned cpu, uint64_t addr, const uint8_t *in, size_t len);
	/* -EOPNOTSUPP: a kind the target does not have (gdb falls back). */
	int (*breakpoint)(void *t, bool insert, enum gdb_bp_type type, uint64_t addr, uint64_t kind);
	/* Starts the target; the stop comes later through gdb_conn_stopped(). */
	void (*resume)(void *t, const enum gdb_action *per_cpu);
	/* Asks a running target to stop (the interrupt byte). */
	void (*interrupt)(void *t);
	/* `monitor CMD`: output through gdb_conn_console(); false for an unknown command. */
	bool (*monitor)(void *t, unsigned cpu, const char *cmd, struct gdb_conn *c);
	/* What the target is stopped at ('?'). */
	void (*stop_state)(void *t, struct gdb_stop *out);
	void (*describe_cpu)(void *t, unsigned cpu, char *buf, size_t len);
	void (*detach)(void *t);
	void (*kill)(void *t);
};

struct gdb_conn {
	const struct gdb_target_ops *ops;
	void *target;
	void (*send)(void *io, const char *bytes, size_t len);
	void *io;
	struct gdb_rx rx;
	bool no_ack;          /* QStartNoAckMode */
	bool running;         /* a resume awaits its stop reply */
	bool ended;           /* detached or killed: the connection closes */
	bool swbreak, hwbreak; /* the peer understands these stop reasons */
	unsigned g_cpu;       /* Hg: registers and memory */
	int c_cpu;            /* Hc: legacy s and c; -1 for all */
	size_t last_len;      /* the last frame, for a '-' */
	char last[GDB_PACKET_MAX + 4];
	char reply[GDB_PACKET_MAX + 1];
	uint8_t scratch[GDB_PACKET_MAX];
};

void gdb_conn_init(struct gdb_conn *c, const struct gdb_target_ops *ops, void *target,
		   void (*send)(void *io, const char *bytes, size_t len), void *io);
/* Bytes from the peer: framing, acknowledgements, dispatch, replies. */
void gdb_conn_input(struct gdb_conn *c, const uint8_t *bytes, size_t n);
/* The target stopped: the message as console output, then the stop reply
 * (when a resume awaits it; otherwise it is the answer to the next '?'). */
void gdb_conn_stopped(struct gdb_conn *c, const struct gdb_stop *stop);
/* Text for the peer's console (O packets), during a monitor command or before a stop reply. */
void gdb_conn_console(struct gdb_conn *c, const char *text);

#endif
