/* SPDX-License-Identifier: MIT */
#include "inject/inject.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "entrybox/abi.h"
#include "run/session.h"

#define VEC_DB 1
#define VEC_PF 14
#define VEC_GP 13
#define VEC_NMI 2
#define DR6_BS (1ull << 14)
#define PF_ERR_USER 0x4u
#define MSI_ADDR_BASE 0xfee00000u
#define KERNEL_HALF 0xffff800000000000ull

/* One KIND@LOC of the command line, resolved. */
struct loc_injection {
	struct inject_spec spec;
	uint64_t addr;
	bool kernel;              /* a hardware breakpoint fires there */
	bool fired;
	uint64_t rip;
	char delivery[96];        /* how it went in, or why it could not */
};

struct inject_state {
	bool payload_cap;
	struct loc_injection locs[INJECT_MAX_LOCS];
	size_t nlocs;
	bool step_to_user_loc;    /* a ring-3 LOC: step everything until it is hit */
	/* pf-user-stack */
	bool user_stack;
	struct inject_spec user_stack_spec;
	bool user_stack_done;
	char user_stack_detail[192];
	uint64_t user_stack_rip;
	/* a sweep point */
	struct inject_point point;
	bool point_started, point_delivered;
	uint64_t point_steps;
	char point_why[160];
	/* discovery */
	enum inject_trigger discover;
	bool discovering, discovered;
	uint64_t *path;
	size_t npath;
	int last_vector;
	void (*on_path_start)(void *ctx, struct vcpu_state *v);
	void *path_ctx;
};

/* ---- delivery ---------------------------------------------------------------------------------- */

static bool queue_event(struct vcpu_state *v, int vector, bool nmi, bool has_error, uint32_t error,
			uint64_t payload, bool has_payload, char *err, size_t errlen)
{
	struct inject_state *st = v->s->inj;
	struct kvm_vcpu_events ev;
	memset(&ev, 0, sizeof(ev));
	if (ioctl(v->vcpu.fd, KVM_GET_VCPU_EVENTS, &ev) < 0) {
		snprintf(err, errlen, "KVM_GET_VCPU_EVENTS: %s", strerror(errno));
		return false;
	}
	if (nmi) {
		ev.nmi.pending = 1;
		ev.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING;
	} else if (st->payload_cap) {
		/* Pending, not injected: KVM delivers it itself and fills CR2/DR6
		 * from the payload at that moment, as the CPU would. */
		ev.exception.pending = 1;
		ev.exception.injected = 0;
		ev.exception.nr = (uint8_t)vector;
		ev.exception.has_error_code = has_error;
		ev.exception.error_code = error;
		ev.exception_has_payload = has_payload;
		ev.exception_payload = payload;
		ev.flags |= KVM_VCPUEVENT_VALID_PAYLOAD;
	} else {
		if (has_payload && vector == VEC_PF) {
			struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
			if (!sr) {
				snprintf(err, errlen, "cannot read sregs to set CR2");
				return false;
			}
			sr->cr2 = payload;
			kvm_mark_sregs_dirty(&v->vcpu);
		}
		ev.exception.injected = 1;
		ev.exception.nr = (uint8_t)vector;
		ev.exception.has_error_code = has_error;
		ev.exception.error_code = error;
	}
	if (ioctl(v->vcpu.fd, KVM_SET_VCPU_EVENTS, &ev) < 0) {
		snprintf(err, errlen, "KVM_SET_VCPU_EVENTS: %s", strerror(errno));
		return false;
	}
	st->last_vector = vector;
	/* If the event ends in a triple fault, the state it went into explains it. */
	atomic_store(&v->vcpu.replay_point_wanted, true);
	return true;
}

static bool send_msi(struct vcpu_state *v, uint64_t vector, char *err, size_t errlen)
{
	struct kvm_msi msi;
	memset(&msi, 0, sizeof(msi));
	/* Physical destination mode, fixed delivery: APIC ID = vCPU index (kvm.c's CPUID). */
	msi.address_lo = MSI_ADDR_BASE | (v->vcpu.index << 12);
	msi.data = (uint32_t)vector;
	int rc = ioctl(v->s->vm.vm_fd, KVM_SIGNAL_MSI, &msi);
	if (rc < 0) {
		snprintf(err, errlen, "KVM_SIGNAL_MSI: %s", strerror(errno));
		return false;
	}
	/* 0 means the LAPIC refused it (software-disabled or masked): delivered
	 * to the hardware, not to the guest -- say so rather than claim it landed. */
	snprintf(err, errlen, "%s", rc > 0 ? "accepted by the LAPIC" : "blocked by the guest's LAPIC (disabled?)");
	v->s->inj->last_vector = (int)vector;
	return true;
}

bool inject_deliver(struct vcpu_state *v, enum inject_kind kind, uint64_t arg, char *err, size_t errlen)
{
	err[0] = '\0';
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	bool user = sr && sr->cs.dpl == 3;
	switch (kind) {
	case INJ_NMI: return queue_event(v, VEC_NMI, true, false, 0, 0, false, err, errlen);
	case INJ_IRQ: return send_msi(v, arg, err, errlen);
	case INJ_DB: return queue_event(v, VEC_DB, false, false, 0, DR6_BS, true, err, errlen);
	case INJ_PF:
		return queue_event(v, VEC_PF, false, true, user ? PF_ERR_USER : 0, arg, true, err, errlen);
	case INJ_GP: return queue_event(v, VEC_GP, false, true, 0, 0, false, err, errlen);
	default: break;
	}
	snprintf(err, errlen, "%s is not delivered at an instruction", inject_kind_name(kind));
	return false;
}

/* ---- set-up -------------------------------------------------------------------------------------- */

static bool resolve_loc(struct session *s, struct loc_injection *li, char *err, size_t errlen)
{
	const struct inject_loc *loc = &li->spec.loc;
	if (loc->is_addr) {
		li->addr = loc->addr;
	} else {
		uint64_t addr = 0, size = 0;
		if (!s->syms || !symtab_lookup(s->syms, loc->symbol, &addr, &size)) {
			snprintf(err, errlen, "--inject '%s': no symbol '%s' in the guest image", li->spec.text, loc->symbol);
			return false;
		}
		if (loc->offset > UINT64_MAX - addr) {
			snprintf(err, errlen, "--inject '%s': offset overflows", li->spec.text);
			return false;
		}
		li->addr = addr + loc->offset;
	}
	li->kernel = li->addr >= KERNEL_HALF;
	return true;
}

bool inject_setup(struct session *s, char *err, size_t errlen)
{
	const struct vm_config *cfg = s->cfg;
	struct inject_state *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	s->inj = st;
	st->last_vector = -1;
	if (ioctl(s->vm.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_EXCEPTION_PAYLOAD) > 0) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_EXCEPTION_PAYLOAD, .args = { 1 } };
		st->payload_cap = ioctl(s->vm.vm_fd, KVM_ENABLE_CAP, &cap) == 0;
	}
	unsigned kernel_locs = 0;
	for (size_t i = 0; i < cfg->ninject; i++) {
		const struct inject_spec *spec = &cfg->inject[i];
		if (spec->kind == INJ_PF_USER_STACK) {
			st->user_stack = true;
			st->user_stack_spec = *spec;
			continue;
		}
		if (inject_spec_is_sweep(spec))
			continue; /* sweep.c turns it into points */
		if (st->nlocs >= INJECT_MAX_LOCS) {
			snprintf(err, errlen, "at most %d --inject KIND@LOC per run", INJECT_MAX_LOCS);
			return false;
		}
		struct loc_injection *li = &st->locs[st->nlocs];
		li->spec = *spec;
		if (!resolve_loc(s, li, err, errlen))
			return false;
		if (li->kernel && ++kernel_locs > 2) {
			snprintf(err, errlen, "at most 2 ring-0 KIND@LOC per run: only DR2 and DR3 are free");
			return false;
		}
		if (!li->kernel)
			st->step_to_user_loc = true;
		st->nlocs++;
	}
	if (cfg->point)
		inject_set_point(s, cfg->point);
	if (cfg->discover)
		inject_set_discovery(s, (enum inject_trigger)cfg->discover);
	return true;
}

void inject_teardown(struct session *s)
{
	if (!s->inj)
		return;
	free(s->inj->path);
	free(s->inj);
	s->inj = NULL;
}

void inject_set_point(struct session *s, const struct inject_point *p)
{
	struct inject_state *st = s->inj;
	st->point = *p;
	st->point_started = st->point_delivered = false;
	st->point_steps = 0;
	st->point_why[0] = '\0';
	st->last_vector = -1;
}

void inject_set_discovery(struct session *s, enum inject_trigger t)
{
	s->inj->discover = t;
}

void inject_set_path_start_hook(struct session *s, void (*fn)(void *, struct vcpu_state *), void *ctx)
{
	s->inj->on_path_start = fn;
	s->inj->path_ctx = ctx;
}

size_t inject_discovered(const struct session *s, const uint64_t **rips, bool *complete)
{
	*rips = s->inj->path;
	*complete = s->inj->discovered;
	return s->inj->npath;
}

bool inject_point_delivered(const struct session *s, char *why, size_t len)
{
	const struct inject_state *st = s->inj;
	if (!st->point_delivered)
		snprintf(why, len, "%s", st->point_why[0] ? st->point_why : "the path start was never reached");
	else
		snprintf(why, len, "%s", st->point_why);
	return st->point_delivered;
}

int inject_last_vector(const struct session *s)
{
	return s->inj ? s->inj->last_vector : -1;
}

/* ---- hooks --------------------------------------------------------------------------------------- */

static bool need_stepping(const struct inject_state *st)
{
	if (st->discovering || (st->point.active && st->point_started && !st->point_delivered))
		return true;
	if (st->step_to_user_loc)
		for (size_t i = 0; i < st->nlocs; i++)
			if (!st->locs[i].kernel && !st->locs[i].fired)
				return true;
	return false;
}

/* The injector shares single-stepping with the measurement code: it turns
 * stepping on while it needs it and gives it back to the measurement after. */
static void update_stepping(struct vcpu_state *v)
{
	debugctl_set_single_step(&v->dbg, need_stepping(v->s->inj) || v->measuring);
}

void inject_arm(struct vcpu_state *v)
{
	struct inject_state *st = v->s->inj;
	if (!st)
		return;
	for (size_t i = 0; i < st->nlocs; i++)
		if (st->locs[i].kernel && !st->locs[i].fired)
			debugctl_arm(&v->dbg, st->locs[i].addr, BP_INJECT);
	if (st->point.active && st->point.trigger == TRIGGER_ADDR && !st->point_delivered)
		debugctl_arm(&v->dbg, st->point.trigger_addr, BP_INJECT);
	if (st->discover == TRIGGER_ADDR && !st->discovered && st->on_path_start) {
		/* A static path (a symbol's instructions): everything after the
		 * layout can reach it, so that is where the snapshot goes. */
		st->discovered = true;
		st->on_path_start(st->path_ctx, v);
	}
	update_stepping(v);
}

static void describe(struct session *s, uint64_t rip, char *buf, size_t len)
{
	if (s->syms)
		symtab_describe(s->syms, rip, buf, len);
	else
		snprintf(buf, len, "0x%" PRIx64, rip);
}

static void fire_loc(struct vcpu_state *v, struct loc_injection *li, uint64_t rip)
{
	char err[96];
	bool ok = inject_deliver(v, li->spec.kind, li->spec.arg, err, sizeof(err));
	pthread_mutex_lock(&v->s->lock);
	li->fired = ok;
	li->rip = rip;
	snprintf(li->delivery, sizeof(li->delivery), "%s", err);
	pthread_mutex_unlock(&v->s->lock);
	if (!ok)
		session_end(v->s, RUN_END_INTERNAL_ERROR, "--inject %s: %s", li->spec.text, err);
}

static void fire_point(struct vcpu_state *v, uint64_t rip)
{
	struct inject_state *st = v->s->inj;
	char err[96];
	if (st->point.expect_rip && rip != st->point.expect_rip) {
		char here[96];
		describe(v->s, rip, here, sizeof(here));
		snprintf(st->point_why, sizeof(st->point_why), "the path went elsewhere: step %" PRIu64 " is at %s",
			 st->point_steps, here);
		session_end(v->s, RUN_END_INTERNAL_ERROR, "sweep point not reached: %s", st->point_why);
		return;
	}
	if (!inject_deliver(v, st->point.kind, st->point.arg, err, sizeof(err))) {
		snprintf(st->point_why, sizeof(st->point_why), "%s", err);
		session_end(v->s, RUN_END_INTERNAL_ERROR, "sweep point: %s", err);
		return;
	}
	st->point_delivered = true;
	snprintf(st->point_why, sizeof(st->point_why), "%s", err);
}

void inject_on_breakpoint(struct vcpu_state *v, int slot)
{
	struct inject_state *st = v->s->inj;
	uint64_t rip = v->dbg.addr[slot];
	/* One shot: the event's handler returns to this very instruction. */
	debugctl_disarm(&v->dbg, slot);
	if (st->point.active && st->point.trigger == TRIGGER_ADDR && rip == st->point.trigger_addr &&
	    !st->point_delivered) {
		st->point_started = true;
		fire_point(v, rip);
	}
	for (size_t i = 0; i < st->nlocs; i++) {
		struct loc_injection *li = &st->locs[i];
		if (li->kernel && !li->fired && li->addr == rip) {
			fire_loc(v, li, rip);
			break;
		}
	}
	update_stepping(v);
}

static void discover_step(struct vcpu_state *v, uint64_t rip)
{
	struct inject_state *st = v->s->inj;
	if (st->npath < INJECT_PATH_MAX)
		st->path[st->npath++] = rip;
	if (rip == v->s->layout.raw.syscall_return || st->npath >= INJECT_PATH_MAX) {
		st->discovering = false;
		st->discovered = rip == v->s->layout.raw.syscall_return;
	}
}

bool inject_on_step(struct vcpu_state *v, uint64_t rip)
{
	struct inject_state *st = v->s->inj;
	if (!st)
		return false;
	bool mine = need_stepping(st);
	if (st->discovering) {
		discover_step(v, rip);
	} else if (st->point.active && st->point_started && !st->point_delivered) {
		if (++st->point_steps == st->point.steps)
			fire_point(v, rip);
	}
	for (size_t i = 0; i < st->nlocs; i++) {
		struct loc_injection *li = &st->locs[i];
		if (!li->kernel && !li->fired && li->addr == rip)
			fire_loc(v, li, rip);
	}
	update_stepping(v);
	return mine;
}

void inject_on_syscall_entry(struct vcpu_state *v)
{
	struct inject_state *st = v->s->inj;
	if (!st)
		return;
	struct kvm_regs *regs = kvm_regs(&v->vcpu);
	/* The named path is that of a null syscall (number 0 in the guest's ABI),
	 * taken outside a measured region so nothing else is stepping it. */
	bool null_syscall = regs && regs->rax == 0 && !v->measuring;
	if (!null_syscall)
		return;
	if (st->discover == TRIGGER_SYSCALL && !st->discovered && !st->discovering && !st->path) {
		st->path = calloc(INJECT_PATH_MAX, sizeof(*st->path));
		if (!st->path) {
			session_end(v->s, RUN_END_INTERNAL_ERROR, "out of memory");
			return;
		}
		if (st->on_path_start)
			st->on_path_start(st->path_ctx, v);
		st->discovering = true;
		discover_step(v, regs->rip);
	} else if (st->point.active && st->point.trigger == TRIGGER_SYSCALL && !st->point_started) {
		st->point_started = true;
		if (st->point.steps == 0)
			fire_point(v, regs->rip);
	}
	update_stepping(v);
}

/* ---- pf-user-stack ----------------------------------------------------------------------------- */

/* Unmaps the page holding user_rsp - 8 (where the next push lands) from both
 * halves of the task's PGD pair.  Under KPTI the pair shares the user half's
 * lower-level tables, so clearing the PTE through either PGD clears it for
 * both; both are walked anyway, as a model without sharing would need. */
static void unmap_user_stack(struct vcpu_state *v, const struct ebx_ev_inject_point *p)
{
	struct session *s = v->s;
	struct inject_state *st = s->inj;
	const struct ebx_layout *l = &s->layout.raw;
	if (p->task >= l->ntasks || p->task >= EBX_MAX_TASKS) {
		session_end(s, RUN_END_HOSTILE, "inject point for task %u of %u", p->task, l->ntasks);
		return;
	}
	uint64_t page = (p->user_rsp - 8) & ~(PT_PAGE_SIZE - 1);
	if (page >= KERNEL_HALF || !pt_canonical(page)) {
		session_end(s, RUN_END_HOSTILE, "inject point with a non-user stack pointer 0x%" PRIx64, p->user_rsp);
		return;
	}
	struct pt_env env = gmem_pt_env(&s->vm.mem);
	uint64_t pgds[2] = { l->tasks[p->task].kernel_pgd, l->tasks[p->task].user_pgd };
	enum pt_status rc = PT_OK;
	for (int i = 0; i < 2 && rc == PT_OK; i++)
		rc = pt_unmap(&env, pgds[i], page, PT_PAGE_SIZE);
	/* Two caches may still hold the old translation: the guest's TLB, which
	 * the guest flushes itself after the checkpoint (abi.h), and KVM's own
	 * translations built from the guest tables (shadow pages under kvm_pvm,
	 * which do not notice a write by the VMM and are not all refreshed by the
	 * guest's INVLPG -- measured: the push still succeeded).  Reloading the
	 * memory slot makes KVM forget them. */
	if (rc == PT_OK && kvm_forget_translations(&s->vm) < 0)
		rc = PT_BAD_PHYS;
	struct kvm_regs *regs = kvm_regs(&v->vcpu);
	st->user_stack_done = rc == PT_OK;
	st->user_stack_rip = regs ? regs->rip : 0;
	snprintf(st->user_stack_detail, sizeof(st->user_stack_detail),
		 rc == PT_OK ? "task %u: page 0x%" PRIx64 " below user RSP 0x%" PRIx64 " unmapped"
			     : "task %u: unmapping 0x%" PRIx64 " below RSP 0x%" PRIx64 " failed",
		 p->task, page, p->user_rsp);
}

void inject_on_point_event(struct vcpu_state *v, const void *payload, size_t len)
{
	struct inject_state *st = v->s->inj;
	struct ebx_ev_inject_point p;
	if (len < sizeof(p)) {
		session_end(v->s, RUN_END_HOSTILE, "inject point record of %zu bytes", len);
		return;
	}
	memcpy(&p, payload, sizeof(p));
	if (!memchr(p.what, '\0', sizeof(p.what))) {
		session_end(v->s, RUN_END_HOSTILE, "inject point with an unterminated name");
		return;
	}
	if (!st || !st->user_stack || st->user_stack_done || strcmp(p.what, "pf-user-stack") != 0)
		return;
	if (st->user_stack_spec.has_task && st->user_stack_spec.task != p.task)
		return;
	unmap_user_stack(v, &p);
}

/* ---- the end ------------------------------------------------------------------------------------- */

static void judge(const struct run_result *r, char *outcome, size_t olen, char *detail, size_t dlen)
{
	if (r->end == RUN_END_TRIPLE_FAULT) {
		snprintf(outcome, olen, "triple-fault");
		snprintf(detail, dlen, "%s", r->explanation[0] ? r->explanation : r->end_reason);
	} else if (r->nviolations > 0) {
		snprintf(outcome, olen, "violation");
		snprintf(detail, dlen, "%s at %s", r->violations[0].rule, r->violations[0].symbol);
	} else if (r->end == RUN_END_GUEST_EXIT && r->guest_exit_code == EBX_GUEST_EXIT_PASS && r->outcome[0] &&
		   strcmp(r->outcome, r->expected) == 0) {
		snprintf(outcome, olen, "survived");
		detail[0] = '\0';
	} else {
		snprintf(outcome, olen, "failed");
		snprintf(detail, dlen, "outcome %s (expected %s), %s: %.100s", r->outcome[0] ? r->outcome : "-",
			 r->expected, result_end_name(r->end), r->end_reason);
	}
}

void inject_judge(const struct run_result *r, char *outcome, size_t olen, char *detail, size_t dlen)
{
	judge(r, outcome, olen, detail, dlen);
}

static void add_report(struct session *s, const char *spec, bool reached, uint64_t rip, const char *note)
{
	struct run_result *r = s->r;
	if (r->ninjections >= RESULT_MAX_INJECTIONS)
		return;
	struct injection_report *in = &r->injections[r->ninjections++];
	snprintf(in->spec, sizeof(in->spec), "%s", spec);
	in->reached = reached;
	in->rip = rip;
	if (reached) {
		describe(s, rip, in->at, sizeof(in->at));
		char detail[160];
		judge(r, in->outcome, sizeof(in->outcome), detail, sizeof(detail));
		snprintf(in->detail, sizeof(in->detail), "%s%s%s", note, note[0] && detail[0] ? "; " : "", detail);
	} else {
		snprintf(in->outcome, sizeof(in->outcome), "not-reached");
		snprintf(in->detail, sizeof(in->detail), "%s", note);
	}
}

void inject_finish(struct session *s)
{
	struct inject_state *st = s->inj;
	if (!st)
		return;
	for (size_t i = 0; i < st->nlocs; i++) {
		struct loc_injection *li = &st->locs[i];
		char note[160];
		if (li->fired)
			snprintf(note, sizeof(note), "%s", li->delivery);
		else
			snprintf(note, sizeof(note), "the guest never executed 0x%" PRIx64 "%s", li->addr,
				 li->kernel ? "" : " (ring-3 LOC: found by single-stepping, which SYSRET interrupts)");
		add_report(s, li->spec.text, li->fired, li->rip, note);
	}
	if (st->point.active) {
		char at[32];
		snprintf(at, sizeof(at), "sweep point %" PRIu64, st->point.steps);
		add_report(s, at, st->point_delivered, st->point.expect_rip, st->point_why);
	}
	if (st->user_stack)
		add_report(s, st->user_stack_spec.text, st->user_stack_done, st->user_stack_rip,
			   st->user_stack_detail[0] ? st->user_stack_detail
						    : "the scenario never sent an inject point (EBX_EV_INJECT_POINT)");
}
