/* SPDX-License-Identifier: MIT */
/*
 * Fault injection at an exact instruction (docs/design.md §7).  Where the backend
 * lets a hardware breakpoint fire (ring-0 code everywhere) a free DR slot
 * stops the vCPU at LOC; elsewhere the vCPU is single-stepped to it.  The
 * event is then queued with KVM_SET_VCPU_EVENTS (NMI pending, exceptions with
 * their CR2/DR6 payload) or, for a fixed interrupt, sent as an MSI to the
 * vCPU's LAPIC, and the vCPU resumes into it before LOC executes.
 *
 * A sweep point is the same machinery with a different trigger: "the k-th
 * instruction after the start of the path", reached by stepping k times from
 * the trigger and checked against the RIP the discovery run recorded.
 */
#ifndef ENTRYBOX_INJECT_H
#define ENTRYBOX_INJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "inject/inject_spec.h"
#include "run/observer.h"

struct session;
struct vcpu_state;

#define INJECT_MAX_LOCS   8
#define INJECT_ANY_VCPU   (~0u)
#define INJECT_PATH_MAX   4096

enum inject_trigger { TRIGGER_NONE = 0, TRIGGER_SYSCALL, TRIGGER_ADDR };

/* One sweep point as a run executes it. */
struct inject_point {
	bool active;
	enum inject_kind kind;
	uint64_t arg;
	enum inject_trigger trigger;
	uint64_t trigger_addr;      /* TRIGGER_ADDR: the point itself (steps = 0) */
	uint64_t steps;             /* TRIGGER_SYSCALL: instructions after the path start */
	uint64_t expect_rip;
	unsigned vcpu;              /* the vCPU it is on (INJECT_ANY_VCPU: the first to reach the path) */
	int task;                   /* TRIGGER_SYSCALL: the task whose syscall it is, -1 any */
	/* The run is decided when the path returns to the code that entered it
	 * (RUN_END_HORIZON): survived when it returns with return_gpr, the
	 * registers it returned with without the point (compare_return), or at
	 * all (a static path, which has none to compare with). */
	bool stop_at_return, compare_return;
	uint64_t return_gpr[16];    /* rax rcx rdx rbx rsp rbp rsi rdi r8..r15 at the return */
	uint64_t return_rip;        /* where a `ret` return lands (0: the return is SYSRET-like, at once) */
};

/* Set up for the run's injections: resolve every LOC against the guest's
 * symbols, enable exception payloads.  Returns false with one line in err
 * for a LOC that names nothing. */
bool inject_setup(struct session *s, char *err, size_t errlen);
void inject_teardown(struct session *s);

/* The exit loop's view of injection: its breakpoints and steps (owner
 * DBG_OWNER_INJECT), the syscall boundary, the guest's EBX_EV_INJECT_POINT. */
extern const struct exit_observer inject_observer;
/* The vector last delivered on this run, -1 if none: the start of a triple-fault chain. */
int inject_last_vector(const struct session *s);
/* The VMM delivered `vector` to the guest (an injection, or the guest's own #DB handed back). */
void inject_note_delivery(struct session *s, int vector);

/* Delivery, exposed for the sweep, a debugger and the tests.  `account`
 * gets one line either way: what was done (the pages a pf-user-stack took;
 * empty for plain events), or why nothing was delivered (false). */
bool inject_deliver(struct vcpu_state *v, enum inject_kind kind, uint64_t arg, char *account, size_t len);
/* A pf-user-stack injection added while the run is stopped (a debugger's):
 * it waits for the scenario's inject point like --inject's.  False with a
 * reason when one is already waiting, or when the spec names a LOC or a
 * PATH (those are --inject's alone). */
bool inject_add_user_stack(struct session *s, const struct inject_spec *spec, char *err, size_t errlen);


/* ---- what the sweep drives (sweep.c) -------------------------------------------------------- */
/* The next run delivers this point (snapshot restore or a fresh boot). */
void inject_set_point(struct session *s, const struct inject_point *p);
/* The baseline run records the RIPs of the path (TRIGGER_SYSCALL: LSTAR to sysretq). */
void inject_set_discovery(struct session *s, enum inject_trigger t);
/* The recorded path; *complete when it reached its end; *vcpu found it, in *task's syscall. */
size_t inject_discovered(const struct session *s, const uint64_t **rips, bool *complete, unsigned *vcpu, int *task);
/* The registers the discovered path returned with, and where a `ret` return
 * landed (0 for one that is complete at its instruction); false when it did
 * not return. */
bool inject_discovered_return(const struct session *s, uint64_t gpr[16], uint64_t *rip);
/* After a point run: whether the point was delivered, and if not, why. */
bool inject_point_delivered(const struct session *s, char *why, size_t len);
/* Called once, by the vCPU, where the sweep's snapshot belongs. */
void inject_set_path_start_hook(struct session *s, void (*fn)(void *ctx, struct vcpu_state *v), void *ctx);
/* survived / violation / triple-fault / failed, for a run that got its event. */
struct run_result;
enum inject_outcome inject_judge(const struct run_result *r, char *detail, size_t dlen);

#endif
