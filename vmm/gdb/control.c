/* SPDX-License-Identifier: MIT */
/*
 * Run control: all-stop.  A vCPU that meets a stop (a step ended, a
 * breakpoint or watchpoint fired, the VMM found a violation, ...) records it,
 * asks every vCPU to stop and parks itself before its next KVM_RUN (on_run);
 * the others, kicked out of KVM_RUN, park there too.  The last one to park
 * tells gdb and answers it until a resume lets the VM go (server_lead); with
 * no gdb there, the connection thread is woken instead.  A resume sets what
 * each vCPU does next and lets them go.
 *
 * Stops are taken where the exit loop has finished with the exit (on_run),
 * never in the middle of it: the kvm_pvm SYSCALL repair has by then put the
 * vCPU on the syscall entry, a breakpoint the VMM passes is being passed, and
 * gdb sees the vCPU as the architecture would leave it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "entrybox/abi.h"
#include "entrybox/x86.h"
#include "explain/symbols.h"
#include "inject/inject.h"
#include "kvm/debugctl.h"
#include "stub_internal.h"

#define PARK_POLL_NS   (200 * 1000 * 1000L)  /* a parked vCPU looks at the run's end this often */
#define SYSRET_BYTES   3

static struct gdb_vcpu *mine(struct gdb_stub *g, const struct vcpu_state *v)
{
	return &g->vcpu[v->vcpu.index];
}

static struct timespec after_ns(long ns)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += ns;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static struct timespec in_a_while(void)
{
	return after_ns(PARK_POLL_NS);
}

void control_wake_connection(struct gdb_stub *g)
{
	uint64_t one = 1;
	if (write(g->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter is full: the connection thread is awake already. */
	}
}

bool control_all_parked(const struct gdb_stub *g)
{
	for (unsigned i = 0; i < g->s->nvcpus; i++)
		if (!g->vcpu[i].parked || g->vcpu[i].parked_in != g->generation)
			return false;
	return true;
}

/* Under lock. */
static void note_parked(struct gdb_stub *g)
{
	if (!control_all_parked(g))
		return;
	pthread_cond_broadcast(&g->cv);
	control_wake_connection(g);
}

void control_request_stop(struct gdb_stub *g)
{
	atomic_store(&g->stop_requested, true);
	session_kick_all(g->s);
}

/* ---- the vCPU side ---------------------------------------------------------------------------------- */

static void append(char *dst, size_t size, const char *text)
{
	size_t used = strlen(dst);
	if (used < size - 1)
		snprintf(dst + used, size - used, "%s", text);
}

/* The vCPU met a stop: remember the strongest, and stop everyone. */
static void record(struct gdb_stub *g, struct vcpu_state *v, enum stop_rank rank, enum gdb_stop_why why,
		   uint64_t addr, const char *reason, const char *message)
{
	struct gdb_vcpu *gv = mine(g, v);
	pthread_mutex_lock(&g->lock);
	/* Nobody to show it to, and the last gdb let the run go. */
	if (g->let_go && !g->client) {
		pthread_mutex_unlock(&g->lock);
		return;
	}
	if (rank > gv->rank) {
		if (gv->rank == RANK_NONE) {
			gv->order = g->next_order++;
			gv->stop.message[0] = '\0';
		}
		gv->rank = rank;
		gv->stop.why = why;
		gv->stop.cpu = v->vcpu.index;
		gv->stop.addr = addr;
		snprintf(gv->stop.reason, sizeof(gv->stop.reason), "%s", reason ? reason : "");
		/* The reason is one "name:value" item of a stop reply. */
		for (char *p = gv->stop.reason; *p; p++)
			if (strchr(";#$}*", *p) || (unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
				*p = '_';
	}
	if (message)
		append(gv->stop.message, sizeof(gv->stop.message), message);
	pthread_mutex_unlock(&g->lock);
	atomic_store(&g->stop_requested, true);
	for (unsigned i = 0; i < g->s->nvcpus; i++)
		if (i != v->vcpu.index)
			session_kick(g->s, i);
}

/* The vCPU that completes the stop is the one to tell gdb and serve it. */
static bool may_lead(const struct gdb_stub *g, const struct vcpu_state *v)
{
	return control_all_parked(g) && g->client && (!g->vcpu_serving || g->serving_cpu == v->vcpu.index);
}

/* Waits, parked, until a resume lets this vCPU run (or the run is over). */
static void park(struct gdb_stub *g, struct vcpu_state *v)
{
	struct gdb_vcpu *gv = mine(g, v);
	pthread_mutex_lock(&g->lock);
	gv->parked = true;
	gv->parked_in = g->generation;
	bool lead = may_lead(g, v);
	pthread_mutex_unlock(&g->lock);
	/* The last to park tells gdb itself, and serves it while the VM is stopped. */
	if (!lead || !server_lead(g, v)) {
		pthread_mutex_lock(&g->lock);
		note_parked(g);
		pthread_mutex_unlock(&g->lock);
	}
	pthread_mutex_lock(&g->lock);
	while (!atomic_load(&g->s->done)) {
		if (!atomic_load(&g->stop_requested) && gv->action != GDB_ACT_STOP)
			break;
		/* A resume came and a new stop with it before this vCPU ran: it
		 * is parked in the new one too. */
		if (gv->parked_in != g->generation) {
			gv->parked_in = g->generation;
			note_parked(g);
		}
		struct timespec ts = in_a_while();
		pthread_cond_timedwait(&g->cv, &g->lock, &ts);
	}
	gv->parked = false;
	gv->stepping = gv->action == GDB_ACT_STEP && !atomic_load(&g->s->done);
	pthread_mutex_unlock(&g->lock);
}

/* No backend reports a step across SYSRET (it reloads TF from R11), so a
 * SYSRET that gdb steps, or that breakpoint emulation steps, is carried out
 * here, as the CPU would. */
static bool step_sysret(struct gdb_stub *g, struct vcpu_state *v)
{
	struct kvm_regs *r = kvm_regs(&v->vcpu);
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	uint8_t code[SYSRET_BYTES];
	uint64_t star;
	if (!r || !sr || (sr->cs.selector & 3) != 0 ||
	    !gmem_read_virt(&g->s->vm.mem, sr->cr3, r->rip, code, sizeof(code)))
		return false;
	if (!sysret_is_64(code, sizeof(code)) || !kvm_get_msr(&v->vcpu, MSR_STAR, &star) ||
	    !sysret_emulate(r, sr, star))
		return false;
	kvm_mark_regs_dirty(&v->vcpu);
	kvm_mark_sregs_dirty(&v->vcpu);
	return true;
}

static void check_emulated(struct gdb_stub *g, struct vcpu_state *v, uint64_t rip)
{
	struct gdb_vcpu *gv = mine(g, v);
	uint64_t written = gv->nwatches ? bp_watch_changed(g, v) : 0;
	if (written)
		record(g, v, RANK_WATCH, GDB_WHY_WATCH, written, NULL, NULL);
	for (unsigned i = 0; gv->emulating && i < gv->nemulated; i++)
		if (gv->emulated[i] == rip) {
			bool hw = gv->emulated_hw[i];
			record(g, v, RANK_BREAK, hw ? GDB_WHY_HWBREAK : GDB_WHY_SWBREAK, 0, NULL, NULL);
			return;
		}
}

/* The first instruction of the handler of `vector`, from the guest's IDT; 0 if unreadable. */
static uint64_t handler_of(struct gdb_stub *g, struct vcpu_state *v, int vector)
{
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	uint8_t raw[GATE_SIZE];
	uint64_t at = sr ? sr->idt.base + (uint64_t)vector * GATE_SIZE : 0;
	if (!sr || sr->idt.limit < (uint64_t)vector * GATE_SIZE + GATE_SIZE - 1 ||
	    !gmem_read_virt(&g->s->vm.mem, sr->cr3, at, raw, sizeof(raw)))
		return 0;
	struct x86_gate gate = x86_gate_from_bytes(raw);
	return x86_gate_present(gate) ? x86_gate_target(gate) : 0;
}

/* A step into an event the VMM queued ends where the CPU delivers it: on the
 * handler's first instruction (kvm_pvm would run that one too).  Any step
 * does -- gdb's, or the VMM passing a breakpoint -- since the frame the CPU
 * pushes then carries the step's trap flag (event_delivered()). */
static void catch_event(struct gdb_stub *g, struct vcpu_state *v)
{
	struct gdb_vcpu *gv = mine(g, v);
	int vector = gv->event_vector;
	gv->event_vector = -1;
	struct kvm_regs *r = kvm_regs(&v->vcpu);
	if (vector < 0 || !r || !(gv->stepping || debugctl_stepping(&v->dbg)))
		return;
	uint64_t handler = handler_of(g, v, vector);
	if (!handler)
		return;
	if (debugctl_bp_find(&v->dbg, DBG_OWNER_DEBUGGER, handler) < 0)
		bp_make_room(g, v, 1);
	gv->event_slot = debugctl_bp_add(&v->dbg, DBG_OWNER_DEBUGGER, handler, GDB_TAG_EVENT);
	gv->event_caught = vector;
	gv->guest_tf = (r->rflags & RFLAGS_TF) != 0;
}

/* The vCPU stands on the handler of an event delivered during a single step:
 * the RFLAGS the CPU pushed hold the step's trap flag, which the handler's
 * IRET would give the interrupted code -- a #DB the guest never caused.  It
 * goes, unless the guest had set it itself. */
static void event_delivered(struct gdb_stub *g, struct vcpu_state *v)
{
	struct gdb_vcpu *gv = mine(g, v);
	struct kvm_regs *r = kvm_regs(&v->vcpu);
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	if (!r || !sr || gv->guest_tf)
		return;
	uint64_t at = r->rsp + (VEC_HAS_ERROR(gv->event_caught) ? 8 : 0) + IRET_RFLAGS;
	uint64_t pa, rflags;
	if (!gmem_translate(&g->s->vm.mem, sr->cr3, at, &pa) || !gmem_read(&g->s->vm.mem, pa, &rflags, 8))
		return;
	if (rflags & RFLAGS_TF) {
		rflags &= ~RFLAGS_TF;
		gmem_write(&g->s->vm.mem, pa, &rflags, 8);
	}
}

static void step_ended(struct gdb_stub *g, struct vcpu_state *v)
{
	struct gdb_vcpu *gv = mine(g, v);
	if (gv->event_slot >= 0) {
		const struct debugctl_slot *bp = debugctl_bp(&v->dbg, gv->event_slot);
		struct kvm_regs *r = kvm_regs(&v->vcpu);
		if (bp && r && r->rip == bp->addr)
			event_delivered(g, v);
		debugctl_bp_remove(&v->dbg, gv->event_slot);
		gv->event_slot = -1;
	}
	if (!gv->stepping)
		return;
	gv->stepping = false;
	record(g, v, RANK_STEP, GDB_WHY_STEP, 0, NULL, NULL);
}

static enum exit_decision on_run(void *ctx, struct vcpu_state *v)
{
	struct gdb_stub *g = ctx;
	struct gdb_vcpu *gv = mine(g, v);
	for (;;) {
		if (atomic_load(&g->stop_requested))
			park(g, v);
		if (atomic_load(&g->bp_generation) != gv->bp_generation)
			bp_sync(g, v);
		catch_event(g, v);
		if (!(gv->stepping || gv->emulating) || atomic_load(&g->s->done) || !step_sysret(g, v))
			break;
		/* The SYSRET is done without running the guest: the step ends here. */
		struct kvm_regs *r = kvm_regs(&v->vcpu);
		step_ended(g, v);
		check_emulated(g, v, r->rip);
		if (!atomic_load(&g->stop_requested))
			break;
	}
	debugctl_want_step(&v->dbg, DBG_OWNER_DEBUGGER, gv->stepping || gv->emulating);
	profile_phase(&g->profile, PROFILE_RESUME);
	return EXIT_CONTINUE;
}

static enum exit_decision on_arm(void *ctx, struct vcpu_state *v)
{
	/* The loop armed the boundary anew: place gdb's breakpoints again around it. */
	mine(ctx, v)->bp_generation = 0;
	return EXIT_CONTINUE;
}

static enum exit_decision on_step(void *ctx, struct vcpu_state *v, uint64_t rip)
{
	profile_phase(&((struct gdb_stub *)ctx)->profile, PROFILE_STEP);
	step_ended(ctx, v);
	check_emulated(ctx, v, rip);
	return EXIT_CONTINUE;
}

static enum exit_decision on_breakpoint(void *ctx, struct vcpu_state *v, int slot)
{
	struct gdb_stub *g = ctx;
	const struct debugctl_slot *bp = debugctl_bp(&v->dbg, slot);
	if (!bp)
		return EXIT_CONTINUE;
	if (bp->tag == GDB_TAG_EVENT) {
		step_ended(g, v);
	} else if (bp->kind == DBG_EXEC) {
		int type = bp_type_at(g, bp->addr);
		record(g, v, RANK_BREAK, type == GDB_BP_HW ? GDB_WHY_HWBREAK : GDB_WHY_SWBREAK, 0, NULL, NULL);
	} else {
		record(g, v, RANK_WATCH, bp->kind == DBG_WRITE ? GDB_WHY_WATCH : GDB_WHY_AWATCH, bp->addr, NULL, NULL);
	}
	return EXIT_CONTINUE;
}

/* The vCPU stands on the syscall entry.  A step gdb asked for ends here:
 * either it was the SYSCALL (the kvm_pvm repair completed it, so no step
 * exit came) or a step lost on the way to ring 3 is over at the next entry. */
static enum exit_decision on_syscall_boundary(void *ctx, struct vcpu_state *v)
{
	step_ended(ctx, v);
	struct kvm_regs *r = kvm_regs(&v->vcpu);
	if (r)
		check_emulated(ctx, v, r->rip);
	return EXIT_CONTINUE;
}

/* A genuine #PF from ring 3 (kvm_pvm): a stepped instruction faulted and the
 * vCPU stands on the handler's first instruction, as after a step on hardware. */
static enum exit_decision on_user_fault(void *ctx, struct vcpu_state *v)
{
	step_ended(ctx, v);
	return EXIT_CONTINUE;
}

static void where(struct gdb_stub *g, uint64_t rip, char *buf, size_t len)
{
	if (g->s->syms)
		symtab_describe(g->s->syms, rip, buf, len);
	else
		snprintf(buf, len, "0x%" PRIx64, rip);
}

static void on_violation(void *ctx, struct vcpu_state *v, const struct violation_report *rep)
{
	char msg[GDB_MESSAGE_MAX];
	snprintf(msg, sizeof(msg),
		 "entrybox: vCPU %u stopped: rule %s violated at %s%s%s%s: %s\n"
		 "  %s\n"
		 "  stack %s (rsp 0x%" PRIx64 "), cr3 0x%" PRIx64 ", gs_base 0x%" PRIx64 ", cpl %u\n",
		 v->vcpu.index, rep->rule, rep->symbol, rep->source[0] ? " (" : "", rep->source[0] ? rep->source : "",
		 rep->source[0] ? ")" : "", rep->insn, rep->detail, rep->stack, rep->rsp, rep->cr3, rep->gs_base,
		 rep->cpl);
	char reason[64];
	snprintf(reason, sizeof(reason), "violation:%s", rep->rule);
	record(ctx, v, RANK_EVENT, GDB_WHY_EVENT, 0, reason, msg);
}

static enum exit_decision on_injected(void *ctx, struct vcpu_state *v, const char *what)
{
	struct gdb_stub *g = ctx;
	struct kvm_regs *r = kvm_regs(&v->vcpu);
	char at[96] = "?", msg[300];
	if (r)
		where(g, r->rip, at, sizeof(at));
	snprintf(msg, sizeof(msg),
		 "entrybox: vCPU %u stopped: injection %s delivered at %s; the guest takes it before this instruction\n",
		 v->vcpu.index, what, at);
	mine(g, v)->event_vector = inject_last_vector(g->s);
	char reason[64];
	snprintf(reason, sizeof(reason), "injection:%s", what);
	record(g, v, RANK_EVENT, GDB_WHY_EVENT, 0, reason, msg);
	return EXIT_CONTINUE;
}

/* The guest's panic and a triple fault stop the VM where they happened,
 * before the run ends; continuing from there ends it. */
static void on_end(void *ctx, struct vcpu_state *v)
{
	struct gdb_stub *g = ctx;
	struct session *s = g->s;
	char msg[GDB_MESSAGE_MAX], tail[600] = "";
	pthread_mutex_lock(&s->lock);
	bool panic = v->ending.end == RUN_END_GUEST_EXIT && s->r->guest_exit_code == EBX_GUEST_EXIT_PANIC;
	bool triple = v->ending.end == RUN_END_TRIPLE_FAULT;
	if (panic)
		serial_tail(&s->serial, tail, sizeof(tail));
	if (triple)
		snprintf(tail, sizeof(tail), "%s", s->r->explanation);
	pthread_mutex_unlock(&s->lock);
	if (!panic && !triple)
		return;
	snprintf(msg, sizeof(msg), "entrybox: vCPU %u stopped: %s%s%s\n", v->vcpu.index,
		 panic ? "the guest panicked; its last console lines: " : "triple fault: ", tail,
		 " (continuing ends the run)");
	record(g, v, RANK_EVENT, GDB_WHY_EVENT, 0, panic ? "panic:" : "triple-fault:", msg);
	if (atomic_load(&g->stop_requested))
		park(g, v);
	mine(g, v)->stepping = false;
}

const struct exit_observer gdb_observer = {
	.name = "gdb",
	.owner = DBG_OWNER_DEBUGGER,
	.on_arm = on_arm,
	.on_syscall_boundary = on_syscall_boundary,
	.on_user_fault = on_user_fault,
	.on_step = on_step,
	.on_breakpoint = on_breakpoint,
	.on_run = on_run,
	.on_violation = on_violation,
	.on_injected = on_injected,
	.on_end = on_end,
};

/* ---- the connection side ------------------------------------------------------------------------------ */

/* Under lock: the stop to show, the first one a vCPU met, else gdb's own. */
void control_take_stop(struct gdb_stub *g)
{
	struct gdb_vcpu *first = NULL;
	for (unsigned i = 0; i < g->s->nvcpus; i++) {
		struct gdb_vcpu *gv = &g->vcpu[i];
		if (gv->rank != RANK_NONE && (!first || gv->order < first->order))
			first = gv;
	}
	if (first) {
		g->last = first->stop;
		first->rank = RANK_NONE;
	} else {
		memset(&g->last, 0, sizeof(g->last));
		g->last.why = g->interrupted ? GDB_WHY_INTERRUPT : GDB_WHY_ATTACH;
		g->last.cpu = g->conn ? g->conn->g_cpu : 0;
	}
	for (unsigned i = 0; i < g->s->nvcpus; i++)
		g->vcpu[i].cache_valid = false;
	g->interrupted = false;
	g->stopped = true;
	control_update_clock(g);
}

/* Under lock.  The watchdog does not count the time a gdb holds the VM at
 * its prompt; a VM that waits for a gdb to come keeps counting, so a run
 * nobody attaches to still ends at its time limit. */
void control_update_clock(struct gdb_stub *g)
{
	session_hold_clock(g->s, g->stopped && g->client);
}

bool control_wait_stopped(struct gdb_stub *g)
{
	struct session *s = g->s;
	pthread_mutex_lock(&g->lock);
	if (!g->stopped && !atomic_load(&s->done)) {
		if (!atomic_load(&g->stop_requested)) {
			pthread_mutex_unlock(&g->lock);
			control_request_stop(g);
			pthread_mutex_lock(&g->lock);
		}
		while (!control_all_parked(g) && !atomic_load(&s->done)) {
			struct timespec ts = in_a_while();
			pthread_cond_timedwait(&g->cv, &g->lock, &ts);
		}
		if (!g->stopped && control_all_parked(g))
			control_take_stop(g);
	}
	bool stopped = g->stopped && !atomic_load(&s->done);
	pthread_mutex_unlock(&g->lock);
	return stopped;
}

/* Under lock: lets every vCPU go as `actions` says. */
static void release(struct gdb_stub *g, const enum gdb_action *actions)
{
	g->generation++;
	for (unsigned i = 0; i < g->s->nvcpus; i++) {
		struct gdb_vcpu *gv = &g->vcpu[i];
		gv->action = actions[i];
		gv->cache_valid = false;
		if (gv->action == GDB_ACT_STOP && gv->parked)
			gv->parked_in = g->generation;
	}
	g->stopped = false;
	atomic_store(&g->stop_requested, false);
	control_update_clock(g);
	pthread_cond_broadcast(&g->cv);
}

bool control_await_stop(struct gdb_stub *g, long max_ns)
{
	struct timespec until = after_ns(max_ns);
	pthread_mutex_lock(&g->lock);
	int rc = 0;
	while (!control_all_parked(g) && !atomic_load(&g->s->done) && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&g->cv, &g->lock, &until);
	bool now = !g->stopped && control_all_parked(g) && !atomic_load(&g->s->done);
	if (now)
		control_take_stop(g);
	pthread_mutex_unlock(&g->lock);
	return now;
}

bool control_resume(struct gdb_stub *g, const enum gdb_action *actions)
{
	pthread_mutex_lock(&g->lock);
	for (unsigned i = 0; i < g->s->nvcpus; i++) {
		if (g->vcpu[i].rank != RANK_NONE) {
			/* Another vCPU met a stop at the same time: it is shown first. */
			control_take_stop(g);
			pthread_mutex_unlock(&g->lock);
			return false;
		}
	}
	release(g, actions);
	pthread_mutex_unlock(&g->lock);
	return true;
}

void control_let_go(struct gdb_stub *g)
{
	/* From the serving vCPU (gdb's D or k) the connection goes back to its thread, which closes it. */
	g->hand_back = true;
	enum gdb_action all[SESSION_MAX_VCPUS];
	bp_clear(g);
	pthread_mutex_lock(&g->lock);
	g->client = false;
	g->let_go = true;
	control_update_clock(g);
	for (unsigned i = 0; i < g->s->nvcpus; i++) {
		g->vcpu[i].rank = RANK_NONE;
		all[i] = GDB_ACT_CONTINUE;
	}
	release(g, all);
	pthread_mutex_unlock(&g->lock);
}
