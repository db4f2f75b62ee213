/* SPDX-License-Identifier: MIT */
/*
 * The target gdb sees: the run's vCPUs.  Registers and memory are read and
 * written only while every vCPU is parked (control_wait_stopped), from the
 * connection thread; register changes reach KVM when the vCPU runs again.
 * Memory is guest-virtual under the vCPU's current CR3, walked by
 * pagetables/ as the CPU would (physical while paging is off); anything that
 * does not translate to guest RAM is EFAULT (gdb's E14).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "entrybox/x86.h"
#include "explain/symbols.h"
#include "stub_internal.h"

/* How long the connection waits for a step before it goes back to its poll. */
#define STEP_WAIT_NS (5 * 1000 * 1000L)

static struct gdb_stub *stub(void *t)
{
	return t;
}

static unsigned cpus(void *t)
{
	return stub(t)->s->nvcpus;
}

/* The FPU and the MSR cost an ioctl each, from a thread that is not the
 * vCPU's: a stop reply and memory accesses do without them. */
static struct gdb_cpu *cpu_state(struct gdb_stub *g, unsigned cpu, bool all)
{
	if (cpu >= g->s->nvcpus)
		return NULL;
	struct gdb_vcpu *gv = &g->vcpu[cpu];
	struct kvm_vcpu *vc = &g->s->vcpus[cpu].vcpu;
	if (!gv->cache_valid) {
		struct kvm_regs *regs = kvm_regs(vc);
		struct kvm_sregs *sregs = kvm_sregs(vc);
		if (!regs || !sregs)
			return NULL;
		gv->cache.regs = *regs;
		gv->cache.sregs = *sregs;
		gv->cache_valid = true;
		gv->cache_all = false;
	}
	if (all && !gv->cache_all) {
		/* Without them gdb still gets the rest: the x87/SSE state and the MSR read as zero. */
		if (kvm_vcpu_request(vc, KVM_GET_FPU, &gv->cache.fpu) < 0)
			memset(&gv->cache.fpu, 0, sizeof(gv->cache.fpu));
		if (!kvm_get_msr(vc, MSR_KERNEL_GS_BASE, &gv->cache.kernel_gs_base))
			gv->cache.kernel_gs_base = 0;
		gv->cache_all = true;
	}
	return &gv->cache;
}

struct gdb_cpu *target_cpu(struct gdb_stub *g, unsigned cpu)
{
	return cpu_state(g, cpu, false);
}

static int read_registers(void *t, unsigned cpu, uint8_t *out, bool all)
{
	struct gdb_stub *g = stub(t);
	if (!control_wait_stopped(g))
		return -ESRCH;
	struct gdb_cpu *c = cpu_state(g, cpu, all);
	if (!c)
		return -EIO;
	gdb_cpu_encode(c, out);
	return 0;
}

static int apply(struct kvm_vcpu *vc, const struct gdb_cpu *c, unsigned parts)
{
	if ((parts & GDB_PART_FPU) && kvm_vcpu_request(vc, KVM_SET_FPU, (void *)&c->fpu) < 0)
		return -EINVAL;
	if ((parts & GDB_PART_MSR) && !kvm_set_msr(vc, MSR_KERNEL_GS_BASE, c->kernel_gs_base))
		return -EINVAL;
	if (parts & GDB_PART_REGS) {
		*kvm_regs(vc) = c->regs;
		kvm_mark_regs_dirty(vc);
	}
	if (parts & GDB_PART_SREGS) {
		*kvm_sregs(vc) = c->sregs;
		kvm_mark_sregs_dirty(vc);
	}
	return 0;
}

static int write_register(void *t, unsigned cpu, unsigned regno, const uint8_t *val)
{
	struct gdb_stub *g = stub(t);
	if (!control_wait_stopped(g))
		return -ESRCH;
	struct gdb_cpu *c = cpu_state(g, cpu, true);
	if (!c)
		return -EIO;
	struct gdb_cpu changed = *c;
	unsigned parts = 0;
	int rc = gdb_cpu_store(&changed, regno, val, &parts);
	if (rc == 0)
		rc = apply(&g->s->vcpus[cpu].vcpu, &changed, parts);
	if (rc == 0)
		*c = changed;
	return rc;
}

/* ---- memory ------------------------------------------------------------------------------------------ */

enum access { READ, WRITE };

static long physical(struct gmem *m, uint64_t addr, void *buf, size_t len, enum access how)
{
	if (addr >= m->size)
		return -EFAULT;
	size_t n = m->size - addr < len ? (size_t)(m->size - addr) : len;
	if (how == READ)
		memcpy(buf, m->host + addr, n);
	else
		memcpy(m->host + addr, buf, n);
	return (long)n;
}

static long access_as(struct gmem *m, const struct kvm_sregs *sr, uint64_t addr, void *buf, size_t len,
		      enum access how)
{
	if (!(sr->cr0 & CR0_PG))
		return physical(m, addr, buf, len, how);
	/* Only 4-level long-mode paging is walked: the guest uses nothing else. */
	if (!(sr->efer & EFER_LMA) || (sr->cr4 & CR4_LA57))
		return -EFAULT;
	struct pt_env env = gmem_pt_env(m);
	uint64_t pgd = sr->cr3 & PT_CR3_PGD_MASK;
	size_t done = 0;
	if (how == READ)
		pt_read_virt(&env, pgd, addr, buf, len, &done);
	else
		pt_write_virt(&env, pgd, addr, buf, len, &done);
	return done > 0 ? (long)done : -EFAULT;
}

long target_read_as(struct gmem *m, const struct kvm_sregs *sr, uint64_t addr, uint8_t *out, size_t len)
{
	return access_as(m, sr, addr, out, len, READ);
}

static long virtual_access(struct gdb_stub *g, unsigned cpu, uint64_t addr, void *buf, size_t len, enum access how)
{
	struct gdb_cpu *c = target_cpu(g, cpu);
	if (!c)
		return -EIO;
	return access_as(&g->s->vm.mem, &c->sregs, addr, buf, len, how);
}

long target_read_virt(struct gdb_stub *g, unsigned cpu, uint64_t addr, uint8_t *out, size_t len)
{
	return virtual_access(g, cpu, addr, out, len, READ);
}

static long read_memory(void *t, unsigned cpu, uint64_t addr, uint8_t *out, size_t len)
{
	struct gdb_stub *g = stub(t);
	if (!control_wait_stopped(g))
		return -ESRCH;
	return virtual_access(g, cpu, addr, out, len, READ);
}

static long write_memory(void *t, unsigned cpu, uint64_t addr, const uint8_t *in, size_t len)
{
	struct gdb_stub *g = stub(t);
	if (!control_wait_stopped(g))
		return -ESRCH;
	return virtual_access(g, cpu, addr, (void *)in, len, WRITE);
}

/* ---- run control --------------------------------------------------------------------------------------- */

static int breakpoint(void *t, bool insert, enum gdb_bp_type type, uint64_t addr, uint64_t kind)
{
	return bp_change(stub(t), insert, type, addr, kind);
}

static void resume(void *t, const enum gdb_action *per_cpu)
{
	struct gdb_stub *g = stub(t);
	if (!control_wait_stopped(g)) {
		/* The run ended under gdb: the end is the stop it waits for. */
		struct gdb_stop end = { .why = GDB_WHY_EXITED, .code = 1 };
		gdb_conn_stopped(g->conn, &end);
		return;
	}
	if (!control_resume(g, per_cpu)) {
		server_tell_stop(g, &g->last);
		return;
	}
	pthread_mutex_lock(&g->lock);
	bool served = g->vcpu_serving;
	unsigned leader = g->serving_cpu;
	pthread_mutex_unlock(&g->lock);
	bool stepping = false, others = false;
	for (unsigned i = 0; i < g->s->nvcpus; i++) {
		stepping |= per_cpu[i] == GDB_ACT_STEP;
		others |= per_cpu[i] == GDB_ACT_CONTINUE || (per_cpu[i] == GDB_ACT_STEP && i != leader);
	}
	if (served) {
		/* The serving vCPU keeps the connection through a step of its own
		 * (it stops again in microseconds and answers); anything else may
		 * run long, and the connection thread watches for gdb's interrupt. */
		g->hand_back = others;
		return;
	}
	/* A step ends within microseconds: its stop goes out from here, without
	 * the round through the connection thread's poll. */
	if (stepping && control_await_stop(g, STEP_WAIT_NS))
		server_tell_stop(g, &g->last);
}

static void interrupt(void *t)
{
	struct gdb_stub *g = stub(t);
	pthread_mutex_lock(&g->lock);
	g->interrupted = true;
	pthread_mutex_unlock(&g->lock);
	control_request_stop(g);
}

static void stop_state(void *t, struct gdb_stop *out)
{
	struct gdb_stub *g = stub(t);
	if (!control_wait_stopped(g)) {
		memset(out, 0, sizeof(*out));
		out->why = GDB_WHY_EXITED;
		out->code = 1;
		return;
	}
	*out = g->last;
}

static void describe_cpu(void *t, unsigned cpu, char *buf, size_t len)
{
	struct gdb_stub *g = stub(t);
	struct gdb_cpu *c = control_wait_stopped(g) ? target_cpu(g, cpu) : NULL;
	if (!c) {
		snprintf(buf, len, "vCPU %u", cpu);
		return;
	}
	char at[96];
	if (g->s->syms)
		symtab_describe(g->s->syms, c->regs.rip, at, sizeof(at));
	else
		snprintf(at, sizeof(at), "0x%" PRIx64, (uint64_t)c->regs.rip);
	snprintf(buf, len, "vCPU %u, ring %u, %s", cpu, c->sregs.cs.selector & 3, at);
}

static bool monitor(void *t, unsigned cpu, const char *cmd, struct gdb_conn *c)
{
	return monitor_run(stub(t), cpu, cmd, c);
}

static void detach(void *t)
{
	control_let_go(stub(t));
}

static void kill_run(void *t)
{
	struct gdb_stub *g = stub(t);
	session_end(g->s, RUN_END_DEBUGGER, "gdb ended the run (kill)");
	control_let_go(g);
}

const struct gdb_target_ops gdb_session_ops = {
	.cpus = cpus,
	.read_registers = read_registers,
	.write_register = write_register,
	.read_memory = read_memory,
	.write_memory = write_memory,
	.breakpoint = breakpoint,
	.resume = resume,
	.interrupt = interrupt,
	.monitor = monitor,
	.stop_state = stop_state,
	.describe_cpu = describe_cpu,
	.detach = detach,
	.kill = kill_run,
};
