/* SPDX-License-Identifier: MIT */
/*
 * gdb's breakpoints and watchpoints.  The table is the stub's; each vCPU
 * places it into its own debug state (bp_sync, on its own thread): data
 * watchpoints and Z1 breakpoints in the hardware slots the VMM leaves free,
 * Z0 breakpoints in what is left, and every breakpoint the hardware would not
 * fire there (kvm_pvm fires none in ring 3, and slots run out) found by
 * single-stepping instead.
 *
 * The VMM keeps slots for itself: the syscall boundary's two (three with
 * entry=ukl's application entry), one to catch a step kvm_pvm does not
 * report, one per --inject LOC.  gdb never gets those,
 * even before the VMM has armed them, so the VMM's own checks never lose a
 * slot to the debugger.  The rest are gdb's budget: a Z1 breakpoint or a
 * watchpoint beyond it is refused (E1c, which gdb reports as too many
 * hardware breakpoints), never accepted and dropped.  The fault watch holds
 * what nobody uses and gives it back when gdb's table needs it
 * (fault_watch_yield): gdb asked for a breakpoint, the watch only hoped for
 * one, and the result names the exceptions it then did not judge.
 */
#include <errno.h>
#include <string.h>

#include "inject/inject_spec.h"
#include "run/fault_watch.h"
#include "stub_internal.h"

#define X86_BREAKPOINT_KIND 1u     /* gdb's kind of an x86 breakpoint: the length of int3 */
#define KERNEL_HALF         0xffff800000000000ull
#define BOUNDARY_SLOTS      2u

/* entry=ukl adds the ring-0 applications' syscall entry to the boundary. */
static bool ring0_applications(const struct session *s)
{
	const char *cmdline = s->cfg->cmdline;
	for (const char *p = cmdline ? strstr(cmdline, "entry=ukl") : NULL; p; p = strstr(p + 1, "entry=ukl")) {
		char after = p[strlen("entry=ukl")];
		if ((p == cmdline || p[-1] == ' ') && (after == '\0' || after == ' '))
			return true;
	}
	return false;
}

unsigned bp_vmm_reserve(const struct session *s)
{
	unsigned n = BOUNDARY_SLOTS + (ring0_applications(s) ? 1 : 0);
	if (s->backend == BACKEND_PVM || s->backend == BACKEND_UNKNOWN)
		n++;
	for (size_t i = 0; i < s->cfg->ninject; i++) {
		const struct inject_spec *spec = &s->cfg->inject[i];
		/* pf-user-stack without @LOC waits for the scenario's inject point. */
		if (!inject_spec_is_sweep(spec) && (spec->kind != INJ_PF_USER_STACK || inject_spec_has_loc(spec)))
			n++;
	}
	return n < DBG_SLOTS ? n : DBG_SLOTS;
}

bool bp_fires_at(const struct session *s, uint64_t addr)
{
	if (s->backend == BACKEND_PVM || s->backend == BACKEND_UNKNOWN)
		return addr >= KERNEL_HALF;
	return true;
}

bool bp_watches_fire(const struct session *s)
{
	return s->backend != BACKEND_PVM && s->backend != BACKEND_UNKNOWN;
}

static bool is_watch(enum gdb_bp_type t)
{
	return t == GDB_WP_WRITE || t == GDB_WP_ACCESS;
}

/* [addr, addr+len) as the aligned 1, 2, 4 and 8 byte pieces a debug register
 * watches; how many, or max + 1 when more would be needed. */
static unsigned split(uint64_t addr, uint64_t len, uint64_t *at, unsigned *size, unsigned max)
{
	unsigned n = 0;
	while (len > 0) {
		unsigned piece = 8;
		while (piece > 1 && ((addr & (piece - 1)) != 0 || piece > len))
			piece >>= 1;
		if (n == max)
			return max + 1;
		at[n] = addr;
		size[n] = piece;
		n++;
		addr += piece;
		len -= piece;
	}
	return n;
}

/* Under lock: the slots an entry cannot do without. */
static unsigned slots_needed(const struct gdb_stub *g, const struct gdb_bp *bp)
{
	uint64_t at[GDB_MAX_CHUNKS];
	unsigned size[GDB_MAX_CHUNKS];
	if (is_watch(bp->type))
		return bp_watches_fire(g->s) ? split(bp->addr, bp->len, at, size, GDB_MAX_CHUNKS) : 0;
	return bp->type == GDB_BP_HW && bp_fires_at(g->s, bp->addr) ? 1 : 0;
}

static int find(const struct gdb_stub *g, enum gdb_bp_type type, uint64_t addr, uint64_t len)
{
	for (unsigned i = 0; i < g->nbps; i++)
		if (g->bps[i].type == type && g->bps[i].addr == addr && g->bps[i].len == len)
			return (int)i;
	return -1;
}

static int insert(struct gdb_stub *g, const struct gdb_bp *bp)
{
	if (find(g, bp->type, bp->addr, bp->len) >= 0)
		return 0;
	if (g->nbps == GDB_MAX_BPS)
		return -ENOSPC;
	unsigned need = slots_needed(g, bp);
	for (unsigned i = 0; i < g->nbps; i++)
		need += slots_needed(g, &g->bps[i]);
	if (need > g->slot_budget)
		return -ENOSPC;
	g->bps[g->nbps++] = *bp;
	return 0;
}

static void remove_at(struct gdb_stub *g, int i)
{
	if (i < 0)
		return;
	g->bps[i] = g->bps[--g->nbps];
}

int bp_change(struct gdb_stub *g, bool insert_it, enum gdb_bp_type type, uint64_t addr, uint64_t kind)
{
	/* x86 cannot watch reads alone: gdb then asks for an access watchpoint. */
	if (type == GDB_WP_READ)
		return -EOPNOTSUPP;
	struct gdb_bp bp = { .type = type, .addr = addr, .len = is_watch(type) ? kind : 1 };
	if (!is_watch(type) && kind != X86_BREAKPOINT_KIND)
		return -EINVAL;
	if (is_watch(type) && (kind == 0 || addr + kind < addr))
		return -EINVAL;
	/* Without data breakpoints a write is found by the bytes it changed; a
	 * read leaves nothing to find. */
	if (is_watch(type) && !bp_watches_fire(g->s) && (type != GDB_WP_WRITE || kind > GDB_WATCH_MAX))
		return type == GDB_WP_WRITE ? -ENOSPC : -EOPNOTSUPP;
	pthread_mutex_lock(&g->lock);
	int rc = 0;
	if (insert_it)
		rc = insert(g, &bp);
	else
		remove_at(g, find(g, bp.type, bp.addr, bp.len));
	atomic_fetch_add(&g->bp_generation, 1);
	pthread_mutex_unlock(&g->lock);
	return rc;
}

void bp_clear(struct gdb_stub *g)
{
	pthread_mutex_lock(&g->lock);
	g->nbps = 0;
	atomic_fetch_add(&g->bp_generation, 1);
	pthread_mutex_unlock(&g->lock);
}

int bp_type_at(struct gdb_stub *g, uint64_t addr)
{
	int type = -1;
	pthread_mutex_lock(&g->lock);
	for (unsigned i = 0; i < g->nbps; i++)
		if (!is_watch(g->bps[i].type) && g->bps[i].addr == addr && (type < 0 || g->bps[i].type == GDB_BP_HW))
			type = (int)g->bps[i].type;
	pthread_mutex_unlock(&g->lock);
	return type;
}

/* ---- placing the table on one vCPU -------------------------------------------------------------------- */

struct placement {
	struct gdb_stub *g;
	struct vcpu_state *v;
	unsigned used;            /* slots taken, at most g->slot_budget */
};

static bool take_slot(struct placement *p, int slot)
{
	if (slot < 0)
		return false;
	p->used++;
	return true;
}

static void emulate(struct placement *p, const struct gdb_bp *bp)
{
	struct gdb_vcpu *gv = &p->g->vcpu[p->v->vcpu.index];
	if (gv->nemulated < GDB_MAX_BPS) {
		gv->emulated[gv->nemulated] = bp->addr;
		gv->emulated_hw[gv->nemulated] = bp->type == GDB_BP_HW;
		gv->nemulated++;
	}
}

/* The bytes under the watchpoint as the vCPU sees them now. */
static void look(struct gdb_stub *g, struct vcpu_state *v, struct gdb_watch *w)
{
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	w->readable = sr && target_read_as(&g->s->vm.mem, sr, w->addr, w->value, w->len) == (long)w->len;
}

static void watch_by_stepping(struct placement *p, const struct gdb_bp *bp)
{
	struct gdb_vcpu *gv = &p->g->vcpu[p->v->vcpu.index];
	if (gv->nwatches == GDB_MAX_BPS)
		return;
	struct gdb_watch *w = &gv->watches[gv->nwatches++];
	w->addr = bp->addr;
	w->len = (unsigned)bp->len;
	look(p->g, p->v, w);
}

uint64_t bp_watch_changed(struct gdb_stub *g, struct vcpu_state *v)
{
	struct gdb_vcpu *gv = &g->vcpu[v->vcpu.index];
	uint64_t hit = 0;
	for (unsigned i = 0; i < gv->nwatches; i++) {
		struct gdb_watch *w = &gv->watches[i];
		uint8_t before[GDB_WATCH_MAX];
		bool was = w->readable;
		memcpy(before, w->value, w->len);
		look(g, v, w);
		if (!hit && was && w->readable && memcmp(before, w->value, w->len) != 0)
			hit = w->addr;
	}
	return hit;
}

static void place_watch(struct placement *p, const struct gdb_bp *bp)
{
	if (!bp_watches_fire(p->g->s)) {
		watch_by_stepping(p, bp);
		return;
	}
	uint64_t at[GDB_MAX_CHUNKS];
	unsigned size[GDB_MAX_CHUNKS];
	unsigned n = split(bp->addr, bp->len, at, size, GDB_MAX_CHUNKS);
	enum dbg_kind kind = bp->type == GDB_WP_WRITE ? DBG_WRITE : DBG_ACCESS;
	bool all = n <= GDB_MAX_CHUNKS;
	for (unsigned i = 0; i < n && i < GDB_MAX_CHUNKS; i++)
		all &= p->used < p->g->slot_budget &&
		       take_slot(p, debugctl_watch_add(&p->v->dbg, DBG_OWNER_DEBUGGER, at[i], size[i], kind,
						       (int)bp->type));
	/* A write watchpoint short of a slot is still found, by stepping. */
	if (!all && bp->type == GDB_WP_WRITE && bp->len <= GDB_WATCH_MAX)
		watch_by_stepping(p, bp);
}

/* The slots the table would use on this vCPU (within gdb's budget), and
 * room made for them: slots nobody holds beyond those the VMM keeps, then
 * the fault watch's. */
static void make_room(struct gdb_stub *g, struct vcpu_state *v, const struct gdb_bp *table, unsigned n)
{
	unsigned want = 0;
	for (unsigned i = 0; i < n; i++) {
		if (is_watch(table[i].type))
			want += slots_needed(g, &table[i]);
		else if (bp_fires_at(g->s, table[i].addr))
			want++;
	}
	if (want > g->slot_budget)
		want = g->slot_budget;
	bp_make_room(g, v, want);
}

void bp_make_room(struct gdb_stub *g, struct vcpu_state *v, unsigned want)
{
	unsigned held_by_vmm = 0;
	for (int i = 0; i < DBG_SLOTS; i++) {
		const struct debugctl_slot *slot = debugctl_bp(&v->dbg, i);
		if (slot && slot->owner != DBG_OWNER_DEBUGGER && slot->owner != DBG_OWNER_FAULTS)
			held_by_vmm++;
	}
	unsigned reserve = bp_vmm_reserve(g->s);
	unsigned kept = reserve > held_by_vmm ? reserve - held_by_vmm : 0;
	unsigned free_slots = debugctl_free_slots(&v->dbg);
	unsigned room = free_slots > kept ? free_slots - kept : 0;
	if (want > room)
		fault_watch_yield(v, want - room);
}

static void place_breakpoint(struct placement *p, const struct gdb_bp *bp)
{
	bool placed = bp_fires_at(p->g->s, bp->addr) && p->used < p->g->slot_budget &&
		      take_slot(p, debugctl_bp_add(&p->v->dbg, DBG_OWNER_DEBUGGER, bp->addr, (int)bp->type));
	if (!placed)
		emulate(p, bp);
}

void bp_sync(struct gdb_stub *g, struct vcpu_state *v)
{
	struct gdb_bp table[GDB_MAX_BPS];
	pthread_mutex_lock(&g->lock);
	unsigned n = g->nbps;
	memcpy(table, g->bps, n * sizeof(table[0]));
	unsigned generation = atomic_load(&g->bp_generation);
	pthread_mutex_unlock(&g->lock);

	struct gdb_vcpu *gv = &g->vcpu[v->vcpu.index];
	struct placement p = { .g = g, .v = v };
	debugctl_bp_remove_owner(&v->dbg, DBG_OWNER_DEBUGGER);
	gv->nemulated = 0;
	gv->nwatches = 0;
	make_room(g, v, table, n);
	/* What needs a slot first, then Z0 breakpoints where slots are left. */
	for (unsigned i = 0; i < n; i++)
		if (is_watch(table[i].type))
			place_watch(&p, &table[i]);
	for (unsigned i = 0; i < n; i++)
		if (table[i].type == GDB_BP_HW)
			place_breakpoint(&p, &table[i]);
	for (unsigned i = 0; i < n; i++)
		if (table[i].type == GDB_BP_SW)
			place_breakpoint(&p, &table[i]);
	gv->emulating = gv->nemulated > 0 || gv->nwatches > 0;
	gv->bp_generation = generation;
}
