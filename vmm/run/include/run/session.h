/* SPDX-License-Identifier: MIT */
/*
 * State of one run under our VMM, shared by the vCPU threads (vm.c starts
 * them, vcpu_loop.c runs each, checkpoints.c handles what the guest hands
 * over).  Anything two vCPUs may touch at once is under `lock`.
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
#include "machine/serial.h"
#include "result/result.h"
#include "roles/pvm_syscall.h"
#include "roles/xen_hv.h"
#include "run/vm.h"
#include "trace/trace.h"

#define SESSION_MAX_VCPUS EBX_MAX_CPUS

struct vcpu_state {
	struct session *s;
	struct kvm_vcpu vcpu;
	pthread_t thread;
	bool thread_started;
	struct debugctl dbg;
	struct pvm_syscall pvm;
	struct replay_msrs replay_msrs;   /* read when breakpoints are armed, for a triple-fault replay */
	unsigned armed_generation;    /* which layout this vCPU's breakpoints follow */
	/* Registers at the most recent SYSCALL boundary: the truth pt_regs is compared with. */
	uint64_t boundary_gpr[16];
	bool boundary_valid;
	bool finishing_step_over;
	uint64_t checks;              /* rule evaluations on this vCPU */
	uint64_t exits_io, exits_debug, exits_mmio, exits_intr, exits_other;
	struct xen_hv_stats hv;       /* entry=xen hv=vmm hypercalls served */
	/* The guest-marked measurement region (per vCPU: the guest measures on one). */
	bool measuring;
	uint64_t measure_steps, measure_exit_base;
	uint64_t trip_start;          /* measure_steps at the current round trip's SYSCALL */
	bool in_trip;
	uint32_t ntrips;
	uint32_t trip_steps[1024];
};

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
	uint64_t pf_handler, lstar, star; /* from the publishing vCPU, the same on all */
	struct serial serial;
	uint64_t mmio_exits;
	struct inject_state *inj;      /* --inject state (inject.c); NULL without injections */
	atomic_bool done;
	atomic_uint_fast64_t exits;
	struct trace *trace;           /* --trace, NULL when off */
	double start;
};

/* vm.c */
void session_end(struct session *s, enum run_end end, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Runs every vCPU thread until the run ends (sweeps call it once per point). */
void session_run_threads(struct session *s);
/* Makes every vCPU thread leave KVM_RUN soon (to notice `done` or a new layout). */
void session_kick_all(struct session *s);

/* vcpu_loop.c */
void *vcpu_thread(void *arg);
void vcpu_check_state(struct vcpu_state *v, enum snap_point point);
void vcpu_record_violation(struct vcpu_state *v, const struct violation *viol, const struct vcpu_snap *snap);

/* checkpoints.c */
void checkpoint_handle(struct vcpu_state *v, uint32_t gpa);

#endif
