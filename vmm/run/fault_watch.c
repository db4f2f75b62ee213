/* SPDX-License-Identifier: MIT */
#include "run/fault_watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/snapshot.h"
#include "run/session.h"
#include "entrybox/x86.h"

#define STUB_BYTES 16u
#define MAX_WATCHES 4

/* What the watch asks for, most telling first: a #PF names the address. */
static const unsigned watched[] = { VEC_PF, VEC_DF, VEC_GP, VEC_UD };
#define NWATCHED (sizeof(watched) / sizeof(watched[0]))

static bool has_error_code(unsigned vector)
{
	return vector == VEC_DF || vector == VEC_GP || vector == VEC_PF;
}

/* One breakpoint: a gate (the hardware frame at RSP) or a common path of
 * several vectors' stubs ([vector][error] pushed on top of it). */
struct watch {
	uint64_t addr;
	unsigned vectors;   /* bit per vector judged here */
	bool common;
};

struct fault_watch {
	struct session *s;
	bool planned;
	struct watch w[MAX_WATCHES];
	unsigned nw;
	unsigned wanted;                /* bit per vector */
	unsigned armed[SESSION_MAX_VCPUS];
	bool arm_done[SESSION_MAX_VCPUS];
	struct fault_seen last[SESSION_MAX_VCPUS];
	uint64_t judged;
};

/* ---- the plan: where each vector's handler can be caught ------------------------------------ */

bool fault_watch_decode_stub(const uint8_t *c, size_t n, uint64_t rip, uint64_t *target, unsigned *pushes,
			     int64_t *last)
{
	size_t i = 0;
	*pushes = 0;
	while (i < n && *pushes < 3) {
		if (c[i] == 0x6a && i + 2 <= n) {            /* push imm8 */
			*last = (int8_t)c[i + 1];
			i += 2;
		} else if (c[i] == 0x68 && i + 5 <= n) {     /* push imm32 */
			int32_t v;
			memcpy(&v, c + i + 1, 4);
			*last = v;
			i += 5;
		} else {
			break;
		}
		(*pushes)++;
	}
	if (i + 2 <= n && c[i] == 0xeb) {                    /* jmp rel8 */
		*target = rip + i + 2 + (uint64_t)(int64_t)(int8_t)c[i + 1];
		return *pushes > 0;
	}
	if (i + 5 <= n && c[i] == 0xe9) {                    /* jmp rel32 */
		int32_t rel;
		memcpy(&rel, c + i + 1, 4);
		*target = rip + i + 5 + (uint64_t)(int64_t)rel;
		return *pushes > 0;
	}
	return false;
}

/* The guest as the plan reads it: the IDT the layout names (one for every
 * CPU) through a kernel page table, whatever the arming vCPU runs on (an AP
 * may not have started yet). */
struct guest_view {
	struct gmem *mem;
	uint64_t cr3, idt;
};

static bool view_of(struct session *s, struct guest_view *g)
{
	const struct ebx_layout *l = &s->layout.raw;
	if (!s->layout.valid || l->ntasks == 0)
		return false;
	*g = (struct guest_view){ &s->vm.mem, l->tasks[0].kernel_pgd, l->cpus[0].idt_gva };
	return true;
}

static bool gate_target(const struct guest_view *gv, unsigned vector, uint64_t *target)
{
	uint8_t g[GATE_SIZE];
	if (!gmem_read_virt(gv->mem, gv->cr3, gv->idt + vector * GATE_SIZE, g, sizeof(g)))
		return false;
	uint64_t lo = (uint64_t)g[0] | (uint64_t)g[1] << 8, mid = (uint64_t)g[6] | (uint64_t)g[7] << 8;
	uint32_t hi;
	memcpy(&hi, g + 8, 4);
	*target = lo | mid << 16 | (uint64_t)hi << 32;
	return *target != 0;
}

/* Where the stub of `vector` leads: its common path when it pushes exactly
 * [vector][error] over the hardware frame and jumps, else its gate. */
static struct watch where_to_watch(const struct guest_view *gv, unsigned vector, uint64_t gate)
{
	uint8_t code[STUB_BYTES];
	uint64_t target;
	unsigned pushes;
	int64_t last = -1;
	struct watch w = { gate, 1u << vector, false };
	if (gmem_read_virt(gv->mem, gv->cr3, gate, code, sizeof(code)) &&
	    fault_watch_decode_stub(code, sizeof(code), gate, &target, &pushes, &last) && last == (int64_t)vector &&
	    pushes + (has_error_code(vector) ? 1u : 0u) == 2)
		w = (struct watch){ target, 1u << vector, true };
	return w;
}

static void add_watch(struct fault_watch *fw, struct watch w)
{
	for (unsigned i = 0; i < fw->nw; i++) {
		if (fw->w[i].addr == w.addr && fw->w[i].common == w.common) {
			fw->w[i].vectors |= w.vectors;
			return;
		}
	}
	if (fw->nw < MAX_WATCHES)
		fw->w[fw->nw++] = w;
}

/* Once, from the first vCPU to arm after the layout: a vector whose gate
 * cannot be read stays unwatched, and the result says so. */
static void plan(struct fault_watch *fw)
{
	struct session *s = fw->s;
	struct guest_view gv;
	bool readable = view_of(s, &gv);
	for (size_t i = 0; i < NWATCHED; i++) {
		unsigned vec = watched[i];
		uint64_t gate;
		fw->wanted |= 1u << vec;
		if (!readable || !gate_target(&gv, vec, &gate))
			continue;
		/* On kvm_pvm the #PF gate is the boundary's breakpoint: its faults come through on_user_fault. */
		if (vec == VEC_PF && s->pf_handler == gate)
			continue;
		add_watch(fw, where_to_watch(&gv, vec, gate));
	}
	/* Where slots run short, the breakpoint that judges more vectors first. */
	for (unsigned i = 1; i < fw->nw; i++)
		for (unsigned j = i; j > 0 && __builtin_popcount(fw->w[j].vectors) > __builtin_popcount(fw->w[j - 1].vectors);
		     j--) {
			struct watch t = fw->w[j];
			fw->w[j] = fw->w[j - 1];
			fw->w[j - 1] = t;
		}
	fw->planned = true;
}

/* ---- judging one exception ------------------------------------------------------------------ */

struct frame {
	uint64_t rip, cs, rflags, rsp;
};

static enum exit_decision judge(struct fault_watch *fw, struct vcpu_state *v, unsigned vector, uint64_t error,
				const struct frame *f)
{
	struct session *s = v->s;
	struct vcpu_snap snap;
	/* A #DF's saved RIP is undefined (SDM vol. 3, "Interrupt 8"): no
	 * instruction to rebuild, so it is judged as its handler finds the CPU. */
	bool rebuild = vector != VEC_DF;
	if ((f->cs & 3) == 3 || !s->layout.valid)
		return EXIT_CONTINUE;   /* from user mode: the entry path's business, not a kernel mistake */
	if (!snapshot_take_for_rules(&v->vcpu, rebuild ? SNAP_FAULT : SNAP_PLAIN, &s->layout, &snap))
		return vcpu_end(v, RUN_END_INTERNAL_ERROR, "vCPU %u: cannot read the state at a kernel exception: %s",
				v->vcpu.index, strerror(errno));
	if (rebuild) {
		snap.rip = f->rip;
		snap.rsp = f->rsp;
		snap.gpr[4] = f->rsp;
		snap.rflags = f->rflags;
		snap.cs_sel = (uint16_t)f->cs;
		snap.cpl = (uint8_t)(f->cs & 3);
		snap.fault_vector = (int)vector;
		snap.fault_error = error;
	}
	struct violation found[8];
	size_t nrules = 0;
	rules_table(&nrules);
	size_t n = rules_check_all(&snap, &s->layout, found, 8);
	pthread_mutex_lock(&s->lock);
	fw->judged++;
	if (v->vcpu.index < SESSION_MAX_VCPUS)
		fw->last[v->vcpu.index] = (struct fault_seen){
			.valid = true, .vector = vector, .error = error, .rip = f->rip, .rsp = f->rsp,
			.cr2 = vector == VEC_PF ? snap.cr2 : 0, .cr3 = snap.cr3,
		};
	pthread_mutex_unlock(&s->lock);
	v->n.checks += nrules;
	for (size_t i = 0; i < n && i < 8; i++)
		vcpu_record_violation(v, &found[i], &snap);
	return EXIT_CONTINUE;
}

static bool read_u64s(struct vcpu_state *v, uint64_t gva, uint64_t *out, size_t n)
{
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	return sr && gmem_read_virt(&v->s->vm.mem, sr->cr3, gva, out, n * sizeof(*out));
}

/* At a gate: [error] RIP CS RFLAGS RSP SS. */
static enum exit_decision at_gate(struct fault_watch *fw, struct vcpu_state *v, unsigned vector)
{
	struct kvm_regs *r = kvm_regs(&v->vcpu);
	unsigned e = has_error_code(vector) ? 1 : 0;
	uint64_t q[5];
	/* A frame the CPU just pushed is readable; a guest that jumps here with
	 * RSP elsewhere is not taking an exception, and not judged as one. */
	if (!r || !read_u64s(v, r->rsp, q, e + 4))
		return EXIT_CONTINUE;
	struct frame f = { q[e], q[e + 1], q[e + 2], q[e + 3] };
	return judge(fw, v, vector, e ? q[0] : 0, &f);
}

/* At a common path: [vector][error] RIP CS RFLAGS RSP SS; other vectors pass through. */
static enum exit_decision at_common(struct fault_watch *fw, struct vcpu_state *v, unsigned vectors)
{
	struct kvm_regs *r = kvm_regs(&v->vcpu);
	uint64_t q[6];
	if (!r || !read_u64s(v, r->rsp, q, 6) || q[0] >= 32 || !(vectors & (1u << q[0])))
		return EXIT_CONTINUE;
	struct frame f = { q[2], q[3], q[4], q[5] };
	return judge(fw, v, (unsigned)q[0], has_error_code((unsigned)q[0]) ? q[1] : 0, &f);
}

/* ---- observer hooks ------------------------------------------------------------------------------ */

static bool backend_hides_steps(const struct session *s)
{
	return s->backend == BACKEND_PVM || s->backend == BACKEND_UNKNOWN;
}

static enum exit_decision on_arm(void *ctx, struct vcpu_state *v)
{
	struct fault_watch *fw = ctx;
	struct session *s = v->s;
	struct debugctl *d = &v->dbg;
	debugctl_bp_remove_owner(d, DBG_OWNER_FAULTS);
	pthread_mutex_lock(&s->lock);
	if (!fw->planned && s->layout.valid)
		plan(fw);
	pthread_mutex_unlock(&s->lock);
	/* The other owners have armed by now (observers arm in registration
	 * order); one slot stays for the steps kvm_pvm does not report. */
	unsigned reserve = backend_hides_steps(s) ? 1 : 0;
	unsigned armed = s->pf_handler ? 1u << VEC_PF : 0;
	for (unsigned i = 0; i < fw->nw; i++) {
		if (debugctl_free_slots(d) <= reserve || debugctl_bp_add(d, DBG_OWNER_FAULTS, fw->w[i].addr, (int)i) < 0)
			continue;
		armed |= fw->w[i].vectors;
	}
	if (v->vcpu.index < SESSION_MAX_VCPUS) {
		/* Watched means watched all along: a vector given up once (to a
		 * debugger, or for want of a slot) stays unwatched on this vCPU. */
		unsigned idx = v->vcpu.index;
		fw->armed[idx] = fw->arm_done[idx] ? fw->armed[idx] & armed : armed;
		fw->arm_done[idx] = true;
	}
	return EXIT_CONTINUE;
}

unsigned fault_watch_yield(struct vcpu_state *v, unsigned n)
{
	struct fault_watch *fw = v->s->faults;
	unsigned freed = 0;
	if (!fw)
		return 0;
	/* The plan ranks its breakpoints (tags), most vectors first: the last
	 * go first.  A slot of ours on this vCPU means it planned before arming. */
	while (freed < n) {
		int victim = -1;
		for (int slot = 0; slot < DBG_SLOTS; slot++) {
			const struct debugctl_slot *bp = debugctl_bp(&v->dbg, slot);
			if (bp && bp->owner == DBG_OWNER_FAULTS &&
			    (victim < 0 || bp->tag > debugctl_bp(&v->dbg, victim)->tag))
				victim = slot;
		}
		if (victim < 0)
			break;
		int tag = debugctl_bp(&v->dbg, victim)->tag;
		debugctl_bp_remove(&v->dbg, victim);
		if (v->vcpu.index < SESSION_MAX_VCPUS && tag >= 0 && (unsigned)tag < MAX_WATCHES)
			fw->armed[v->vcpu.index] &= ~fw->w[tag].vectors;
		freed++;
	}
	return freed;
}

static enum exit_decision on_breakpoint(void *ctx, struct vcpu_state *v, int slot)
{
	struct fault_watch *fw = ctx;
	const struct debugctl_slot *bp = debugctl_bp(&v->dbg, slot);
	if (!bp || bp->tag < 0 || (unsigned)bp->tag >= fw->nw)
		return EXIT_CONTINUE;
	const struct watch *w = &fw->w[bp->tag];
	if (w->common)
		return at_common(fw, v, w->vectors & ~(v->s->pf_handler ? 1u << VEC_PF : 0));
	for (size_t i = 0; i < NWATCHED; i++)
		if (w->vectors & (1u << watched[i]))
			return at_gate(fw, v, watched[i]);
	return EXIT_CONTINUE;
}

/* kvm_pvm: the boundary's breakpoint on the #PF gate, a genuine fault (the frame says from where). */
static enum exit_decision on_user_fault(void *ctx, struct vcpu_state *v)
{
	return at_gate(ctx, v, VEC_PF);
}

const struct exit_observer fault_watch_observer = {
	.name = "faults",
	.owner = DBG_OWNER_FAULTS,
	.on_arm = on_arm,
	.on_breakpoint = on_breakpoint,
	.on_user_fault = on_user_fault,
};

/* ---- set-up and the account ---------------------------------------------------------------------- */

bool fault_watch_setup(struct session *s)
{
	struct fault_watch *fw = calloc(1, sizeof(*fw));
	if (!fw)
		return false;
	fw->s = s;
	s->faults = fw;
	return session_observe(s, &fault_watch_observer, fw);
}

void fault_watch_teardown(struct session *s)
{
	free(s->faults);
	s->faults = NULL;
}

bool fault_watch_last(const struct session *s, unsigned vcpu, struct fault_seen *out)
{
	const struct fault_watch *fw = s->faults;
	if (!fw || vcpu >= SESSION_MAX_VCPUS || !fw->last[vcpu].valid)
		return false;
	*out = fw->last[vcpu];
	return true;
}

static void vector_list(char *buf, size_t len, unsigned mask)
{
	static const char *const names[32] = { [VEC_UD] = "#UD", [VEC_DF] = "#DF", [VEC_GP] = "#GP", [VEC_PF] = "#PF" };
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < NWATCHED && used < len; i++) {
		if (!(mask & (1u << watched[i])))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? " " : "", names[watched[i]]);
		used += n > 0 ? (size_t)n : 0;
	}
}

void fault_watch_finish(struct session *s)
{
	const struct fault_watch *fw = s->faults;
	struct run_result *r = s->r;
	if (!fw || !fw->planned)
		return;
	/* A vector counts as watched when every vCPU that ran watched it. */
	unsigned armed = ~0u;
	for (unsigned i = 0; i < s->nvcpus && i < SESSION_MAX_VCPUS; i++)
		if (fw->arm_done[i])
			armed &= fw->armed[i];
	armed &= fw->wanted;
	vector_list(r->faults_watched, sizeof(r->faults_watched), armed);
	vector_list(r->faults_unwatched, sizeof(r->faults_unwatched), fw->wanted & ~armed);
	r->faults_judged = fw->judged;
}
