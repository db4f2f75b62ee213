/* SPDX-License-Identifier: MIT */
/*
 * The stub's state, shared by its parts: run control (control.c, on the vCPU
 * threads and the connection thread), the target gdb sees (target.c), the
 * breakpoint table (breakpoints.c), monitor commands (monitor.c), the
 * socket (server.c).
 *
 * Threads: each vCPU thread touches its own `struct gdb_vcpu` fields marked
 * "vCPU"; everything else is under `lock`.  A vCPU's registers are read and
 * written by others only while every vCPU is parked.  The connection -- the
 * socket's bytes and `conn` -- belongs to whoever holds `conn_lock`: the
 * connection thread while the VM runs, and while it is stopped the vCPU that
 * stopped it (`vcpu_serving`), which then answers gdb itself: a step costs
 * no hand-over between threads.
 */
#ifndef ENTRYBOX_GDB_STUB_INTERNAL_H
#define ENTRYBOX_GDB_STUB_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "gdb/proto.h"
#include "gdb/stub.h"
#include "run/session.h"

#define GDB_MAX_BPS        64u
#define GDB_MAX_CHUNKS     4u    /* a watchpoint's aligned pieces: DBG_SLOTS at most */
#define GDB_WATCH_MAX      64u   /* bytes a watchpoint found by stepping may cover */
#define GDB_TAG_EVENT      100   /* debugctl tag of the catch on an event's handler (gdb's own are Z types) */

struct gdb_bp {
	enum gdb_bp_type type;
	uint64_t addr;
	uint64_t len;
};

/* A write watchpoint found by stepping: its bytes as last seen. */
struct gdb_watch {
	uint64_t addr;
	unsigned len;
	bool readable;
	uint8_t value[GDB_WATCH_MAX];
};

/* Stops ranked: a vCPU that meets two at one exit reports the higher. */
enum stop_rank { RANK_NONE = 0, RANK_STEP, RANK_WATCH, RANK_BREAK, RANK_EVENT };

struct gdb_vcpu {
	/* under lock */
	enum gdb_action action;       /* what the last resume asked of it */
	bool parked;
	unsigned parked_in;           /* the resume generation it parked in */
	enum stop_rank rank;          /* its own stop not yet reported, RANK_NONE if none */
	unsigned order;               /* when that stop came, to report the first first */
	struct gdb_stop stop;
	/* vCPU */
	bool stepping;                /* a step gdb asked for is under way */
	/* An event the VMM queued that the vCPU takes before its next instruction
	 * (-1: none); a step then ends on its handler's first instruction, caught
	 * by a breakpoint there (event_slot, -1: none).  Written by the vCPU, or
	 * by the connection thread while the vCPU is parked. */
	int event_vector;
	int event_slot;
	int event_caught;             /* the vector whose handler the catch stands on */
	bool guest_tf;                /* the guest's own RFLAGS.TF when the step began */
	bool emulating;               /* stepping to find what the hardware does not fire */
	unsigned bp_generation;       /* which breakpoint table its slots follow */
	unsigned nemulated;
	uint64_t emulated[GDB_MAX_BPS];
	bool emulated_hw[GDB_MAX_BPS];
	unsigned nwatches;
	struct gdb_watch watches[GDB_MAX_BPS];
	/* connection thread, while parked: the registers of this stop */
	bool cache_valid;
	bool cache_all;               /* the FPU and KERNEL_GS_BASE too */
	struct gdb_cpu cache;
};

/* ---- profile.c ---- */
/* Marks along one round trip, in this order; and the stub's own time. */
enum profile_phase {
	PROFILE_RESUMED,  /* gdb's resume was taken */
	PROFILE_RESUME,   /* ... the vCPU is about to enter KVM_RUN */
	PROFILE_STEP,     /* ... the step ended (the stub's on_step) */
	PROFILE_STOP,     /* ... the stop is to be reported */
	PROFILE_STUB,     /* reading, decoding and answering packets */
	PROFILE_PEER,     /* waiting for gdb's next packet */
	PROFILE_PHASES
};

struct gdb_profile {
	bool on;
	uint64_t stops, packets_in, bytes_in, writes_out, bytes_out;
	uint64_t ns[PROFILE_PHASES];
	uint64_t counted[PROFILE_PHASES]; /* round trips a phase of the chain was timed in */
	uint64_t at;                  /* the last mark's time, 0 for none */
	enum profile_phase last;
};

/* The time now if profiling, else 0. */
uint64_t profile_stamp(const struct gdb_profile *p);
/* Marks `phase`; its time since the mark before counts when that was the phase before. */
void profile_phase(struct gdb_profile *p, enum profile_phase phase);
/* Adds the time since `since` (a profile_stamp) to `phase`. */
void profile_add(struct gdb_profile *p, enum profile_phase phase, uint64_t since);
void profile_bytes_in(struct gdb_profile *p, const uint8_t *bytes, size_t n);
void profile_bytes_out(struct gdb_profile *p, size_t n);
/* One line on the session's diagnostics with the means per stop; starts over. */
void profile_say(struct gdb_profile *p, struct session *s);

struct gdb_stub {
	struct session *s;
	struct gdb_config cfg;
	pthread_mutex_t lock;
	pthread_cond_t cv;            /* parked vCPUs wait for a resume; the connection for the VM to stop */
	atomic_bool stop_requested;
	unsigned generation;          /* bumped at every resume */
	unsigned next_order;
	struct gdb_vcpu vcpu[SESSION_MAX_VCPUS];
	/* the connection thread's view */
	bool stopped;                 /* every vCPU parked and `last` says why */
	struct gdb_stop last;
	bool interrupted;             /* the peer asked for the stop */
	bool client;                  /* a gdb is attached */
	bool let_go;                  /* a gdb detached: the VMM's stops no longer hold the VM */
	/* breakpoints (under lock) */
	struct gdb_bp bps[GDB_MAX_BPS];
	unsigned nbps;
	atomic_uint bp_generation;
	unsigned slot_budget;         /* slots gdb may hold on every vCPU */
	/* the socket */
	pthread_mutex_t conn_lock;
	bool vcpu_serving;            /* under lock: a parked vCPU serves gdb */
	unsigned serving_cpu;
	bool hand_back;               /* the serving vCPU gives the connection back when it leaves */
	int listen_fd, client_fd, wake_fd;
	bool peer_gone;               /* a send failed: the connection is over */
	pthread_t thread;
	bool thread_started;
	atomic_bool quit;
	int exit_status;              /* for the W packet at the end */
	struct gdb_conn *conn;
	char where[80];               /* HOST:PORT it listens on */
	/* Only the thread that holds the connection (conn_lock) or, for the
	 * marks of a step, the vCPU that runs it (one at a time: all-stop). */
	struct gdb_profile profile;
};

/* ---- control.c ---- */
extern const struct exit_observer gdb_observer;
/* Stops every vCPU (if not stopped) and waits until they are parked or the run is over; false then. */
bool control_wait_stopped(struct gdb_stub *g);
/* Asks the running VM to stop; the connection thread learns of it through wake_fd. */
void control_request_stop(struct gdb_stub *g);
/* Under lock: every vCPU parked since the last resume. */
bool control_all_parked(const struct gdb_stub *g);
/* The VM stopped: picks the stop to show (under lock) into g->last. */
void control_take_stop(struct gdb_stub *g);
/* Waits up to max_ns for the VM to stop; true when it did and its stop is taken. */
bool control_await_stop(struct gdb_stub *g, long max_ns);
/* Resumes the vCPUs as asked (a vCPU's unreported stop is shown instead: false). */
bool control_resume(struct gdb_stub *g, const enum gdb_action *actions);
/* Under lock: the watchdog stands still while a gdb holds the stopped VM. */
void control_update_clock(struct gdb_stub *g);
/* The peer left: its breakpoints go, the VM runs on. */
void control_let_go(struct gdb_stub *g);
void control_wake_connection(struct gdb_stub *g);

/* ---- breakpoints.c ---- */
int bp_change(struct gdb_stub *g, bool insert, enum gdb_bp_type type, uint64_t addr, uint64_t kind);
void bp_clear(struct gdb_stub *g);
/* The vCPU thread: its debugctl slots and emulated breakpoints follow the table. */
void bp_sync(struct gdb_stub *g, struct vcpu_state *v);
/* The vCPU thread: `want` more slots free for gdb on this vCPU, beyond the
 * ones the VMM keeps, taken back from the fault watch where needed. */
void bp_make_room(struct gdb_stub *g, struct vcpu_state *v, unsigned want);
/* The breakpoint type gdb set at addr when it is an instruction breakpoint; -1 if none. */
int bp_type_at(struct gdb_stub *g, uint64_t addr);
/* Slots the VMM keeps for itself on this run. */
unsigned bp_vmm_reserve(const struct session *s);
bool bp_fires_at(const struct session *s, uint64_t addr);
/* Data watchpoints fire on this backend (kvm_pvm: none, ring 0 is emulated). */
bool bp_watches_fire(const struct session *s);
/* The vCPU thread, after a step: a write watchpoint found by stepping whose bytes changed, 0 if none. */
uint64_t bp_watch_changed(struct gdb_stub *g, struct vcpu_state *v);

/* ---- target.c ---- */
extern const struct gdb_target_ops gdb_session_ops;
/* The registers of a parked vCPU (cached for the stop). */
struct gdb_cpu *target_cpu(struct gdb_stub *g, unsigned cpu);
long target_read_virt(struct gdb_stub *g, unsigned cpu, uint64_t addr, uint8_t *out, size_t len);
/* Guest-virtual memory as a vCPU with these special registers sees it; bytes copied or -EFAULT. */
long target_read_as(struct gmem *m, const struct kvm_sregs *sr, uint64_t addr, uint8_t *out, size_t len);

/* ---- monitor.c ---- */
bool monitor_run(struct gdb_stub *g, unsigned cpu, const char *cmd, struct gdb_conn *c);

/* ---- server.c ---- */
/* The parked vCPU that stopped the VM serves gdb until a resume lets it run;
 * false (nothing done) when the connection is not there to be served. */
bool server_lead(struct gdb_stub *g, struct vcpu_state *v);
/* Tells gdb of a stop (the thread that holds the connection), counted in the profile. */
void server_tell_stop(struct gdb_stub *g, const struct gdb_stop *stop);
bool server_listen(struct gdb_stub *g, char *err, size_t errlen);
bool server_start(struct gdb_stub *g, char *err, size_t errlen);
void server_stop(struct gdb_stub *g);

/* ---- sysret.c ---- */
/* `code` starts with SYSRETQ (to 64-bit mode). */
bool sysret_is_64(const uint8_t *code, size_t n);
/* Carries out a SYSRETQ as the CPU does (SDM vol. 2), for a step no backend
 * reports; false, changing nothing, when RCX is not canonical: that SYSRET
 * faults, differently by vendor, and the CPU decides. */
bool sysret_emulate(struct kvm_regs *r, struct kvm_sregs *sr, uint64_t star);

#endif
