/* SPDX-License-Identifier: MIT */
/*
 * One vCPU's exit loop: run, decode the exit, let the device or the
 * breakpoint logic handle it, check the state against every rule, resume.
 * Everything backend-specific is behind pvm_syscall.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "entrybox/abi.h"
#include "explain/report.h"
#include "entrybox/x86.h"
#include "explain/triple_fault.h"
#include "kvm/shutdown_replay.h"
#include "host/confine.h"
#include "inject/inject.h"
#include "kvm/snapshot.h"
#include "run/session.h"

#define MMIO_EXIT_LIMIT 4096u

/* ---- checks ------------------------------------------------------------------------------ */

static bool already_reported(const struct run_result *r, const char *rule, uint64_t rip)
{
	for (size_t i = 0; i < r->nviolations; i++)
		if (r->violations[i].rip == rip && strcmp(r->violations[i].rule, rule) == 0)
			return true;
	return false;
}

/* The same rule failing at the same instruction is one finding, however often it repeats. */
void vcpu_record_violation(struct vcpu_state *v, const struct violation *viol, const struct vcpu_snap *snap)
{
	struct session *s = v->s;
	struct run_result *r = s->r;
	pthread_mutex_lock(&s->lock);
	r->violation_occurrences++;
	if (!already_reported(r, viol->rule, snap->rip) && r->nviolations < RESULT_MAX_VIOLATIONS) {
		struct violation_report *rep = &r->violations[r->nviolations++];
		report_fill(rep, viol, snap, &s->layout, s->syms);
		if (s->cfg->echo_serial)
			report_print(stderr, rep);
	}
	pthread_mutex_unlock(&s->lock);
}

void vcpu_check_state(struct vcpu_state *v, enum snap_point point)
{
	struct session *s = v->s;
	if (!s->layout.valid)
		return;
	struct vcpu_snap snap;
	if (!snapshot_take_for_rules(&v->vcpu, point, &s->layout, &snap)) {
		session_end(s, RUN_END_INTERNAL_ERROR, "cannot read vCPU %u state for checks: %s", v->vcpu.index,
			    strerror(errno));
		return;
	}
	struct violation found[8];
	size_t nrules = 0;
	rules_table(&nrules);
	size_t n = rules_check_all(&snap, &s->layout, found, 8);
	v->checks += nrules;
	for (size_t i = 0; i < n && i < 8; i++)
		vcpu_record_violation(v, &found[i], &snap);
}

static void remember_syscall_boundary(struct vcpu_state *v)
{
	struct vcpu_snap snap;
	if (!snapshot_take(&v->vcpu, SNAP_USER_BOUNDARY, &snap))
		return;
	memcpy(v->boundary_gpr, snap.gpr, sizeof(v->boundary_gpr));
	v->boundary_valid = true;
}

/* ---- breakpoints ---------------------------------------------------------------------------- */

static void arm_breakpoints(struct vcpu_state *v)
{
	struct session *s = v->s;
	pthread_mutex_lock(&s->lock);
	unsigned generation = atomic_load(&s->layout_generation);
	uint64_t syscall_entry = s->layout.raw.syscall_entry;
	uint64_t syscall_return = s->layout.raw.syscall_return;
	v->pvm.pf_handler = s->pf_handler;
	v->pvm.lstar = s->lstar;
	v->pvm.star = s->star;
	pthread_mutex_unlock(&s->lock);
	debugctl_disarm_all(&v->dbg);
	/* Where SYSCALL from ring 3 is broken (kvm_pvm, and any backend we cannot
	 * name), the repair needs the #PF handler; elsewhere LSTAR itself is the
	 * user boundary. */
	if (v->pvm.pf_handler)
		debugctl_arm(&v->dbg, v->pvm.pf_handler, BP_PVM_PF_HANDLER);
	else
		debugctl_arm(&v->dbg, syscall_entry, BP_SYSCALL_ENTRY);
	if (syscall_return)
		debugctl_arm(&v->dbg, syscall_return, BP_SYSCALL_RETURN);
	v->armed_generation = generation;
	/* The guest has set its SYSCALL MSRs by now; a triple-fault replay needs them. */
	replay_note_msrs(&v->vcpu, &v->replay_msrs);
	inject_arm(v);
}

/*
 * Measurement counts the instructions of the kernel side of each round trip:
 * stepping is on from a syscall entry to its sysretq.  Ring-3 code is not
 * stepped: SYSRET reloads TF from R11, so no backend reports steps there
 * reliably, and it is not entry cost anyway.  The SYSCALL and the SYSRET
 * themselves retire without a step exit of their own and are added by hand.
 */
static void measure_kernel_entry(struct vcpu_state *v)
{
	if (!v->measuring)
		return;
	v->measure_steps++; /* the SYSCALL */
	v->trip_start = v->measure_steps - 1;
	v->in_trip = true;
	debugctl_set_single_step(&v->dbg, true);
}

static void measure_kernel_exit(struct vcpu_state *v)
{
	if (!v->measuring)
		return;
	v->measure_steps++; /* the SYSRET */
	if (v->in_trip && v->ntrips < sizeof(v->trip_steps) / sizeof(v->trip_steps[0]))
		v->trip_steps[v->ntrips++] = (uint32_t)(v->measure_steps - v->trip_start);
	v->in_trip = false;
	debugctl_set_single_step(&v->dbg, false);
}

/* Returns true when the vCPU has moved on (repaired) and needs no step-over. */
static bool on_pf_handler(struct vcpu_state *v)
{
	vcpu_check_state(v, SNAP_PLAIN);
	if (pvm_syscall_on_pf_handler(&v->pvm, &v->vcpu) != PVM_REPAIRED)
		return false;
	/* The vCPU is now exactly where SYSCALL should have left it. */
	debugctl_unpark_all(&v->dbg);
	remember_syscall_boundary(v);
	vcpu_check_state(v, SNAP_USER_BOUNDARY);
	measure_kernel_entry(v);
	trace_on_syscall_boundary(v);
	inject_on_syscall_entry(v);
	return true;
}

static void handle_breakpoint(struct vcpu_state *v, int slot)
{
	switch (v->dbg.purpose[slot]) {
	case BP_PVM_PF_HANDLER:
		if (on_pf_handler(v))
			return;
		trace_on_user_fault(v);
		break;
	case BP_SYSCALL_ENTRY:
		debugctl_unpark_all(&v->dbg);
		remember_syscall_boundary(v);
		vcpu_check_state(v, SNAP_USER_BOUNDARY);
		measure_kernel_entry(v);
		trace_on_syscall_boundary(v);
		inject_on_syscall_entry(v);
		break;
	case BP_INJECT:
		/* The event goes in before this instruction runs; its handler
		 * returns here with the one-shot breakpoint gone: no step-over. */
		inject_on_breakpoint(v, slot);
		return;
	case BP_SYSCALL_RETURN:
		vcpu_check_state(v, SNAP_RETURN_POINT);
		/* Parked, not stepped over: see debugctl.h.  The next syscall entry re-arms it. */
		debugctl_park(&v->dbg, slot);
		measure_kernel_exit(v);
		return;
	default:
		break;
	}
	debugctl_begin_step_over(&v->dbg);
	v->finishing_step_over = true;
}

static void handle_debug(struct vcpu_state *v)
{
	struct kvm_regs *regs = kvm_regs(&v->vcpu);
	if (!regs) {
		session_end(v->s, RUN_END_INTERNAL_ERROR, "cannot read registers at a debug exit");
		return;
	}
	uint64_t dr6 = v->vcpu.run->debug.arch.dr6;
	bool stepped = (dr6 & (1u << 14)) != 0;
	int slot = debugctl_slot_at(&v->dbg, regs->rip);
	trace_on_debug_exit(v, stepped);
	if (stepped) {
		if (v->measuring && v->dbg.single_step)
			v->measure_steps++;
		if (v->finishing_step_over) {
			v->finishing_step_over = false;
			debugctl_end_step_over(&v->dbg);
		}
		inject_on_step(v, regs->rip);
		/* A step can land on a breakpoint address, e.g. on the sysretq while
		 * measuring.  Whether the breakpoint then fires before that
		 * instruction differs between backends (kvm_pvm does not), so act on
		 * it now; the step-over or parking it starts keeps it from being
		 * taken a second time. */
		if (slot >= 0)
			handle_breakpoint(v, slot);
		return;
	}
	if (slot >= 0) {
		/* While stepping, a breakpoint can be reported instead of the step
		 * that reached it (kvm_pvm at the sysretq): it is that step. */
		if (v->dbg.single_step) {
			if (v->measuring)
				v->measure_steps++;
			inject_on_step(v, regs->rip);
		}
		handle_breakpoint(v, slot);
		return;
	}
	session_end(v->s, RUN_END_INTERNAL_ERROR, "vCPU %u: debug exit at 0x%llx with DR6 0x%llx that no breakpoint explains",
		    v->vcpu.index, (unsigned long long)regs->rip, (unsigned long long)dr6);
}

/* ---- port I/O ------------------------------------------------------------------------------- */

static uint32_t io_value(const struct kvm_run *run, const uint8_t *data)
{
	uint32_t val = 0;
	memcpy(&val, data, run->io.size <= 4 ? run->io.size : 4);
	return val;
}

static void serial_access(struct session *s, uint16_t offset, bool out, uint8_t *data, unsigned size)
{
	pthread_mutex_lock(&s->lock);
	bool ok = true;
	if (out) {
		ok = serial_out(&s->serial, offset, data[0]);
	} else {
		memset(data, 0, size);
		data[0] = serial_in(&s->serial, offset);
	}
	pthread_mutex_unlock(&s->lock);
	if (!ok)
		session_end(s, RUN_END_HOSTILE, "guest wrote more than %u bytes to the console", SERIAL_BYTE_LIMIT);
}

static void hypercall(struct vcpu_state *v, uint32_t nr)
{
	char err[200];
	if (!xen_hv_hypercall(&v->vcpu, &v->s->layout, nr, &v->hv, err, sizeof(err)))
		session_end(v->s, RUN_END_HOSTILE, "%s", err);
}

static void handle_io(struct vcpu_state *v)
{
	struct session *s = v->s;
	struct kvm_run *run = v->vcpu.run;
	/* io.data_offset is KVM's, but check it anyway: a corrupt offset must not
	 * make us read outside the kvm_run mapping. */
	uint64_t bytes = (uint64_t)run->io.size * run->io.count;
	if (run->io.size == 0 || run->io.size > 4 || run->io.data_offset + bytes > (uint64_t)s->vm.run_size) {
		session_end(s, RUN_END_INTERNAL_ERROR, "malformed I/O exit (size %u count %u)", run->io.size,
			    run->io.count);
		return;
	}
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint16_t port = run->io.port;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	/* A hypercall re-enters KVM to complete its OUT and rewrites registers:
	 * nothing of this exit's record may be used after it. */
	if (port == EBX_PORT_HYPERCALL && out && run->io.size == 4 && run->io.count == 1) {
		hypercall(v, io_value(run, data));
		return;
	}
	for (uint32_t i = 0; i < run->io.count && !atomic_load(&s->done); i++, data += run->io.size) {
		if (port >= EBX_PORT_COM1 && port < EBX_PORT_COM1 + 8) {
			serial_access(s, (uint16_t)(port - EBX_PORT_COM1), out, data, run->io.size);
		} else if (port == EBX_PORT_DEBUG_EXIT && out) {
			int code = (int)(io_value(run, data) & 0xff);
			pthread_mutex_lock(&s->lock);
			s->r->guest_exit_code = code;
			pthread_mutex_unlock(&s->lock);
			session_end(s, RUN_END_GUEST_EXIT, "guest exited with code %d", code);
		} else if (port == EBX_PORT_CHECKPOINT && out && run->io.size == 4) {
			checkpoint_handle(v, io_value(run, data));

		} else if (!out) {
			/* Unclaimed ports read as a floating bus, like real hardware. */
			memset(data, 0xff, run->io.size);
		}
		/* Writes to unclaimed ports are dropped: the guest may probe hardware. */
	}
}

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

/* ---- the loop -------------------------------------------------------------------------------- */

static void handle_exit(struct vcpu_state *v)
{
	struct session *s = v->s;
	struct kvm_run *run = v->vcpu.run;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		v->exits_io++;
		handle_io(v);
		vcpu_check_state(v, SNAP_PLAIN);
		break;
	case KVM_EXIT_DEBUG:
		v->exits_debug++;
		handle_debug(v);
		break;
	case KVM_EXIT_MMIO:
		v->exits_mmio++;
		if (!run->mmio.is_write)
			memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
		pthread_mutex_lock(&s->lock);
		bool flood = ++s->mmio_exits > MMIO_EXIT_LIMIT;
		pthread_mutex_unlock(&s->lock);
		if (flood)
			session_end(s, RUN_END_HOSTILE, "guest touched unbacked memory %u times (last 0x%llx)",
				    MMIO_EXIT_LIMIT, (unsigned long long)run->mmio.phys_addr);
		break;
	case KVM_EXIT_HLT:
		session_end(s, RUN_END_TIMEOUT, "vCPU %u halted with no interrupt source", v->vcpu.index);
		break;
	case KVM_EXIT_SHUTDOWN:
		explain_triple_fault(v);
		session_end(s, RUN_END_TRIPLE_FAULT, "vCPU %u: triple fault (KVM_EXIT_SHUTDOWN)", v->vcpu.index);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		session_end(s, RUN_END_INTERNAL_ERROR, "vCPU %u: VM entry failed, hardware reason 0x%llx",
			    v->vcpu.index, (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		session_end(s, RUN_END_INTERNAL_ERROR, "vCPU %u: KVM internal error, suberror %u", v->vcpu.index,
			    run->internal.suberror);
		break;
	case KVM_EXIT_INTR:
		v->exits_intr++;
		break;
	default:
		v->exits_other++;
		session_end(s, RUN_END_INTERNAL_ERROR, "vCPU %u: unexpected KVM exit reason %u", v->vcpu.index,
			    run->exit_reason);
		break;
	}
}

void *vcpu_thread(void *arg)
{
	struct vcpu_state *v = arg;
	struct session *s = v->s;
	char err[160];
	if (!s->cfg->no_confine) {
		if (!confine_thread(err, sizeof(err)))
			session_end(s, RUN_END_INTERNAL_ERROR, "vCPU %u: %s", v->vcpu.index, err);
		else if (v->vcpu.index == 0)
			confine_selftest();
	}
	while (!atomic_load(&s->done)) {
		if (atomic_load(&s->layout_generation) != v->armed_generation)
			arm_breakpoints(v);
		if (debugctl_apply(&v->dbg, &v->vcpu) < 0) {
			session_end(s, RUN_END_INTERNAL_ERROR, "KVM_SET_GUEST_DEBUG: %s", strerror(errno));
			break;
		}
		int rc = kvm_run_once(&v->vcpu);
		if (rc < 0) {
			/* A kick (session_kick_all) or the watchdog: look at done and the layout again. */
			v->vcpu.run->immediate_exit = 0;
			if (errno == EINTR || errno == EAGAIN)
				continue;
			session_end(s, RUN_END_INTERNAL_ERROR, "vCPU %u: KVM_RUN: %s", v->vcpu.index, strerror(errno));
			break;
		}
		atomic_fetch_add(&s->exits, 1);
		handle_exit(v);
	}
	return NULL;
}
