/* SPDX-License-Identifier: MIT */
/* What the guest hands over through EBX_PORT_CHECKPOINT, after events.c validated the record. */
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "check/ptregs_check.h"
#include "inject/inject.h"
#include "kvm/snapshot.h"
#include "machine/events.h"
#include "run/session.h"

static void on_layout(struct vcpu_state *v, const struct event_view *ev)
{
	struct session *s = v->s;
	char err[200];
	struct layout *fresh = calloc(1, sizeof(*fresh));
	if (!fresh) {
		session_end(s, RUN_END_INTERNAL_ERROR, "out of memory");
		return;
	}
	if (!layout_validate(ev->payload, ev->length, s->vm.mem.size, fresh, err, sizeof(err))) {
		free(fresh);
		session_end(s, RUN_END_HOSTILE, "%s", err);
		return;
	}
	if (fresh->raw.ncpus != s->nvcpus) {
		unsigned described = fresh->raw.ncpus;
		free(fresh);
		session_end(s, RUN_END_HOSTILE, "layout describes %u CPUs, the VM has %u vCPUs", described, s->nvcpus);
		return;
	}
	/* The #PF handler and the SYSCALL MSRs are read from the vCPU that
	 * publishes, which is running kernel code with kernel page tables; the other
	 * vCPUs share them. */
	struct pvm_syscall probe;
	memset(&probe, 0, sizeof(probe));
	bool need_pvm = s->backend == BACKEND_PVM || s->backend == BACKEND_UNKNOWN;
	if (need_pvm && !pvm_syscall_prepare(&probe, &v->vcpu, err, sizeof(err))) {
		free(fresh);
		session_end(s, RUN_END_HOSTILE, "cannot prepare the SYSCALL repair: %s", err);
		return;
	}
	pthread_mutex_lock(&s->lock);
	if (s->layout.valid) {
		pthread_mutex_unlock(&s->lock);
		free(fresh);
		session_end(s, RUN_END_HOSTILE, "guest published its layout twice");
		return;
	}
	s->pf_handler = probe.pf_handler;
	s->lstar = probe.lstar;
	s->star = probe.star;
	s->layout = *fresh;
	atomic_fetch_add(&s->layout_generation, 1);
	pthread_mutex_unlock(&s->lock);
	free(fresh);
	/* Other vCPUs must arm their breakpoints before they run a task's SYSCALL. */
	session_kick_all(s);
}

static void on_syscall_regs(struct vcpu_state *v, const struct event_view *ev)
{
	struct session *s = v->s;
	struct ebx_ev_syscall_regs p;
	memcpy(&p, ev->payload, sizeof(p));
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	struct vcpu_snap snap;
	if (!s->layout.valid || !sr || !snapshot_take(&v->vcpu, SNAP_PLAIN, &snap))
		return;
	/* A ring-0 (UKL) application enters by `call`: there is no SYSCALL the
	 * VMM could have seen, so nothing independent to compare with. */
	for (uint32_t i = 0; i < s->layout.raw.ntasks; i++)
		if (s->layout.raw.tasks[i].id == p.task && s->layout.raw.tasks[i].ring == 0)
			return;
	struct violation viol = { .rule = PTREGS_RULE };
	struct ebx_pt_regs saved;
	v->checks++;
	if (!v->boundary_valid) {
		snprintf(viol.detail, sizeof(viol.detail), "syscall-regs checkpoint without a SYSCALL the VMM saw");
		vcpu_record_violation(v, &viol, &snap);
		return;
	}
	if (!gmem_read_virt(&s->vm.mem, sr->cr3, p.pt_regs_gva, &saved, sizeof(saved))) {
		snprintf(viol.detail, sizeof(viol.detail), "pt_regs at 0x%" PRIx64 " is not mapped", p.pt_regs_gva);
		vcpu_record_violation(v, &viol, &snap);
		return;
	}
	struct ebx_pt_regs expected;
	ptregs_expected_from_syscall(v->boundary_gpr, s->layout.raw.user_cs, s->layout.raw.user_ss, &expected);
	if (!ptregs_compare(&saved, &expected, viol.detail, sizeof(viol.detail)))
		vcpu_record_violation(v, &viol, &snap);
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

static void on_measure(struct vcpu_state *v, const struct event_view *ev, bool begin)
{
	struct session *s = v->s;
	struct ebx_ev_measure p;
	memcpy(&p, ev->payload, sizeof(p));
	char name[sizeof(p.name)];
	if (!event_string(p.name, sizeof(p.name), name, sizeof(name))) {
		session_end(s, RUN_END_HOSTILE, "measure checkpoint with an unterminated name");
		return;
	}
	if (begin) {
		v->measuring = true;
		v->measure_steps = 0;
		v->ntrips = 0;
		v->in_trip = false;
		v->measure_exit_base = atomic_load(&s->exits);
		pthread_mutex_lock(&s->lock);
		snprintf(s->r->measure_name, sizeof(s->r->measure_name), "%s", name);
		pthread_mutex_unlock(&s->lock);
		/* The checkpoint sits inside a syscall: step its return half. */
		debugctl_set_single_step(&v->dbg, true);
		return;
	}
	if (!v->measuring)
		return;
	v->measuring = false;
	debugctl_set_single_step(&v->dbg, false);
	pthread_mutex_lock(&s->lock);
	s->r->measure_iterations = p.iterations;
	s->r->measure_instructions = v->measure_steps;
	s->r->measure_exits = atomic_load(&s->exits) - v->measure_exit_base;
	trip_statistics(v->trip_steps, v->ntrips, s->r);
	pthread_mutex_unlock(&s->lock);
}

void checkpoint_handle(struct vcpu_state *v, uint32_t gpa)
{
	struct session *s = v->s;
	struct event_view ev;
	char err[200];
	if (!event_fetch(&s->vm.mem, gpa, s->nvcpus, &ev, err, sizeof(err))) {
		session_end(s, RUN_END_HOSTILE, "%s", err);
		return;
	}
	switch (ev.kind) {
	case EBX_EV_LAYOUT: on_layout(v, &ev); break;
	case EBX_EV_SYSCALL_REGS: on_syscall_regs(v, &ev); break;
	case EBX_EV_MEASURE_BEGIN: on_measure(v, &ev, true); break;
	case EBX_EV_MEASURE_END: on_measure(v, &ev, false); break;
	case EBX_EV_INJECT_POINT: inject_on_point_event(v, ev.payload, ev.length); break;
	default: break;
	}
}
