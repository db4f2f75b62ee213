/* SPDX-License-Identifier: MIT */
/*
 * One vCPU's exit loop: run, decode the exit, let the port table, the
 * breakpoint logic and the observers handle it, check the state against every
 * rule, resume.  Every handler returns what it decided (observer.h); the loop
 * acts on it in one place.  Everything backend-specific is behind
 * pvm_syscall.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "entrybox/abi.h"
#include "explain/insn_flow.h"
#include "explain/report.h"
#include "entrybox/x86.h"
#include "explain/triple_fault.h"
#include "kvm/shutdown_replay.h"
#include "host/confine.h"
#include "inject/inject.h"
#include "kvm/snapshot.h"
#include "run/fault_watch.h"
#include "run/session.h"

#define MMIO_EXIT_LIMIT 4096u
#define MAX_INSN        15u
#define PAGE_SIZE_4K    4096u

/* Why a step is caught by a breakpoint (tags under DBG_OWNER_STEP_CATCH). */
enum catch_bp {
	CATCH_NEXT_INSN = 1,   /* after an instruction whose step the backend does not report */
	CATCH_USER_STEP,       /* the #DB handler: a ring-3 step kvm_pvm gave the guest */
	CATCH_EVENT_GATE,      /* the handler of an event the VMM queued */
};

/* Why the exit loop keeps a breakpoint (its tags under DBG_OWNER_BOUNDARY). */
enum boundary_bp {
	BP_PVM_PF_HANDLER = 1, /* the guest's #PF handler: kvm_pvm SYSCALL repair */
	BP_SYSCALL_ENTRY,      /* MSR_LSTAR: user-boundary checks where SYSCALL works natively */
	BP_SYSCALL_RETURN,     /* the sysretq of the fast exit path */
	BP_APP_SYSCALL_ENTRY,  /* where a ring-0 application's syscall enters (entry=ukl) */
};

/* ---- ending ------------------------------------------------------------------------------ */

enum exit_decision vcpu_end(struct vcpu_state *v, enum run_end end, const char *fmt, ...)
{
	if (!v->ending.set) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(v->ending.reason, sizeof(v->ending.reason), fmt, ap);
		va_end(ap);
		v->ending.end = end;
		v->ending.set = true;
	}
	return EXIT_END;
}

/* ---- checks ------------------------------------------------------------------------------ */

static bool already_reported(const struct run_result *r, const char *rule, uint64_t rip)
{
	for (size_t i = 0; i < r->nviolations; i++)
		if (r->violations[i].rip == rip && strcmp(r->violations[i].rule, rule) == 0)
			return true;
	return false;
}

static void notify_violation(struct vcpu_state *v, const struct violation_report *rep);

/* The same rule failing at the same instruction is one finding, however often it repeats. */
void vcpu_record_violation(struct vcpu_state *v, const struct violation *viol, const struct vcpu_snap *snap)
{
	struct session *s = v->s;
	struct run_result *r = s->r;
	struct violation_report fresh;
	bool is_new = false;
	pthread_mutex_lock(&s->lock);
	r->violation_occurrences++;
	if (!already_reported(r, viol->rule, snap->rip) && r->nviolations < RESULT_MAX_VIOLATIONS) {
		struct violation_report *rep = &r->violations[r->nviolations++];
		report_fill(rep, viol, snap, &s->layout, s->syms);
		if (s->cfg->echo_serial)
			report_print(stderr, rep);
		fresh = *rep;
		is_new = true;
	}
	pthread_mutex_unlock(&s->lock);
	if (is_new)
		notify_violation(v, &fresh);
}

enum exit_decision vcpu_check_state(struct vcpu_state *v, enum snap_point point)
{
	struct session *s = v->s;
	if (!s->layout.valid)
		return EXIT_CONTINUE;
	struct vcpu_snap snap;
	if (!snapshot_take_for_rules(&v->vcpu, point, &s->layout, &snap))
		return vcpu_end(v, RUN_END_INTERNAL_ERROR, "cannot read vCPU %u state for checks: %s", v->vcpu.index,
				strerror(errno));
	snap.user_rsp_known = v->boundary_valid;
	snap.user_rsp = v->boundary_gpr[4];
	struct violation found[8];
	size_t nrules = 0;
	rules_table(&nrules);
	size_t n = rules_check_all(&snap, &s->layout, found, 8);
	v->n.checks += nrules;
	for (size_t i = 0; i < n && i < 8; i++)
		vcpu_record_violation(v, &found[i], &snap);
	return EXIT_CONTINUE;
}

static void remember_syscall_boundary(struct vcpu_state *v)
{
	struct vcpu_snap snap;
	if (!snapshot_take(&v->vcpu, SNAP_USER_BOUNDARY, &snap))
		return;
	memcpy(v->boundary_gpr, snap.gpr, sizeof(v->boundary_gpr));
	v->boundary_valid = true;
}

/* ---- observers --------------------------------------------------------------------------- */

/* The hooks that take nothing but the vCPU. */
enum plain_hook { HOOK_ARM, HOOK_SYSCALL_BOUNDARY, HOOK_SYSCALL_RETURN, HOOK_USER_FAULT, HOOK_EXIT, HOOK_RUN };
typedef enum exit_decision (*plain_hook_fn)(void *ctx, struct vcpu_state *v);

static plain_hook_fn hook_of(const struct exit_observer *o, enum plain_hook h)
{
	switch (h) {
	case HOOK_ARM: return o->on_arm;
	case HOOK_SYSCALL_BOUNDARY: return o->on_syscall_boundary;
	case HOOK_SYSCALL_RETURN: return o->on_syscall_return;
	case HOOK_USER_FAULT: return o->on_user_fault;
	case HOOK_EXIT: return o->on_exit;
	case HOOK_RUN: return o->on_run;
	}
	return NULL;
}

/* Calls one hook of every observer that has it, in registration order, until one ends the run. */
static enum exit_decision notify(struct vcpu_state *v, enum plain_hook h)
{
	struct session *s = v->s;
	enum exit_decision d = EXIT_CONTINUE;
	for (unsigned i = 0; i < s->nobservers && d != EXIT_END; i++) {
		const struct observer_entry *e = &s->observers[i];
		plain_hook_fn fn = hook_of(e->o, h);
		if (fn)
			d = exit_decision_merge(d, fn(e->ctx, v));
	}
	return d;
}

static enum exit_decision notify_step(struct vcpu_state *v, uint64_t rip, unsigned owners, bool repeats)
{
	struct session *s = v->s;
	enum exit_decision d = EXIT_CONTINUE;
	v->step_repeats = repeats;
	for (unsigned i = 0; i < s->nobservers && d != EXIT_END; i++) {
		const struct observer_entry *e = &s->observers[i];
		if (e->o->on_step && (owners & (1u << e->o->owner)))
			d = exit_decision_merge(d, e->o->on_step(e->ctx, v, rip));
	}
	return d;
}

static enum exit_decision notify_breakpoint(struct vcpu_state *v, int slot, enum dbg_owner owner)
{
	struct session *s = v->s;
	enum exit_decision d = EXIT_CONTINUE;
	for (unsigned i = 0; i < s->nobservers && d != EXIT_END; i++) {
		const struct observer_entry *e = &s->observers[i];
		if (e->o->on_breakpoint && e->o->owner == owner)
			d = exit_decision_merge(d, e->o->on_breakpoint(e->ctx, v, slot));
	}
	return d;
}

static void notify_violation(struct vcpu_state *v, const struct violation_report *rep)
{
	struct session *s = v->s;
	for (unsigned i = 0; i < s->nobservers; i++) {
		const struct observer_entry *e = &s->observers[i];
		if (e->o->on_violation)
			e->o->on_violation(e->ctx, v, rep);
	}
}

enum exit_decision vcpu_note_injected(struct vcpu_state *v, const char *what)
{
	struct session *s = v->s;
	enum exit_decision d = EXIT_CONTINUE;
	for (unsigned i = 0; i < s->nobservers && d != EXIT_END; i++) {
		const struct observer_entry *e = &s->observers[i];
		if (e->o->on_injected)
			d = exit_decision_merge(d, e->o->on_injected(e->ctx, v, what));
	}
	return d;
}

static void notify_end(struct vcpu_state *v)
{
	struct session *s = v->s;
	for (unsigned i = 0; i < s->nobservers; i++) {
		const struct observer_entry *e = &s->observers[i];
		if (e->o->on_end)
			e->o->on_end(e->ctx, v);
	}
}

enum exit_decision vcpu_syscall_returned(struct vcpu_state *v)
{
	return notify(v, HOOK_SYSCALL_RETURN);
}

enum exit_decision vcpu_step_moved_by_vmm(struct vcpu_state *v)
{
	unsigned owners = debugctl_live_step_owners(&v->dbg);
	struct kvm_regs *regs = kvm_regs(&v->vcpu);
	if (!owners || !regs)
		return EXIT_CONTINUE;
	v->moved_by_vmm = true;
	enum exit_decision d = notify_step(v, regs->rip, owners, false);
	v->moved_by_vmm = false;
	return d;
}

/* ---- breakpoints ------------------------------------------------------------------------- */

static bool ring3_tasks(const struct layout *l)
{
	for (unsigned i = 0; i < l->raw.ntasks && i < EBX_MAX_TASKS; i++)
		if (l->raw.tasks[i].ring == 3)
			return true;
	return false;
}

static enum exit_decision arm_breakpoints(struct vcpu_state *v)
{
	struct session *s = v->s;
	pthread_mutex_lock(&s->lock);
	unsigned generation = atomic_load(&s->layout_generation);
	uint64_t syscall_entry = s->layout.raw.syscall_entry;
	uint64_t syscall_return = s->layout.raw.syscall_return;
	uint64_t app_entry = s->layout.raw.app_syscall_entry;
	v->pvm.pf_handler = s->pf_handler;
	v->pvm.db_handler = s->db_handler;
	v->pvm.lstar = s->lstar;
	v->pvm.cstar = s->cstar;
	v->pvm.star = s->star;
	pthread_mutex_unlock(&s->lock);
	struct debugctl *d = &v->dbg;
	debugctl_bp_remove_owner(d, DBG_OWNER_BOUNDARY);
	/* Where SYSCALL from ring 3 is broken (kvm_pvm, and any backend we cannot
	 * name), the repair needs the #PF handler; elsewhere LSTAR itself is the
	 * user boundary.  Without ring-3 tasks (ukl's applications alone) neither
	 * is needed, and the slots stay free for injections and steps. */
	bool ok = true;
	if (!ring3_tasks(&s->layout))
		; /* nothing enters by SYSCALL */
	else if (v->pvm.pf_handler)
		ok = debugctl_bp_add(d, DBG_OWNER_BOUNDARY, v->pvm.pf_handler, BP_PVM_PF_HANDLER) >= 0;
	else
		ok = debugctl_bp_add(d, DBG_OWNER_BOUNDARY, syscall_entry, BP_SYSCALL_ENTRY) >= 0;
	if (ok && syscall_return && ring3_tasks(&s->layout))
		ok = debugctl_bp_add(d, DBG_OWNER_BOUNDARY, syscall_return, BP_SYSCALL_RETURN) >= 0;
	if (ok && app_entry)
		ok = debugctl_bp_add(d, DBG_OWNER_BOUNDARY, app_entry, BP_APP_SYSCALL_ENTRY) >= 0;
	v->armed_generation = generation;
	/* The guest has set its SYSCALL MSRs by now; a triple-fault replay needs them. */
	replay_note_msrs(&v->vcpu, &v->replay_msrs);
	if (!ok)
		return vcpu_end(v, RUN_END_INTERNAL_ERROR, "vCPU %u: no breakpoint slot left for the syscall boundary",
				v->vcpu.index);
	return notify(v, HOOK_ARM);
}

/* The vCPU stands on the syscall entry in the post-SYSCALL state, or on a
 * ring-0 application's syscall entry right after its `call`. */
static enum exit_decision at_syscall_boundary(struct vcpu_state *v, enum boundary_via via)
{
	debugctl_unpark(&v->dbg, DBG_OWNER_BOUNDARY);
	/* The coverage counts the 64-bit SYSCALL's boundaries, the one every
	 * backend stops at; kvm_pvm's repair also brings a compat SYSCALL (CSTAR). */
	struct kvm_regs *regs = kvm_regs(&v->vcpu);
	if (!(via == BOUNDARY_BY_REPAIR && regs && v->s->cstar && regs->rip == v->s->cstar && v->s->cstar != v->s->lstar))
		v->n.syscall_boundaries++;
	v->boundary_via = via;
	remember_syscall_boundary(v);
	/* A ring-0 application's call changes no privilege: nothing of user mode to judge. */
	enum exit_decision d = vcpu_check_state(v, via == BOUNDARY_BY_APP_CALL ? SNAP_PLAIN : SNAP_USER_BOUNDARY);
	if (d != EXIT_END)
		d = exit_decision_merge(d, notify(v, HOOK_SYSCALL_BOUNDARY));
	return d;
}

static enum exit_decision at_pf_handler(struct vcpu_state *v)
{
	enum exit_decision d = vcpu_check_state(v, SNAP_PLAIN);
	if (d == EXIT_END)
		return d;
	switch (pvm_syscall_on_pf_handler(&v->pvm, &v->vcpu)) {
	case PVM_REPAIRED:
		/* The vCPU now stands exactly where SYSCALL should have left it. */
		return exit_decision_merge(EXIT_REENTER, at_syscall_boundary(v, BOUNDARY_BY_REPAIR));
	case PVM_GENUINE_FAULT:
		return notify(v, HOOK_USER_FAULT);
	default:
		return vcpu_end(v, RUN_END_INTERNAL_ERROR, "vCPU %u: cannot read the #PF frame", v->vcpu.index);
	}
}

static enum exit_decision boundary_breakpoint(struct vcpu_state *v, int slot)
{
	switch (debugctl_bp(&v->dbg, slot)->tag) {
	case BP_PVM_PF_HANDLER:
		return at_pf_handler(v);
	case BP_SYSCALL_ENTRY:
		return at_syscall_boundary(v, BOUNDARY_BY_BREAKPOINT);
	case BP_APP_SYSCALL_ENTRY:
		return at_syscall_boundary(v, BOUNDARY_BY_APP_CALL);
	case BP_SYSCALL_RETURN: {
		enum exit_decision d = vcpu_check_state(v, SNAP_RETURN_POINT);
		/* Parked, not stepped over: see debugctl.h.  The next syscall entry unparks it. */
		debugctl_bp_park(&v->dbg, slot);
		return exit_decision_merge(d, exit_decision_merge(EXIT_REENTER, notify(v, HOOK_SYSCALL_RETURN)));
	}
	default:
		return EXIT_CONTINUE;
	}
}

static enum exit_decision handle_breakpoint(struct vcpu_state *v, int slot)
{
	const struct debugctl_slot *bp = debugctl_bp(&v->dbg, slot);
	if (!bp)
		return EXIT_CONTINUE; /* removed by a handler of the same exit */
	switch (bp->owner) {
	case DBG_OWNER_BOUNDARY:
		return boundary_breakpoint(v, slot);
	case DBG_OWNER_STEP_CATCH:
		debugctl_bp_remove(&v->dbg, slot);
		return EXIT_CONTINUE;
	default:
		return notify_breakpoint(v, slot, bp->owner);
	}
}

/* Passes a VMM breakpoint the vCPU still stands on, unless a handler said not to. */
static void step_over_if_needed(struct vcpu_state *v, enum exit_decision d)
{
	struct kvm_regs *regs = kvm_regs(&v->vcpu);
	if (d != EXIT_CONTINUE || !regs)
		return;
	if (debugctl_exec_bp_at(&v->dbg, regs->rip, DBG_OWNER_STEP_CATCH))
		debugctl_begin_step_over(&v->dbg, regs->rip);
}

/* ---- steps the backend does not report ----------------------------------------------------- */

static bool backend_hides_steps(const struct session *s)
{
	return s->backend == BACKEND_PVM || s->backend == BACKEND_UNKNOWN;
}

bool vcpu_port_io_retired_at_exit(const struct vcpu_state *v)
{
	return backend_hides_steps(v->s);
}

/* Reads what is mapped of the instruction at RIP: it may end before an unmapped page. */
static size_t read_code(struct vcpu_state *v, uint8_t code[MAX_INSN])
{
	struct kvm_regs *regs = kvm_regs(&v->vcpu);
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	if (!regs || !sr)
		return 0;
	size_t to_page_end = PAGE_SIZE_4K - (size_t)(regs->rip & (PAGE_SIZE_4K - 1));
	size_t want = to_page_end < MAX_INSN ? to_page_end : MAX_INSN;
	return gmem_read_virt(&v->s->vm.mem, sr->cr3, regs->rip, code, want) ? want : 0;
}

/* A breakpoint standing in for a step the backend would not report.  Any
 * instruction breakpoint already armed there stops the step as well (a
 * debugger's on the same handler).  A slot the fault watch holds is taken
 * back from it, which then names what it stopped watching; a catch with no
 * slot at all is counted, never silently dropped. */
static void arm_step_catch(struct vcpu_state *v, uint64_t addr, int tag)
{
	struct debugctl *d = &v->dbg;
	v->n.step_catches++;
	if (debugctl_exec_bp_at(d, addr, DBG_OWNER_STEP_CATCH))
		return;
	if (debugctl_bp_add(d, DBG_OWNER_STEP_CATCH, addr, tag) >= 0)
		return;
	if (fault_watch_yield(v, 1) && debugctl_bp_add(d, DBG_OWNER_STEP_CATCH, addr, tag) >= 0)
		return;
	v->n.step_catches_lost++;
}

/* Before a step over an instruction whose step the backend would not report,
 * a breakpoint on the next one stands in for it; a step from ring 3, which
 * kvm_pvm hands to the guest as a #DB, is caught on the #DB handler. */
static void catch_hidden_step(struct vcpu_state *v)
{
	struct debugctl *d = &v->dbg;
	if (!debugctl_stepping(d) || !backend_hides_steps(v->s))
		return;
	uint64_t db = pvm_step_catch_addr(&v->pvm, &v->vcpu);
	if (db) {
		arm_step_catch(v, db, CATCH_USER_STEP);
		return;
	}
	uint8_t code[MAX_INSN];
	size_t n = read_code(v, code);
	struct kvm_regs *regs = kvm_regs(&v->vcpu);
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	uint64_t frame_rip = 0;
	size_t len = n ? pvm_unreported_step_len(code, n) : 0;
	if (len)
		arm_step_catch(v, regs->rip + len, CATCH_NEXT_INSN);
	else if (n && sr && pvm_unreported_step_after_iret(code, n) &&
		 gmem_read_virt(&v->s->vm.mem, sr->cr3, regs->rsp, &frame_rip, sizeof(frame_rip)))
		arm_step_catch(v, frame_rip, CATCH_NEXT_INSN);
}

/* The step from ring 3 arrived as the guest's #DB: it is taken back, and the
 * step ends after the user instruction.  True when it was one. */
static bool take_back_user_step(struct vcpu_state *v, unsigned slots)
{
	for (int i = 0; i < DBG_SLOTS; i++) {
		const struct debugctl_slot *bp = debugctl_bp(&v->dbg, i);
		if ((slots & (1u << i)) && bp && bp->owner == DBG_OWNER_STEP_CATCH && bp->tag == CATCH_USER_STEP)
			return pvm_step_take_back(&v->pvm, &v->vcpu);
	}
	return false;
}

/* ---- events the VMM queued ---------------------------------------------------------------- */

void vcpu_event_queued(struct vcpu_state *v, int vector)
{
	v->delivered_vector = vector;
	v->gate_catch_pending = true;
}

/* The handler's first instruction, from the IDT gate of `vector`; 0 when unreadable. */
static uint64_t gate_target(struct vcpu_state *v, int vector)
{
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	uint8_t g[16];
	if (!sr || vector < 0 || (unsigned)vector * 16 + 15 > sr->idt.limit ||
	    !gmem_read_virt(&v->s->vm.mem, sr->cr3, sr->idt.base + (uint64_t)vector * 16, g, sizeof(g)) ||
	    !(g[5] & 0x80))
		return 0;
	uint32_t high;
	memcpy(&high, g + 8, sizeof(high));
	return (uint64_t)g[0] | (uint64_t)g[1] << 8 | (uint64_t)g[6] << 16 | (uint64_t)g[7] << 24 | (uint64_t)high << 32;
}

/* True when the step that follows ends on the event's gate: the instruction
 * at RIP does not run, so nothing else needs catching for it. */
static bool catch_event_gate(struct vcpu_state *v)
{
	if (!v->gate_catch_pending)
		return false;
	v->gate_catch_pending = false;
	uint64_t gate = debugctl_stepping(&v->dbg) ? gate_target(v, v->delivered_vector) : 0;
	if (!gate)
		return false;
	arm_step_catch(v, gate, CATCH_EVENT_GATE);
	return true;
}

/* ---- debug exits ------------------------------------------------------------------------- */

/* The guest's own #DB (a TF trap, an ICEBP) went to us because we debug the
 * vCPU: it goes back to the guest with its DR6, as if we had not been there. */
static enum exit_decision redeliver_guest_debug(struct vcpu_state *v, uint64_t payload)
{
	v->n.guest_debug++;
	if (kvm_queue_exception(&v->vcpu, VEC_DB, false, 0, true, payload) < 0)
		return vcpu_end(v, RUN_END_INTERNAL_ERROR, "vCPU %u: cannot deliver the guest's #DB: %s", v->vcpu.index,
				strerror(errno));
	inject_note_delivery(v->s, VEC_DB);
	vcpu_event_queued(v, VEC_DB);
	return vcpu_check_state(v, SNAP_PLAIN);
}

static enum exit_decision handle_debug(struct vcpu_state *v)
{
	struct kvm_regs *regs = kvm_regs(&v->vcpu);
	if (!regs)
		return vcpu_end(v, RUN_END_INTERNAL_ERROR, "cannot read registers at a debug exit");
	uint64_t rip = regs->rip;
	struct debug_cause c = debugctl_classify(&v->dbg, v->vcpu.run->debug.arch.dr6, rip);
	if (c.guest)
		return redeliver_guest_debug(v, c.guest_dr6_payload);
	enum exit_decision d = EXIT_CONTINUE;
	if (c.step && take_back_user_step(v, c.slots)) {
		rip = regs->rip;
		c.slots = 0;
	}
	if (c.step) {
		if (!step_hygiene_after_step(&v->hygiene, &v->vcpu))
			return vcpu_end(v, RUN_END_INTERNAL_ERROR, "vCPU %u: cannot take the VMM's TF out of the RFLAGS "
					"the instruction at 0x%llx saved", v->vcpu.index,
					(unsigned long long)v->hygiene.from_rip);
		debugctl_end_step_over(&v->dbg);
		debugctl_bp_remove_owner(&v->dbg, DBG_OWNER_STEP_CATCH);
		/* Between two iterations of a REP string instruction nothing retired. */
		d = notify_step(v, rip, c.step_owners, v->hygiene.retired == 0);
		/* A ring-0 application's syscall returns by `ret`: no breakpoint
		 * needed, whoever follows the return is stepping to it. */
		if (d != EXIT_END && rip == v->s->layout.raw.app_syscall_return && rip)
			d = exit_decision_merge(d, notify(v, HOOK_SYSCALL_RETURN));
	}
	/* A step can land on a breakpoint address, e.g. on the sysretq while
	 * measuring.  Whether the breakpoint then fires before that instruction
	 * differs between backends (kvm_pvm does not), so act on it now; the
	 * step-over or parking it starts keeps it from being taken a second time. */
	for (int i = 0; i < DBG_SLOTS && d != EXIT_END; i++)
		if (c.slots & (1u << i))
			d = exit_decision_merge(d, handle_breakpoint(v, i));
	if (d != EXIT_END)
		step_over_if_needed(v, d);
	return d;
}

/* The sysretq breakpoint is parked after it fired (debugctl.h) until the vCPU
 * is somewhere else: then the next SYSRET, which may come without a syscall
 * entry in between (a task killed in user mode, the next one resuming in its
 * syscall), is checked too. */
static void unpark_when_elsewhere(struct vcpu_state *v)
{
	struct kvm_regs *regs = NULL;

	for (int i = 0; i < DBG_SLOTS; i++) {
		const struct debugctl_slot *bp = debugctl_bp(&v->dbg, i);
		if (!bp || !bp->parked || bp->owner != DBG_OWNER_BOUNDARY)
			continue;
		if (!regs && !(regs = kvm_regs(&v->vcpu)))
			return;
		if (regs->rip != bp->addr) {
			debugctl_unpark(&v->dbg, DBG_OWNER_BOUNDARY);
			return;
		}
	}
}

/* ---- other exits ------------------------------------------------------------------------- */

#define REPLAY_MAX_STEPS 100000u

/* The state before the faulting instruction: the vCPU's own where the backend
 * kept it, else a replay from the last entry (kvm/shutdown_replay.h). */
static bool state_before_fault(struct vcpu_state *v, struct kvm_regs *regs, struct kvm_sregs *sregs,
			       bool *cr2_valid, char *provenance, size_t len)
{
	struct kvm_vcpu *vc = &v->vcpu;
	if (!replay_state_was_reset(vc)) {
		*regs = *kvm_regs(vc);
		*sregs = *kvm_sregs(vc);
		*cr2_valid = true;
		return true;
	}
	*cr2_valid = false;
	/* An event the VMM injected at the last entry is the first exception,
	 * and the state it was injected into is the one to explain. */
	if (inject_last_vector(v->s) >= 0 && vc->point_valid) {
		*regs = vc->point_regs;
		*sregs = vc->point_sregs;
		snprintf(provenance, len, "the backend reset the vCPU; state of the last entry");
		return true;
	}
	struct replay_result rr;
	replay_to_shutdown(vc, &v->replay_msrs, REPLAY_MAX_STEPS, &rr);
	if (!rr.ok) {
		snprintf(provenance, len, "the backend reset the vCPU and the replay failed: %s", rr.why);
		return false;
	}
	*regs = rr.regs;
	*sregs = rr.sregs;
	replay_put_state(vc, regs, sregs);
	snprintf(provenance, len, "the backend reset the vCPU; replayed %u instructions from the last exit", rr.steps);
	return true;
}

static void fill_tf_cpu(struct fa_cpu *c, const struct kvm_regs *r, const struct kvm_sregs *sr)
{
	const uint64_t gpr[FA_NGPR] = { r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rsp, r->rbp,
					r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15 };
	memcpy(c->gpr, gpr, sizeof(gpr));
	c->rip = r->rip;
	c->fs_base = sr->fs.base;
	c->gs_base = sr->gs.base;
	c->cr3 = sr->cr3;
	c->cpl = (uint8_t)(sr->cs.selector & 3);
	c->smap = (sr->cr4 & CR4_SMAP) != 0;
	c->rflags_ac = (r->rflags & RFLAGS_AC) != 0;
}


/* At KVM_EXIT_SHUTDOWN: the exception chain of the state before the fault
 * becomes the run's explanation (tf_explain). */
static void explain_triple_fault(struct vcpu_state *v)
{
	struct session *s = v->s;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	bool cr2_valid = false;
	char provenance[220] = "";
	char text[sizeof(s->r->explanation)];
	if (!state_before_fault(v, &regs, &sregs, &cr2_valid, provenance, sizeof(provenance))) {
		snprintf(text, sizeof(text), "(%s) no state to explain the triple fault from", provenance);
	} else {
		struct pt_env env = gmem_pt_env(&s->vm.mem);
		struct tf_machine m = {
			.cr2 = sregs.cr2, .cr2_valid = cr2_valid,
			.idt_base = sregs.idt.base, .idt_limit = sregs.idt.limit, .tr_base = sregs.tr.base,
			.first_vector = inject_last_vector(s), .provenance = provenance[0] ? provenance : NULL,
			.env = &env, .layout = &s->layout, .syms = s->syms,
		};
		fill_tf_cpu(&m.cpu, &regs, &sregs);
		tf_explain(&m, text, sizeof(text));
	}
	pthread_mutex_lock(&s->lock);
	snprintf(s->r->explanation, sizeof(s->r->explanation), "%s", text);
	pthread_mutex_unlock(&s->lock);
}

static enum exit_decision handle_mmio(struct vcpu_state *v)
{
	struct session *s = v->s;
	struct kvm_run *run = v->vcpu.run;
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
	pthread_mutex_lock(&s->lock);
	bool flood = ++s->mmio_exits > MMIO_EXIT_LIMIT;
	pthread_mutex_unlock(&s->lock);
	if (flood)
		return vcpu_end(v, RUN_END_HOSTILE, "guest touched unbacked memory %u times (last 0x%llx)",
				MMIO_EXIT_LIMIT, (unsigned long long)run->mmio.phys_addr);
	return EXIT_CONTINUE;
}

static enum exit_decision handle_exit(struct vcpu_state *v)
{
	struct kvm_run *run = v->vcpu.run;
	unsigned index = v->vcpu.index;
	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		v->n.exits_io++;
		enum exit_decision d = ports_handle_exit(v);
		return d == EXIT_END ? d : exit_decision_merge(d, vcpu_check_state(v, SNAP_PLAIN));
	}
	case KVM_EXIT_DEBUG:
		v->n.exits_debug++;
		return handle_debug(v);
	case KVM_EXIT_MMIO:
		v->n.exits_mmio++;
		return handle_mmio(v);
	case KVM_EXIT_HLT:
		return vcpu_end(v, RUN_END_TIMEOUT, "vCPU %u halted with no interrupt source", index);
	case KVM_EXIT_SHUTDOWN:
		explain_triple_fault(v);
		return vcpu_end(v, RUN_END_TRIPLE_FAULT, "vCPU %u: triple fault (KVM_EXIT_SHUTDOWN)", index);
	case KVM_EXIT_FAIL_ENTRY:
		return vcpu_end(v, RUN_END_INTERNAL_ERROR, "vCPU %u: VM entry failed, hardware reason 0x%llx", index,
				(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
	case KVM_EXIT_INTERNAL_ERROR:
		return vcpu_end(v, RUN_END_INTERNAL_ERROR, "vCPU %u: KVM internal error, suberror %u", index,
				run->internal.suberror);
	case KVM_EXIT_INTR:
		v->n.exits_intr++;
		return EXIT_CONTINUE;
	default:
		v->n.exits_other++;
		return vcpu_end(v, RUN_END_INTERNAL_ERROR, "vCPU %u: unexpected KVM exit reason %u", index,
				run->exit_reason);
	}
}

/* ---- rewinding to a VM snapshot -------------------------------------------------------------- */

void vcpu_save_rewind(const struct vcpu_state *v, struct vcpu_rewind *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->boundary_gpr, v->boundary_gpr, sizeof(out->boundary_gpr));
	out->boundary_valid = v->boundary_valid;
	out->via = v->boundary_via;
	out->n = v->n;
	out->hv = v->hv;
	out->pvm_repairs = v->pvm.repairs;
	out->pvm_genuine_faults = v->pvm.genuine_faults;
}

void vcpu_rewind(struct vcpu_state *v, const struct vcpu_rewind *from)
{
	memcpy(v->boundary_gpr, from->boundary_gpr, sizeof(v->boundary_gpr));
	v->boundary_valid = from->boundary_valid;
	v->n = from->n;
	v->hv = from->hv;
	v->pvm.repairs = from->pvm_repairs;
	v->pvm.genuine_faults = from->pvm_genuine_faults;
	memset(&v->ending, 0, sizeof(v->ending));
	kvm_invalidate_regs(&v->vcpu);
	/* Every owner arms again for the restored vCPU, and the boundary it was
	 * saved at is handled once more before it runs. */
	debugctl_reset(&v->dbg);
	v->armed_generation = atomic_load(&v->s->layout_generation) - 1;
	v->replay_boundary = from->via;
}

/* ---- the loop -------------------------------------------------------------------------------- */

static enum exit_decision prepare_run(struct vcpu_state *v)
{
	struct session *s = v->s;
	enum exit_decision d = EXIT_CONTINUE;
	if (atomic_load(&s->layout_generation) != v->armed_generation)
		d = arm_breakpoints(v);
	if (d != EXIT_END && v->replay_boundary) {
		enum boundary_via via = v->replay_boundary;
		v->replay_boundary = 0;
		enum exit_decision b = at_syscall_boundary(v, via);
		if (b != EXIT_END && via != BOUNDARY_BY_REPAIR)
			step_over_if_needed(v, b);
		d = exit_decision_merge(d, b);
	}
	if (d != EXIT_END)
		d = exit_decision_merge(d, notify(v, HOOK_RUN));
	if (d == EXIT_END)
		return d;
	if (!catch_event_gate(v))
		catch_hidden_step(v);
	if (debugctl_apply(&v->dbg, &v->vcpu) < 0)
		return vcpu_end(v, RUN_END_INTERNAL_ERROR, "KVM_SET_GUEST_DEBUG: %s", strerror(errno));
	step_hygiene_before_run(&v->hygiene, &v->vcpu, debugctl_stepping(&v->dbg));
	return d;
}

void vcpu_loop_run(struct vcpu_state *v)
{
	struct session *s = v->s;
	while (!atomic_load(&s->done)) {
		session_wait_if_held(s, v);
		enum exit_decision d = prepare_run(v);
		if (d != EXIT_END) {
			int rc = kvm_run_once(&v->vcpu);
			if (rc < 0 && (errno == EINTR || errno == EAGAIN)) {
				/* A kick (session_kick_all) or the watchdog: look at done and the layout again. */
				v->vcpu.run->immediate_exit = 0;
				continue;
			}
			if (rc < 0) {
				d = vcpu_end(v, RUN_END_INTERNAL_ERROR, "vCPU %u: KVM_RUN: %s", v->vcpu.index,
					     strerror(errno));
			} else {
				atomic_fetch_add(&s->exits, 1);
				d = handle_exit(v);
				if (d != EXIT_END)
					unpark_when_elsewhere(v);
				if (d != EXIT_END)
					d = exit_decision_merge(d, notify(v, HOOK_EXIT));
			}
		}
		if (d == EXIT_END) {
			notify_end(v);
			session_end(s, v->ending.set ? v->ending.end : RUN_END_INTERNAL_ERROR, "%s",
				    v->ending.set ? v->ending.reason : "an exit handler ended the run without a reason");
			break;
		}
	}
}

void *vcpu_thread(void *arg)
{
	struct vcpu_state *v = arg;
	struct session *s = v->s;
	char err[160];
	if (!s->cfg->no_confine) {
		if (!confine_thread(err, sizeof(err))) {
			session_end(s, RUN_END_INTERNAL_ERROR, "vCPU %u: %s", v->vcpu.index, err);
			return NULL;
		}
		if (v->vcpu.index == 0)
			confine_selftest();
	}
	vcpu_loop_run(v);
	return NULL;
}
