/* SPDX-License-Identifier: MIT */
/* What the guest hands over through EBX_PORT_CHECKPOINT, after events.c validated the record. */
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "check/ptregs_check.h"
#include "kvm/snapshot.h"
#include "machine/events.h"
#include "run/session.h"

static enum exit_decision on_layout(struct vcpu_state *v, const struct event_view *ev)
{
	struct session *s = v->s;
	char err[200];
	struct layout *fresh = calloc(1, sizeof(*fresh));
	if (!fresh)
		return vcpu_end(v, RUN_END_INTERNAL_ERROR, "out of memory");
	if (!layout_validate(ev->payload, ev->length, s->vm.mem.size, fresh, err, sizeof(err))) {
		free(fresh);
		return vcpu_end(v, RUN_END_HOSTILE, "%s", err);
	}
	if (fresh->raw.ncpus != s->nvcpus) {
		unsigned described = fresh->raw.ncpus;
		free(fresh);
		return vcpu_end(v, RUN_END_HOSTILE, "layout describes %u CPUs, the VM has %u vCPUs", described,
				s->nvcpus);
	}
	/* The #PF handler and the SYSCALL MSRs are read from the vCPU that
	 * publishes, which is running kernel code with kernel page tables; the other
	 * vCPUs share them. */
	struct pvm_syscall probe;
	memset(&probe, 0, sizeof(probe));
	bool need_pvm = s->backend == BACKEND_PVM || s->backend == BACKEND_UNKNOWN;
	if (need_pvm && !pvm_syscall_prepare(&probe, &v->vcpu, err, sizeof(err))) {
		free(fresh);
		return vcpu_end(v, RUN_END_HOSTILE, "cannot prepare the SYSCALL repair: %s", err);
	}
	pthread_mutex_lock(&s->lock);
	if (s->layout.valid) {
		pthread_mutex_unlock(&s->lock);
		free(fresh);
		return vcpu_end(v, RUN_END_HOSTILE, "guest published its layout twice");
	}
	s->pf_handler = probe.pf_handler;
	s->db_handler = probe.db_handler;
	s->lstar = probe.lstar;
	s->cstar = probe.cstar;
	s->star = probe.star;
	s->layout = *fresh;
	atomic_fetch_add(&s->layout_generation, 1);
	pthread_mutex_unlock(&s->lock);
	free(fresh);
	/* Other vCPUs must arm their breakpoints before they run a task's SYSCALL. */
	session_kick_all(s);
	return EXIT_CONTINUE;
}

static enum exit_decision on_syscall_regs(struct vcpu_state *v, const struct event_view *ev)
{
	struct session *s = v->s;
	struct ebx_ev_syscall_regs p;
	memcpy(&p, ev->payload, sizeof(p));
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	struct vcpu_snap snap;
	if (!s->layout.valid || !sr || !snapshot_take(&v->vcpu, SNAP_PLAIN, &snap))
		return EXIT_CONTINUE;
	/* A ring-0 (UKL) application enters by `call`: there is no SYSCALL the
	 * VMM could have seen, so nothing independent to compare with. */
	for (uint32_t i = 0; i < s->layout.raw.ntasks; i++)
		if (s->layout.raw.tasks[i].id == p.task && s->layout.raw.tasks[i].ring == 0)
			return EXIT_CONTINUE;
	struct violation viol = { .rule = PTREGS_RULE };
	struct ebx_pt_regs saved;
	v->n.checks++;
	if (!v->boundary_valid) {
		snprintf(viol.detail, sizeof(viol.detail), "syscall-regs checkpoint without a SYSCALL the VMM saw");
		vcpu_record_violation(v, &viol, &snap);
		return EXIT_CONTINUE;
	}
	if (!gmem_read_virt(&s->vm.mem, sr->cr3, p.pt_regs_gva, &saved, sizeof(saved))) {
		snprintf(viol.detail, sizeof(viol.detail), "pt_regs at 0x%" PRIx64 " is not mapped", p.pt_regs_gva);
		vcpu_record_violation(v, &viol, &snap);
		return EXIT_CONTINUE;
	}
	struct ebx_pt_regs expected;
	ptregs_expected_from_syscall(v->boundary_gpr, s->layout.raw.user_cs, s->layout.raw.user_ss, &expected);
	if (!ptregs_compare(&saved, &expected, viol.detail, sizeof(viol.detail)))
		vcpu_record_violation(v, &viol, &snap);
	return EXIT_CONTINUE;
}

/* Console bytes handed over in one piece: exactly what COM1 would have carried. */
static enum exit_decision on_console(struct vcpu_state *v, const struct event_view *ev)
{
	struct session *s = v->s;
	bool ok = true;
	pthread_mutex_lock(&s->lock);
	for (uint32_t i = 0; i < ev->length && ok; i++)
		ok = serial_out(&s->serial, 0, ev->payload[i]);
	pthread_mutex_unlock(&s->lock);
	if (!ok)
		return vcpu_end(v, RUN_END_HOSTILE, "guest wrote more than %u bytes to the console", SERIAL_BYTE_LIMIT);
	return EXIT_CONTINUE;
}

/* Kinds the loop does not handle itself go to the observers (measurement, injection points). */
static enum exit_decision to_observers(struct vcpu_state *v, const struct event_view *ev)
{
	struct session *s = v->s;
	enum exit_decision d = EXIT_CONTINUE;
	for (unsigned i = 0; i < s->nobservers && d != EXIT_END; i++) {
		const struct observer_entry *e = &s->observers[i];
		if (e->o->on_checkpoint)
			d = exit_decision_merge(d, e->o->on_checkpoint(e->ctx, v, ev));
	}
	return d;
}

enum exit_decision checkpoint_handle(struct vcpu_state *v, uint32_t gpa)
{
	struct session *s = v->s;
	struct event_view ev;
	char err[200];
	if (!event_fetch(&s->vm.mem, gpa, s->nvcpus, &ev, err, sizeof(err)))
		return vcpu_end(v, RUN_END_HOSTILE, "%s", err);
	switch (ev.kind) {
	case EBX_EV_LAYOUT: return on_layout(v, &ev);
	case EBX_EV_SYSCALL_REGS: return on_syscall_regs(v, &ev);
	case EBX_EV_CONSOLE: return on_console(v, &ev);
	default: return to_observers(v, &ev);
	}
}
