/* SPDX-License-Identifier: MIT */
/*
 * State of one run under our VMM, shared by the vCPU threads (vm.c starts
 * them, vcpu_loop.c runs each, checkpoints.c handles what the guest hands
 * over).  Anything two vCPUs may touch at once is under `lock`.
 *
 * The vCPU's debug state (`dbg`) is debugctl's: everything else asks it
 * through debugctl_*() under its own owner.
 */
#ifndef ENTRYBOX_SESSION_H
#define ENTRYBOX_SESSION_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "check/layout.h"
#include "check/rules.h"
#include "explain/symbols.h"
#include "host/backend.h"
#include "kvm/debugctl.h"
#include "kvm/kvm.h"
#include "kvm/shutdown_replay.h"
#include "run/step_hygiene.h"
#include "machine/serial.h"
#include "result/result.h"
#include "roles/pvm_syscall.h"
#include "roles/xen_hv.h"
#include "run/observer.h"
#include "run/vm.h"

#define SESSION_MAX_VCPUS EBX_MAX_CPUS

/* How the vCPU came to stand on the syscall entry. */
enum boundary_via {
	BOUNDARY_BY_BREAKPOINT = 1, /* a VMM breakpoint on MSR_LSTAR: the vCPU must step over it */
	BOUNDARY_BY_REPAIR,         /* the kvm_pvm repair put it there: nothing to pass */
	BOUNDARY_BY_APP_CALL,       /* a ring-0 application called its syscall entry (entry=ukl): a breakpoint */
};

/* What one vCPU did, summed into the result at the end. */
struct vcpu_counters {
	uint64_t checks;              /* rule evaluations */
	uint64_t exits_io, exits_debug, exits_mmio, exits_intr, exits_other;
	uint64_t guest_debug;         /* the guest's own #DBs, handed back to it */
	uint64_t syscall_boundaries;  /* syscalls the VMM stopped at the entry of (ring 3, ring-0 applications) */
	uint64_t step_catches;        /* breakpoints wanted for steps the backend would not report */
	uint64_t step_catches_lost;   /* of those, the ones no slot was left for */
};

/* How this vCPU's thread wants the run to end (set by vcpu_end()). */
struct vcpu_ending {
	bool set;
	enum run_end end;
	char reason[256];
};

/* What a vCPU is back to after a VM snapshot restore (vcpu_rewind()). */
struct vcpu_rewind {
	uint64_t boundary_gpr[16];
	bool boundary_valid;
	enum boundary_via via;        /* the snapshot stands on a syscall boundary reached this way */
	struct vcpu_counters n;
	struct xen_hv_stats hv;
	uint64_t pvm_repairs, pvm_genuine_faults;
};

struct vcpu_state {
	struct session *s;
	struct kvm_vcpu vcpu;
	pthread_t thread;
	bool thread_started;
	/* Its thread never came back from KVM_RUN after the run ended: nothing
	 * may touch the vCPU (its fd's ioctls would wait on the same lock). */
	bool stuck;
	struct debugctl dbg;
	struct pvm_syscall pvm;
	struct replay_msrs replay_msrs;   /* read when breakpoints are armed, for a triple-fault replay */
	struct step_hygiene hygiene;      /* TF the VMM's steps leave in the guest, undone */
	unsigned armed_generation;    /* which layout this vCPU's breakpoints follow */
	/* Registers at the most recent SYSCALL boundary: the truth pt_regs is compared with. */
	uint64_t boundary_gpr[16];
	bool boundary_valid;
	enum boundary_via boundary_via; /* of the boundary being handled, while observers run */
	enum boundary_via replay_boundary; /* 0, or: handle this boundary before running (after a rewind) */
	struct vcpu_counters n;
	bool moved_by_vmm;            /* while observers hear of a step: the VMM put the vCPU there */
	/* While observers hear of a step: it ended on the REP string instruction
	 * it started on -- another iteration, not another instruction. */
	bool step_repeats;
	int delivered_vector;         /* the event the VMM last queued for this vCPU, -1 once seen */
	bool gate_catch_pending;      /* ... and its gate still needs a breakpoint while stepping */
	struct xen_hv_stats hv;       /* entry=xen hv=vmm hypercalls served */
	struct vcpu_ending ending;
};

struct observer_entry {
	const struct exit_observer *o;
	void *ctx;
};

struct measure;
struct trace;
struct inject_state;
struct gdb_stub;
struct fault_watch;
struct switch_watch;

struct session {
	const struct vm_config *cfg;
	struct run_result *r;
	struct kvm_vm vm;
	unsigned nvcpus;
	struct vcpu_state vcpus[SESSION_MAX_VCPUS];
	enum kvm_backend backend;
	struct symtab *syms;
	pthread_mutex_t lock;
	pthread_cond_t done_cv;        /* signalled when `done` becomes true */
	struct layout layout;          /* valid once the guest published it */
	/* Bumped under `lock` when breakpoints must be (re)armed; atomic because
	 * each vCPU thread polls it without the lock before every KVM_RUN. */
	atomic_uint layout_generation;
	uint64_t pf_handler, db_handler, lstar, cstar, star; /* from the publishing vCPU, the same on all */
	struct serial serial;
	uint64_t mmio_exits;
	struct observer_entry observers[SESSION_MAX_OBSERVERS];
	unsigned nobservers;
	struct measure *measure;       /* the guest-marked region (measure.c) */
	struct inject_state *inj;      /* --inject state (inject.c) */
	struct trace *trace;           /* --trace, NULL when off */
	struct gdb_stub *gdb;          /* --gdb, NULL when off */
	struct fault_watch *faults;    /* kernel-mode exceptions judged where they happen (fault_watch.c) */
	struct switch_watch *switches; /* the context-switch checkpoints (switch_watch.c) */
	atomic_bool done;
	atomic_uint_fast64_t exits;
	/* session_hold_others(): the vCPUs other than `holder` wait, settled, at
	 * the top of their loop while `hold` is set (under `lock`, `hold_cv`). */
	atomic_bool hold;
	const struct vcpu_state *holder;
	unsigned held;
	pthread_cond_t hold_cv;
	double start;
	/* Time an observer held the VM (session_hold_clock), under `lock`: the
	 * watchdog does not count it. */
	double held_since, held_total;
	bool clock_held;
};

/* ---- session.c ---- */
/* A session with no VM yet: the caller opens s->vm and creates the vCPUs. */
struct session *session_create(const struct vm_config *cfg, struct run_result *r, unsigned nvcpus);
void session_destroy(struct session *s);
/* Registers an observer for every vCPU from now on; false when the table is full. */
bool session_observe(struct session *s, const struct exit_observer *o, void *ctx);
void session_end(struct session *s, enum run_end end, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* One line for the user (an error, a warning, where gdb waits), written where
 * the run's caller said (vm_config.diag); nowhere when it gave none. */
void session_say(const struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Runs every vCPU thread until the run ends (sweeps call it once per point). */
void session_run_threads(struct session *s);
/* Whether a vCPU thread was left in KVM_RUN (see vcpu_state.stuck). */
bool session_any_stuck(const struct session *s);
/* Makes every vCPU thread leave KVM_RUN soon (to notice `done` or a new layout). */
void session_kick_all(struct session *s);
/* The same for one vCPU thread. */
void session_kick(struct session *s, unsigned vcpu);
/* While an observer holds the VM (a debugger stopped it), the watchdog's time stands still. */
void session_hold_clock(struct session *s, bool held);
double session_now(void);
/* From a vCPU thread: holds every other vCPU out of the guest, at the top of
 * its loop with no instruction half done (a safe point to snapshot it), and
 * returns once they all are.  False when the run ended meanwhile. */
bool session_hold_others(struct session *s, const struct vcpu_state *self);
void session_release_others(struct session *s);
/* At the top of a vCPU's loop: waits there while another vCPU holds it. */
void session_wait_if_held(struct session *s, struct vcpu_state *v);

/* ---- vcpu_loop.c ---- */
void *vcpu_thread(void *arg);
/* The exit loop of one vCPU on the calling thread, until the run ends. */
void vcpu_loop_run(struct vcpu_state *v);
/* Records how the run should end (the first reason wins) and returns EXIT_END. */
enum exit_decision vcpu_end(struct vcpu_state *v, enum run_end end, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
enum exit_decision vcpu_check_state(struct vcpu_state *v, enum snap_point point);
/* An injection delivered `what` on this vCPU: tells the observers (on_injected). */
enum exit_decision vcpu_note_injected(struct vcpu_state *v, const char *what);
/* The VMM itself completed a syscall's return to ring 3 (a hypercall did):
 * the observers' on_syscall_return. */
enum exit_decision vcpu_syscall_returned(struct vcpu_state *v);
/* The VMM completed the instruction the vCPU was stepping and moved it (a
 * hypercall): the step ends at the new RIP, for the owners that stepped. */
enum exit_decision vcpu_step_moved_by_vmm(struct vcpu_state *v);
/* The VMM queued an event for the vCPU (an injection, the guest's own #DB
 * handed back).  A stepping vCPU stops on its gate: backends let the
 * handler's first instruction (kvm_pvm) or the whole handler (TF cleared on
 * delivery) pass unreported. */
void vcpu_event_queued(struct vcpu_state *v, int vector);
/* At a port-I/O exit: whether the backend has already retired the instruction
 * (kvm_pvm: RIP is past it, and no step will report it) or finishes it when
 * the vCPU runs again (kvm_amd, kvm_intel: the next step reports it). */
bool vcpu_port_io_retired_at_exit(const struct vcpu_state *v);
void vcpu_record_violation(struct vcpu_state *v, const struct violation *viol, const struct vcpu_snap *snap);
/* The vCPU's own state that a VM snapshot cannot hold, and putting it back:
 * the vCPU then handles the boundary it was saved at before it runs again. */
void vcpu_save_rewind(const struct vcpu_state *v, struct vcpu_rewind *out);
void vcpu_rewind(struct vcpu_state *v, const struct vcpu_rewind *from);

/* ---- ports.c ---- */
/* The port I/O exit the vCPU stands at, dispatched through the port table. */
enum exit_decision ports_handle_exit(struct vcpu_state *v);

/* ---- checkpoints.c ---- */
enum exit_decision checkpoint_handle(struct vcpu_state *v, uint32_t gpa);

#endif
