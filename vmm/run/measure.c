/* SPDX-License-Identifier: MIT */
#include "run/measure.h"

#include <stdlib.h>
#include <string.h>

#include "result/result_coverage.h"
#include "run/session.h"

#define MAX_TRIPS 1024u

struct measure_vcpu {
	bool in_region;
	bool closed;                  /* a region ended on this vCPU */
	uint64_t steps;               /* instructions in the region so far */
	uint64_t exit_base;           /* the session's exits at the region's start */
	uint64_t trip_start;          /* `steps` at the current round trip's SYSCALL */
	bool in_trip;
	uint32_t ntrips;
	uint32_t trip_steps[MAX_TRIPS];
};

struct measure {
	struct measure_vcpu v[SESSION_MAX_VCPUS];
};

static struct measure_vcpu *mine(void *ctx, const struct vcpu_state *v)
{
	return &((struct measure *)ctx)->v[v->vcpu.index];
}

/*
 * Ring-3 code is not stepped: SYSRET reloads TF from R11, so no backend
 * reports steps there reliably, and it is not entry cost anyway.  The SYSCALL
 * and the SYSRET retire without a step exit of their own inside the kernel
 * side and are added by hand.
 */
static enum exit_decision on_boundary(void *ctx, struct vcpu_state *v)
{
	struct measure_vcpu *m = mine(ctx, v);
	if (!m->in_region)
		return EXIT_CONTINUE;
	m->steps++; /* the SYSCALL */
	m->trip_start = m->steps - 1;
	m->in_trip = true;
	debugctl_want_step(&v->dbg, DBG_OWNER_MEASURE, true);
	return EXIT_CONTINUE;
}

static enum exit_decision on_return(void *ctx, struct vcpu_state *v)
{
	struct measure_vcpu *m = mine(ctx, v);
	if (!m->in_region)
		return EXIT_CONTINUE;
	m->steps++; /* the SYSRET */
	if (m->in_trip && m->ntrips < MAX_TRIPS)
		m->trip_steps[m->ntrips++] = (uint32_t)(m->steps - m->trip_start);
	m->in_trip = false;
	debugctl_want_step(&v->dbg, DBG_OWNER_MEASURE, false);
	return EXIT_CONTINUE;
}

static enum exit_decision on_step(void *ctx, struct vcpu_state *v, uint64_t rip)
{
	(void)rip;
	struct measure_vcpu *m = mine(ctx, v);
	if (m->in_region && !v->step_repeats)
		m->steps++;
	return EXIT_CONTINUE;
}

static int compare_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void trip_statistics(uint32_t *steps, uint32_t n, struct run_result *r)
{
	r->measure_trips = n;
	if (n == 0)
		return;
	qsort(steps, n, sizeof(steps[0]), compare_u32);
	r->measure_trip_min = steps[0];
	r->measure_trip_median = steps[n / 2];
	r->measure_trip_max = steps[n - 1];
}

static enum exit_decision begin(struct measure_vcpu *m, struct vcpu_state *v, const char *name)
{
	struct session *s = v->s;
	memset(m, 0, sizeof(*m));
	m->in_region = true;
	m->exit_base = atomic_load(&s->exits);
	pthread_mutex_lock(&s->lock);
	snprintf(s->r->measure_name, sizeof(s->r->measure_name), "%s", name);
	pthread_mutex_unlock(&s->lock);
	/* The checkpoint's own OUT is the region's first instruction: where the
	 * backend retired it at the exit no step will report it. */
	m->steps = vcpu_port_io_retired_at_exit(v) ? 1 : 0;
	/* The checkpoint sits inside a syscall: step its return half. */
	debugctl_want_step(&v->dbg, DBG_OWNER_MEASURE, true);
	return EXIT_CONTINUE;
}

static enum exit_decision end(struct measure_vcpu *m, struct vcpu_state *v, uint64_t iterations)
{
	struct session *s = v->s;
	if (!m->in_region)
		return EXIT_CONTINUE;
	m->in_region = false;
	m->closed = true;
	debugctl_want_step(&v->dbg, DBG_OWNER_MEASURE, false);
	pthread_mutex_lock(&s->lock);
	s->r->measure_iterations = iterations;
	s->r->measure_instructions = m->steps;
	s->r->measure_exits = atomic_load(&s->exits) - m->exit_base;
	/* The region's round trips include the return half of the syscall that
	 * opened it and the entry half of the one that closes it (abi.h). */
	uint64_t whole = iterations > 0 ? iterations - 1 : 0;
	result_coverage_add(s->r, "stepped-round-trips", whole, m->ntrips,
			    "round trips of the measured region, each to be single-stepped from its SYSCALL to its SYSRET");
	trip_statistics(m->trip_steps, m->ntrips, s->r);
	pthread_mutex_unlock(&s->lock);
	return EXIT_CONTINUE;
}

static enum exit_decision on_checkpoint(void *ctx, struct vcpu_state *v, const struct event_view *ev)
{
	if (ev->kind != EBX_EV_MEASURE_BEGIN && ev->kind != EBX_EV_MEASURE_END)
		return EXIT_CONTINUE;
	struct ebx_ev_measure p;
	memcpy(&p, ev->payload, sizeof(p));
	char name[sizeof(p.name)];
	if (!event_string(p.name, sizeof(p.name), name, sizeof(name)))
		return vcpu_end(v, RUN_END_HOSTILE, "measure checkpoint with an unterminated name");
	struct measure_vcpu *m = mine(ctx, v);
	return ev->kind == EBX_EV_MEASURE_BEGIN ? begin(m, v, name) : end(m, v, p.iterations);
}

/* A region the guest opened must have been closed for its counts to mean anything. */
static void on_finish(void *ctx, struct session *s)
{
	struct measure *all = ctx;
	unsigned open_regions = 0, regions = 0;
	for (unsigned i = 0; i < s->nvcpus; i++) {
		open_regions += all->v[i].in_region;
		regions += all->v[i].in_region || all->v[i].closed;
	}
	if (regions)
		result_coverage_add(s->r, "measured-region", regions, regions - open_regions,
				    "measured regions the guest opened that it closed again (EBX_EV_MEASURE_END)");
}

const struct exit_observer measure_observer = {
	.name = "measure",
	.owner = DBG_OWNER_MEASURE,
	.on_syscall_boundary = on_boundary,
	.on_syscall_return = on_return,
	.on_step = on_step,
	.on_checkpoint = on_checkpoint,
	.on_finish = on_finish,
};

bool measure_setup(struct session *s)
{
	s->measure = calloc(1, sizeof(*s->measure));
	return s->measure && session_observe(s, &measure_observer, s->measure);
}

void measure_teardown(struct session *s)
{
	free(s->measure);
	s->measure = NULL;
}

bool measure_in_region(const struct session *s, unsigned vcpu)
{
	return s->measure && vcpu < SESSION_MAX_VCPUS && s->measure->v[vcpu].in_region;
}
