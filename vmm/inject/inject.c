/* SPDX-License-Identifier: MIT */
#include "inject/inject.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entrybox/abi.h"
#include "result/result_coverage.h"
#include "run/measure.h"
#include "run/session.h"
#include "entrybox/x86.h"

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
	uint64_t point_delivery_exit; /* the path vCPU's exit count when the point's event was queued */
	char point_why[160];
	/* discovery */
	enum inject_trigger discover;
	bool discovering, discovered;
	bool path_claimed;
	bool baseline_returned, point_returned;
	/* A ring-0 application's `ret` can still fault: the return is complete
	 * at the step after it (SYSRET and the iret hypercall are at once). */
	bool discover_returning, point_returning;
	bool point_return_after_event;  /* the point sat on the return instruction: step until the return lands */
	uint64_t baseline_gpr[16];  /* at the discovered path's return */
	uint64_t baseline_rip;      /* where its `ret` landed, 0 for a SYSRET-like return */
	unsigned path_vcpu;       /* the vCPU that discovered the path */
	int path_task;            /* in the syscall of this task */
	uint64_t *path;
	size_t npath;
	int last_vector;
	void (*on_path_start)(void *ctx, struct vcpu_state *v);
	void *path_ctx;
};

/* ---- delivery ---------------------------------------------------------------------------------- */

void inject_note_delivery(struct session *s, int vector)
{
	if (s->inj)
		s->inj->last_vector = vector;
}

static bool queue_exception(struct vcpu_state *v, int vector, bool has_error, uint32_t error, bool has_payload,
			    uint64_t payload, char *err, size_t errlen)
{
	if (kvm_queue_exception(&v->vcpu, (uint8_t)vector, has_error, error, has_payload, payload) < 0) {
		snprintf(err, errlen, "queueing vector %d: %s", vector, strerror(errno));
		return false;
	}
	inject_note_delivery(v->s, vector);
	vcpu_event_queued(v, vector);
	return true;
}

static bool queue_nmi(struct vcpu_state *v, char *err, size_t errlen)
{
	if (kvm_queue_nmi(&v->vcpu) < 0) {
		snprintf(err, errlen, "queueing an NMI: %s", strerror(errno));
		return false;
	}
	inject_note_delivery(v->s, VEC_NMI);
	vcpu_event_queued(v, VEC_NMI);
	/* If the event ends in a triple fault, the state it went into explains it. */
	atomic_store(&v->vcpu.replay_point_wanted, true);
	return true;
}

static bool send_msi(struct vcpu_state *v, uint64_t vector, char *err, size_t errlen)
{
	/* Physical destination mode, fixed delivery: APIC ID = vCPU index (kvm.c's CPUID). */
	int rc = kvm_signal_msi(&v->s->vm, MSI_ADDR_BASE | (v->vcpu.index << 12), (uint32_t)vector);
	if (rc < 0) {
		snprintf(err, errlen, "KVM_SIGNAL_MSI: %s", strerror(errno));
		return false;
	}
	/* 0 means the LAPIC refused it (software-disabled or masked): delivered
	 * to the hardware, not to the guest -- say so rather than claim it landed. */
	snprintf(err, errlen, "%s", rc > 0 ? "accepted by the LAPIC" : "blocked by the guest's LAPIC (disabled?)");
	inject_note_delivery(v->s, (int)vector);
	vcpu_event_queued(v, (int)vector);
	return true;
}

/* ---- pf-user-stack at an instruction ---------------------------------------------------------- */

/* The stack pointer of the code the kernel entered from: RSP itself while on
 * a user or application stack (ring-3 code, a syscall entry before its stack
 * switch, a UKL application), else the one the last syscall boundary saw. */
static bool user_stack_pointer(struct vcpu_state *v, uint64_t rsp, uint8_t cpl, uint64_t *out)
{
	bool guard = false;
	const struct ebx_stack_desc *st = layout_stack_of_rsp(&v->s->layout, rsp, &guard);
	if (cpl == 3 || (st && (st->kind == EBX_STACK_USER || st->kind == EBX_STACK_UKL))) {
		*out = rsp;
		return true;
	}
	if (!v->boundary_valid)
		return false;
	*out = v->boundary_gpr[4];
	return true;
}

/* Takes one page from both halves of the task's PGD pair: under KPTI they
 * share the user half's tables, so the second finds it taken already. */
static enum pt_status take_page(struct pt_env *env, const struct ebx_task_desc *t, uint64_t page)
{
	enum pt_status rc = pt_take(env, t->kernel_pgd, page);
	if (t->user_pgd != t->kernel_pgd) {
		enum pt_status rc2 = pt_take(env, t->user_pgd, page);
		if (rc != PT_OK)
			rc = rc2;
	}
	return rc;
}

/*
 * The stack page the code uses next, whatever it does next: the page RSP is
 * in (a pop, a `ret`, a read of the frame at RSP) and the one below it if
 * that differs (a push at a page boundary).  Each is taken with its contents
 * (pagetables.h, PT_TAKEN), and KVM drops every translation it built, the
 * guest's TLB entries included, so the next touch faults.
 */
static bool take_user_stack(struct vcpu_state *v, char *err, size_t errlen)
{
	struct session *s = v->s;
	struct kvm_regs *regs = kvm_regs(&v->vcpu);
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	uint64_t rsp = 0;
	if (!regs || !sr || !s->layout.valid) {
		snprintf(err, errlen, "no vCPU state or layout to find the stack");
		return false;
	}
	bool user_half = false;
	int task = layout_task_of_pgd(&s->layout, sr->cr3 & PT_CR3_PGD_MASK, &user_half);
	if (task < 0 || !user_stack_pointer(v, regs->rsp, (uint8_t)(sr->cs.dpl & 3), &rsp) || rsp >= KERNEL_HALF) {
		snprintf(err, errlen, "no user or application stack in use at RSP 0x%llx", (unsigned long long)regs->rsp);
		return false;
	}
	const struct ebx_task_desc *t = &s->layout.raw.tasks[task];
	struct pt_env env = gmem_pt_env_for_writes(&s->vm.mem);
	uint64_t pages[2] = { rsp & ~(PT_PAGE_SIZE - 1), (rsp - 8) & ~(PT_PAGE_SIZE - 1) };
	unsigned taken = 0;
	for (unsigned i = 0; i < 2; i++)
		if ((i == 0 || pages[1] != pages[0]) && take_page(&env, t, pages[i]) == PT_OK)
			taken |= 1u << i;
	if (!taken) {
		snprintf(err, errlen, "task %u: no stack page mapped at RSP 0x%llx", t->id, (unsigned long long)rsp);
		return false;
	}
	if (kvm_forget_translations(&s->vm) < 0) {
		snprintf(err, errlen, "reloading the memory slot: %s", strerror(errno));
		return false;
	}
	/* The fault that follows may end in a triple fault (ukl_df=none): the
	 * replay that explains it must start from the page already taken, not
	 * from an older point that would run without the fault. */
	atomic_store(&v->vcpu.replay_point_wanted, true);
	snprintf(err, errlen, "task %u: stack page%s 0x%llx%s taken at RSP 0x%llx", t->id,
		 taken == 3 ? "s" : "", (unsigned long long)pages[taken & 1 ? 0 : 1],
		 taken == 3 ? (pages[1] == pages[0] ? "" : " and the one below") : "", (unsigned long long)rsp);
	return true;
}

bool inject_deliver(struct vcpu_state *v, enum inject_kind kind, uint64_t arg, char *account, size_t len)
{
	account[0] = '\0';
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	bool user = sr && sr->cs.dpl == 3;
	switch (kind) {
	case INJ_NMI: return queue_nmi(v, account, len);
	case INJ_IRQ: return send_msi(v, arg, account, len);
	case INJ_DB: return queue_exception(v, VEC_DB, false, 0, true, DR6_BS, account, len);
	case INJ_PF: return queue_exception(v, VEC_PF, true, user ? PF_ERR_USER : 0, true, arg, account, len);
	case INJ_GP: return queue_exception(v, VEC_GP, true, 0, false, 0, account, len);
	case INJ_PF_USER_STACK: return take_user_stack(v, account, len);
	default: break;
	}
	snprintf(account, len, "%s is not delivered at an instruction", inject_kind_name(kind));
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
	unsigned kernel_locs = 0;
	for (size_t i = 0; i < cfg->ninject; i++) {
		const struct inject_spec *spec = &cfg->inject[i];
		if (spec->kind == INJ_PF_USER_STACK && !inject_spec_has_loc(spec) && !inject_spec_is_sweep(spec)) {
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

bool inject_add_user_stack(struct session *s, const struct inject_spec *spec, char *err, size_t errlen)
{
	struct inject_state *st = s->inj;
	if (!st || spec->kind != INJ_PF_USER_STACK) {
		snprintf(err, errlen, "not a pf-user-stack injection");
		return false;
	}
	if (inject_spec_has_loc(spec) || inject_spec_is_sweep(spec)) {
		snprintf(err, errlen, "--inject '%s': only pf-user-stack[@TASK] waits for the scenario's inject point",
			 spec->text);
		return false;
	}
	if (st->user_stack && !st->user_stack_done) {
		snprintf(err, errlen, "%s is waiting for the scenario's inject point already", st->user_stack_spec.text);
		return false;
	}
	st->user_stack = true;
	st->user_stack_spec = *spec;
	st->user_stack_done = false;
	st->user_stack_detail[0] = '\0';
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
	st->point_started = st->point_delivered = st->point_returned = st->point_returning = false;
	st->point_return_after_event = false;
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

size_t inject_discovered(const struct session *s, const uint64_t **rips, bool *complete, unsigned *vcpu, int *task)
{
	*rips = s->inj->path;
	*complete = s->inj->discovered;
	*vcpu = s->inj->path_vcpu;
	*task = s->inj->path_task;
	return s->inj->npath;
}

bool inject_discovered_return(const struct session *s, uint64_t gpr[16], uint64_t *rip)
{
	memcpy(gpr, s->inj->baseline_gpr, sizeof(s->inj->baseline_gpr));
	*rip = s->inj->baseline_rip;
	return s->inj->baseline_returned;
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

/* Sweeps follow one vCPU: the one that found the path, and the point on it. */
static bool on_path_vcpu(const struct inject_state *st, const struct vcpu_state *v)
{
	unsigned on = st->point.active ? st->point.vcpu : st->path_vcpu;
	return on == INJECT_ANY_VCPU || v->vcpu.index == on;
}

static bool need_stepping(const struct inject_state *st, const struct vcpu_state *v)
{
	if (on_path_vcpu(st, v) && (st->discovering || st->point_returning ||
				     (st->point.active && st->point_started && !st->point_delivered)))
		return true;
	if (st->step_to_user_loc)
		for (size_t i = 0; i < st->nlocs; i++)
			if (!st->locs[i].kernel && !st->locs[i].fired)
				return true;
	return false;
}

static void update_stepping(struct inject_state *st, struct vcpu_state *v)
{
	debugctl_want_step(&v->dbg, DBG_OWNER_INJECT, need_stepping(st, v));
}

static enum exit_decision arm(struct vcpu_state *v, uint64_t addr, const char *what)
{
	if (debugctl_bp_add(&v->dbg, DBG_OWNER_INJECT, addr, 0) >= 0)
		return EXIT_CONTINUE;
	return vcpu_end(v, RUN_END_INTERNAL_ERROR, "--inject %s: no hardware breakpoint slot is left for 0x%" PRIx64,
			what, addr);
}

/* A point fires once, on the first vCPU that reaches it; it stays on that one. */
static bool claim_point(struct inject_state *st, struct vcpu_state *v)
{
	pthread_mutex_lock(&v->s->lock);
	bool mine = !st->point_started;
	st->point_started = true;
	if (mine)
		st->point.vcpu = v->vcpu.index;
	pthread_mutex_unlock(&v->s->lock);
	return mine;
}

/* The first vCPU to get here finds the path; the others leave it to it. */
static bool claim_path(struct inject_state *st, struct vcpu_state *v)
{
	pthread_mutex_lock(&v->s->lock);
	bool mine = !st->path_claimed;
	if (mine) {
		st->path_claimed = true;
		st->path_vcpu = v->vcpu.index;
	}
	pthread_mutex_unlock(&v->s->lock);
	return mine;
}

static enum exit_decision on_arm(void *ctx, struct vcpu_state *v)
{
	struct inject_state *st = ctx;
	enum exit_decision d = EXIT_CONTINUE;
	debugctl_bp_remove_owner(&v->dbg, DBG_OWNER_INJECT);
	for (size_t i = 0; i < st->nlocs && d != EXIT_END; i++)
		if (st->locs[i].kernel && !st->locs[i].fired)
			d = arm(v, st->locs[i].addr, st->locs[i].spec.text);
	if (d != EXIT_END && st->point.active && st->point.trigger == TRIGGER_ADDR && !st->point_delivered)
		d = arm(v, st->point.trigger_addr, "sweep point");
	if (d != EXIT_END && st->discover == TRIGGER_ADDR && st->on_path_start && claim_path(st, v)) {
		/* A static path (a symbol's instructions): everything after the
		 * layout can reach it, so that is where the snapshot goes. */
		st->discovered = true;
		st->on_path_start(st->path_ctx, v);
	}
	update_stepping(st, v);
	return d;
}

static void describe(struct session *s, uint64_t rip, char *buf, size_t len)
{
	if (s->syms)
		symtab_describe(s->syms, rip, buf, len);
	else
		snprintf(buf, len, "0x%" PRIx64, rip);
}

static enum exit_decision fire_loc(struct vcpu_state *v, struct loc_injection *li, uint64_t rip)
{
	char err[96];
	bool ok = inject_deliver(v, li->spec.kind, li->spec.arg, err, sizeof(err));
	pthread_mutex_lock(&v->s->lock);
	li->fired = ok;
	li->rip = rip;
	snprintf(li->delivery, sizeof(li->delivery), "%s", err);
	pthread_mutex_unlock(&v->s->lock);
	if (!ok)
		return vcpu_end(v, RUN_END_INTERNAL_ERROR, "--inject %s: %s", li->spec.text, err);
	/* Delivered once: its slot goes to whoever needs it next (the catch
	 * on the event's gate, where the backend hides that step). */
	int slot = debugctl_bp_find(&v->dbg, DBG_OWNER_INJECT, li->addr);
	if (slot >= 0)
		debugctl_bp_remove(&v->dbg, slot);
	return exit_decision_merge(EXIT_REENTER, vcpu_note_injected(v, li->spec.text));
}

static uint64_t exit_count(const struct vcpu_state *v)
{
	return v->n.exits_io + v->n.exits_debug + v->n.exits_mmio + v->n.exits_intr + v->n.exits_other;
}

static enum exit_decision fire_point(struct inject_state *st, struct vcpu_state *v, uint64_t rip)
{
	char err[96];
	if (st->point.expect_rip && rip != st->point.expect_rip) {
		char here[96];
		describe(v->s, rip, here, sizeof(here));
		snprintf(st->point_why, sizeof(st->point_why), "the path went elsewhere: step %" PRIu64 " is at %s",
			 st->point_steps, here);
		return vcpu_end(v, RUN_END_INTERNAL_ERROR, "sweep point not reached: %s", st->point_why);
	}
	if (!inject_deliver(v, st->point.kind, st->point.arg, err, sizeof(err))) {
		snprintf(st->point_why, sizeof(st->point_why), "%s", err);
		return vcpu_end(v, RUN_END_INTERNAL_ERROR, "sweep point: %s", err);
	}
	st->point_delivered = true;
	st->point_delivery_exit = exit_count(v);
	snprintf(st->point_why, sizeof(st->point_why), "%s", err);
	return exit_decision_merge(EXIT_REENTER, vcpu_note_injected(v, "sweep point"));
}

static enum exit_decision on_breakpoint(void *ctx, struct vcpu_state *v, int slot)
{
	struct inject_state *st = ctx;
	uint64_t rip = debugctl_bp(&v->dbg, slot)->addr;
	/* One shot: the event's handler returns to this very instruction. */
	debugctl_bp_remove(&v->dbg, slot);
	enum exit_decision d = EXIT_CONTINUE;
	if (st->point.active && st->point.trigger == TRIGGER_ADDR && rip == st->point.trigger_addr &&
	    claim_point(st, v)) {
		d = fire_point(st, v, rip);
	}
	for (size_t i = 0; i < st->nlocs && d != EXIT_END; i++) {
		struct loc_injection *li = &st->locs[i];
		if (li->kernel && !li->fired && li->addr == rip) {
			d = exit_decision_merge(d, fire_loc(v, li, rip));
			break;
		}
	}
	update_stepping(st, v);
	return d;
}

/* The path ends at the instruction that returns (on_syscall_return). */
static void discover_step(struct inject_state *st, uint64_t rip)
{
	if (st->npath < INJECT_PATH_MAX)
		st->path[st->npath++] = rip;
	else
		st->discovering = false;
}

static bool gprs_of(struct vcpu_state *v, uint64_t gpr[16])
{
	struct kvm_regs *r = kvm_regs(&v->vcpu);
	if (!r)
		return false;
	const uint64_t g[16] = { r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi,
				 r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15 };
	memcpy(gpr, g, sizeof(g));
	return true;
}

/* The point's path came back: the run has shown what it had to show. */
static enum exit_decision point_returned(struct inject_state *st, struct vcpu_state *v)
{
	static const char *const names[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
					       "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
	uint64_t gpr[16];
	st->point_returned = true;
	if (!st->point.compare_return)
		return vcpu_end(v, RUN_END_HORIZON, "the path returned");
	if (!gprs_of(v, gpr))
		return vcpu_end(v, RUN_END_INTERNAL_ERROR, "cannot read registers at the path's return");
	for (unsigned i = 0; i < 16; i++) {
		if (gpr[i] != st->point.return_gpr[i]) {
			pthread_mutex_lock(&v->s->lock);
			v->s->r->point_return_differs = true;
			pthread_mutex_unlock(&v->s->lock);
			return vcpu_end(v, RUN_END_HORIZON, "the path returned with %s 0x%" PRIx64 " where it returns 0x%" PRIx64,
					names[i], gpr[i], st->point.return_gpr[i]);
		}
	}
	return vcpu_end(v, RUN_END_HORIZON, "the path returned as it does without the injection");
}

static bool returns_by_ret(struct vcpu_state *v)
{
	struct kvm_regs *r = kvm_regs(&v->vcpu);
	return r && v->s->layout.raw.app_syscall_return && r->rip == v->s->layout.raw.app_syscall_return;
}

static void discovery_returned(struct inject_state *st, struct vcpu_state *v, uint64_t landed)
{
	st->discovering = st->discover_returning = false;
	st->discovered = true;
	st->baseline_returned = gprs_of(v, st->baseline_gpr);
	st->baseline_rip = landed;
	update_stepping(st, v);
}

static enum exit_decision on_syscall_return(void *ctx, struct vcpu_state *v)
{
	struct inject_state *st = ctx;
	if (!on_path_vcpu(st, v))
		return EXIT_CONTINUE;
	bool by_ret = returns_by_ret(v);
	if (st->discovering) {
		if (by_ret)
			st->discover_returning = true;
		else
			discovery_returned(st, v, 0);
	} else if (st->point.active && st->point.stop_at_return && st->point_delivered && !st->point_returned) {
		/* A point on the return instruction itself: its event is still
		 * queued, the handler runs before the return does. */
		if (st->point_delivery_exit == exit_count(v)) {
			/* Its handler may return to the return instruction with RF
			 * set, past the breakpoint: step until the return lands. */
			st->point_returning = st->point_return_after_event = true;
			update_stepping(st, v);
			return EXIT_CONTINUE;
		}
		if (!by_ret)
			return point_returned(st, v);
		st->point_returning = true;
		update_stepping(st, v);
	}
	return EXIT_CONTINUE;
}

/* After an event delivered on the return instruction: the return has landed
 * where it lands without the event (a ring-0 application's `ret`), or back
 * in ring 3 (SYSRET, IRET). */
static bool landed_after_event(const struct inject_state *st, struct vcpu_state *v, uint64_t rip)
{
	if (st->point.return_rip)
		return rip == st->point.return_rip;
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	return sr && (sr->cs.dpl & 3) == 3;
}

static enum exit_decision on_step(void *ctx, struct vcpu_state *v, uint64_t rip)
{
	struct inject_state *st = ctx;
	enum exit_decision d = EXIT_CONTINUE;
	if (!on_path_vcpu(st, v)) {
		/* another vCPU's step: a --inject LOC in ring 3 below */
	} else if (st->discover_returning) {
		discovery_returned(st, v, rip);
	} else if (st->point_returning) {
		/* An exception on the way (a fault of the `ret` itself) is
		 * stepped through until the return lands where it did before. */
		if (st->point_return_after_event ? landed_after_event(st, v, rip)
						 : !st->point.return_rip || rip == st->point.return_rip) {
			st->point_returning = st->point_return_after_event = false;
			d = point_returned(st, v);
		}
	} else if (st->discovering) {
		discover_step(st, rip);
	} else if (st->point.active && st->point_started && !st->point_delivered) {
		if (++st->point_steps == st->point.steps)
			d = fire_point(st, v, rip);
	}
	for (size_t i = 0; i < st->nlocs && d != EXIT_END; i++) {
		struct loc_injection *li = &st->locs[i];
		if (!li->kernel && !li->fired && li->addr == rip)
			d = exit_decision_merge(d, fire_loc(v, li, rip));
	}
	update_stepping(st, v);
	return d;
}

/* The id of the task whose page tables the vCPU runs on, or -1. */
static int current_task_id(struct vcpu_state *v)
{
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	bool user_half = false;
	int t = sr ? layout_task_of_pgd(&v->s->layout, sr->cr3 & PT_CR3_PGD_MASK, &user_half) : -1;
	return t < 0 ? -1 : (int)v->s->layout.raw.tasks[t].id;
}

/* Plain pf-user-stack: at the task's first syscall entry, the stack it came from. */
static enum exit_decision user_stack_at_boundary(struct inject_state *st, struct vcpu_state *v)
{
	if (!st->user_stack || st->user_stack_done)
		return EXIT_CONTINUE;
	int task = current_task_id(v);
	if (task < 0 || (st->user_stack_spec.has_task && (uint32_t)task != st->user_stack_spec.task))
		return EXIT_CONTINUE;
	char detail[sizeof(st->user_stack_detail)];
	struct kvm_regs *regs = kvm_regs(&v->vcpu);
	bool ok = take_user_stack(v, detail, sizeof(detail));
	pthread_mutex_lock(&v->s->lock);
	st->user_stack_done = ok;
	st->user_stack_rip = regs ? regs->rip : 0;
	snprintf(st->user_stack_detail, sizeof(st->user_stack_detail), "%s", detail);
	pthread_mutex_unlock(&v->s->lock);
	return ok ? EXIT_CONTINUE : vcpu_end(v, RUN_END_INTERNAL_ERROR, "--inject %s: %s", st->user_stack_spec.text,
						    detail);
}

static enum exit_decision on_syscall_boundary(void *ctx, struct vcpu_state *v)
{
	struct inject_state *st = ctx;
	if (user_stack_at_boundary(st, v) == EXIT_END)
		return EXIT_END;
	struct kvm_regs *regs = kvm_regs(&v->vcpu);
	/* The named path is that of a null syscall (number 0 in the guest's ABI),
	 * taken outside a measured region so nothing else is stepping it. */
	bool null_syscall = regs && regs->rax == 0 && !measure_in_region(v->s, v->vcpu.index);
	if (!null_syscall)
		return EXIT_CONTINUE;
	enum exit_decision d = EXIT_CONTINUE;
	if (st->discover == TRIGGER_SYSCALL && !st->path_claimed && claim_path(st, v)) {
		st->path = calloc(INJECT_PATH_MAX, sizeof(*st->path));
		if (!st->path)
			return vcpu_end(v, RUN_END_INTERNAL_ERROR, "out of memory");
		st->path_task = current_task_id(v);
		if (st->on_path_start)
			st->on_path_start(st->path_ctx, v);
		st->discovering = true;
		discover_step(st, regs->rip);
	} else if (st->point.active && st->point.trigger == TRIGGER_SYSCALL && on_path_vcpu(st, v) &&
		   (st->point.task < 0 || st->point.task == current_task_id(v)) && claim_point(st, v)) {
		if (st->point.steps == 0)
			d = fire_point(st, v, regs->rip);
	}
	update_stepping(st, v);
	return d;
}

/* ---- pf-user-stack ----------------------------------------------------------------------------- */

/* Unmaps the page holding user_rsp - 8 (where the next push lands) from both
 * halves of the task's PGD pair.  Under KPTI the pair shares the user half's
 * lower-level tables, so clearing the PTE through either PGD clears it for
 * both; both are walked anyway, as a model without sharing would need. */
static enum exit_decision unmap_user_stack(struct inject_state *st, struct vcpu_state *v,
					   const struct ebx_ev_inject_point *p)
{
	struct session *s = v->s;
	const struct ebx_layout *l = &s->layout.raw;
	if (p->task >= l->ntasks || p->task >= EBX_MAX_TASKS)
		return vcpu_end(v, RUN_END_HOSTILE, "inject point for task %u of %u", p->task, l->ntasks);
	uint64_t page = (p->user_rsp - 8) & ~(PT_PAGE_SIZE - 1);
	if (page >= KERNEL_HALF || !pt_canonical(page))
		return vcpu_end(v, RUN_END_HOSTILE, "inject point with a non-user stack pointer 0x%" PRIx64,
				p->user_rsp);
	struct pt_env env = gmem_pt_env_for_writes(&s->vm.mem);
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
	return st->user_stack_done ? vcpu_note_injected(v, st->user_stack_spec.text) : EXIT_CONTINUE;
}

static enum exit_decision on_checkpoint(void *ctx, struct vcpu_state *v, const struct event_view *ev)
{
	struct inject_state *st = ctx;
	struct ebx_ev_inject_point p;
	if (ev->kind != EBX_EV_INJECT_POINT)
		return EXIT_CONTINUE;
	if (ev->length < sizeof(p))
		return vcpu_end(v, RUN_END_HOSTILE, "inject point record of %u bytes", ev->length);
	memcpy(&p, ev->payload, sizeof(p));
	if (!memchr(p.what, '\0', sizeof(p.what)))
		return vcpu_end(v, RUN_END_HOSTILE, "inject point with an unterminated name");
	if (!st->user_stack || st->user_stack_done || strcmp(p.what, "pf-user-stack") != 0)
		return EXIT_CONTINUE;
	if (st->user_stack_spec.has_task && st->user_stack_spec.task != p.task)
		return EXIT_CONTINUE;
	return unmap_user_stack(st, v, &p);
}

static void inject_finish(void *ctx, struct session *s);

const struct exit_observer inject_observer = {
	.name = "inject",
	.owner = DBG_OWNER_INJECT,
	.on_arm = on_arm,
	.on_syscall_boundary = on_syscall_boundary,
	.on_syscall_return = on_syscall_return,
	.on_step = on_step,
	.on_breakpoint = on_breakpoint,
	.on_checkpoint = on_checkpoint,
	.on_finish = inject_finish,
};

/* ---- the end ------------------------------------------------------------------------------------- */

static enum inject_outcome judge(const struct run_result *r, char *detail, size_t dlen)
{
	if (r->end == RUN_END_HORIZON && r->nviolations == 0) {
		snprintf(detail, dlen, "%s", r->point_return_differs ? r->end_reason : "");
		return r->point_return_differs ? INJECT_FAILED : INJECT_SURVIVED;
	} else if (r->end == RUN_END_TRIPLE_FAULT) {
		snprintf(detail, dlen, "%s", r->explanation[0] ? r->explanation : r->end_reason);
		return INJECT_TRIPLE_FAULT;
	} else if (r->nviolations > 0) {
		snprintf(detail, dlen, "%s at %s", r->violations[0].rule, r->violations[0].symbol);
		return INJECT_VIOLATION;
	} else if (r->end == RUN_END_GUEST_EXIT && r->guest_exit_code == EBX_GUEST_EXIT_PASS && r->outcome[0] &&
		   strcmp(r->outcome, r->expected) == 0) {
		detail[0] = '\0';
		return INJECT_SURVIVED;
	}
	snprintf(detail, dlen, "outcome %s (expected %s), %s: %.100s", r->outcome[0] ? r->outcome : "-",
		 r->expected, result_end_name(r->end), r->end_reason);
	return INJECT_FAILED;
}

enum inject_outcome inject_judge(const struct run_result *r, char *detail, size_t dlen)
{
	return judge(r, detail, dlen);
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
		in->outcome = judge(r, detail, sizeof(detail));
		snprintf(in->detail, sizeof(in->detail), "%s%s%s", note, note[0] && detail[0] ? "; " : "", detail);
	} else {
		in->outcome = INJECT_NOT_REACHED;
		snprintf(in->detail, sizeof(in->detail), "%s", note);
	}
}

/* Where no boundary breakpoint fired, a LOC not reached says nothing about the guest. */
static const char *why_not_reached(const struct run_result *r, bool kernel)
{
	const struct coverage_check *b = result_coverage_find(r, "syscall-boundary");
	if (b && b->observed < b->expected)
		return " (breakpoints did not fire on this machine: see coverage)";
	return kernel ? " (the guest never executed it)"
		      : " (ring-3 LOC: found by single-stepping, which SYSRET interrupts)";
}

static void inject_finish(void *ctx, struct session *s)
{
	struct inject_state *st = ctx;
	unsigned armed = 0, delivered = 0;
	for (size_t i = 0; i < st->nlocs; i++) {
		struct loc_injection *li = &st->locs[i];
		char note[160];
		if (li->fired)
			snprintf(note, sizeof(note), "%s", li->delivery);
		else
			snprintf(note, sizeof(note), "no stop at 0x%" PRIx64 "%s", li->addr,
				 why_not_reached(s->r, li->kernel));
		add_report(s, li->spec.text, li->fired, li->rip, note);
		armed++;
		delivered += li->fired;
	}
	if (st->point.active) {
		char at[32];
		snprintf(at, sizeof(at), "sweep point %" PRIu64, st->point.steps);
		add_report(s, at, st->point_delivered, st->point.expect_rip, st->point_why);
		armed++;
		delivered += st->point_delivered;
	}
	if (st->user_stack) {
		add_report(s, st->user_stack_spec.text, st->user_stack_done, st->user_stack_rip,
			   st->user_stack_detail[0] ? st->user_stack_detail
						    : "no task made a syscall (the point is a task's first syscall entry, or "
						      "where the scenario asks)");
		armed++;
		delivered += st->user_stack_done;
	}
	if (armed)
		result_coverage_add(s->r, "inject-armed", armed, delivered,
				    "injections armed on the command line that reached their point and were delivered");
}
