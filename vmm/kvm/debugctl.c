/* SPDX-License-Identifier: MIT */
#include "kvm/debugctl.h"

#include <string.h>
#include "entrybox/x86.h"

#define DR6_CAUSES          0xe00full          /* B0-B3, BD, BS, BT */
#define DR6_ACTIVE_LOW      0xffff0ff0ull      /* the bits DR6 reads as 1 when nothing happened */
#define OWNER_BIT(o)        (1u << (o))

static const char *const owner_names[DBG_OWNERS] = {
	[DBG_OWNER_BOUNDARY] = "boundary", [DBG_OWNER_STEP_OVER] = "step-over",
	[DBG_OWNER_STEP_CATCH] = "step-catch", [DBG_OWNER_MEASURE] = "measure",
	[DBG_OWNER_TRACE] = "trace", [DBG_OWNER_INJECT] = "inject", [DBG_OWNER_DEBUGGER] = "debugger",
	[DBG_OWNER_FAULTS] = "faults",
};

const char *debugctl_owner_name(enum dbg_owner o)
{
	return (unsigned)o < DBG_OWNERS ? owner_names[o] : "?";
}

void debugctl_init(struct debugctl *d)
{
	memset(d, 0, sizeof(*d));
	d->changed = true;
}

void debugctl_reset(struct debugctl *d)
{
	bool used = d->hw_bp_used;
	debugctl_init(d);
	d->hw_bp_used = used;
}

static bool valid_slot(int slot)
{
	return slot >= 0 && slot < DBG_SLOTS;
}

/* ---- stepping ---- */

void debugctl_want_step(struct debugctl *d, enum dbg_owner o, bool on)
{
	if ((unsigned)o >= DBG_OWNERS)
		return;
	unsigned before = d->step_owners;
	if (on)
		d->step_owners |= OWNER_BIT(o);
	else
		d->step_owners &= ~OWNER_BIT(o);
	if ((before != 0) != (d->step_owners != 0))
		d->changed = true;
}

bool debugctl_owner_steps(const struct debugctl *d, enum dbg_owner o)
{
	return (unsigned)o < DBG_OWNERS && (d->step_owners & OWNER_BIT(o));
}

bool debugctl_stepping(const struct debugctl *d)
{
	return d->step_owners != 0;
}

unsigned debugctl_live_step_owners(const struct debugctl *d)
{
	return d->live.valid ? d->live.step_owners : 0;
}

/* ---- breakpoints ---- */

static int find_slot(const struct debugctl *d, enum dbg_owner o, uint64_t addr, enum dbg_kind kind, unsigned len)
{
	for (int i = 0; i < DBG_SLOTS; i++) {
		const struct debugctl_slot *s = &d->slot[i];
		if (s->armed && s->owner == o && s->addr == addr && s->kind == kind && s->len == len)
			return i;
	}
	return -1;
}

int debugctl_bp_find(const struct debugctl *d, enum dbg_owner o, uint64_t addr)
{
	return find_slot(d, o, addr, DBG_EXEC, 1);
}

bool debugctl_exec_bp_at(const struct debugctl *d, uint64_t addr, enum dbg_owner except)
{
	for (int i = 0; i < DBG_SLOTS; i++) {
		const struct debugctl_slot *s = &d->slot[i];
		if (s->armed && !s->parked && s->kind == DBG_EXEC && s->addr == addr && s->owner != except)
			return true;
	}
	return false;
}

static int arm_slot(struct debugctl *d, enum dbg_owner o, uint64_t addr, enum dbg_kind kind, unsigned len, int tag)
{
	int held = find_slot(d, o, addr, kind, len);
	if (held >= 0) {
		d->slot[held].tag = tag;
		return held;
	}
	for (int i = 0; i < DBG_SLOTS; i++) {
		if (!d->slot[i].armed) {
			d->slot[i] = (struct debugctl_slot){ .armed = true, .owner = o, .tag = tag, .addr = addr,
							     .kind = kind, .len = len };
			d->changed = true;
			return i;
		}
	}
	return -1;
}

int debugctl_bp_add(struct debugctl *d, enum dbg_owner o, uint64_t addr, int tag)
{
	return arm_slot(d, o, addr, DBG_EXEC, 1, tag);
}

int debugctl_watch_add(struct debugctl *d, enum dbg_owner o, uint64_t addr, unsigned len, enum dbg_kind kind,
		       int tag)
{
	bool len_ok = len == 1 || len == 2 || len == 4 || len == 8;
	if (!len_ok || (addr & (len - 1)) != 0 || (kind != DBG_WRITE && kind != DBG_ACCESS))
		return -1;
	return arm_slot(d, o, addr, kind, len, tag);
}

void debugctl_bp_remove(struct debugctl *d, int slot)
{
	if (!valid_slot(slot) || !d->slot[slot].armed)
		return;
	memset(&d->slot[slot], 0, sizeof(d->slot[slot]));
	d->changed = true;
}

void debugctl_bp_remove_owner(struct debugctl *d, enum dbg_owner o)
{
	for (int i = 0; i < DBG_SLOTS; i++)
		if (d->slot[i].armed && d->slot[i].owner == o)
			debugctl_bp_remove(d, i);
}

const struct debugctl_slot *debugctl_bp(const struct debugctl *d, int slot)
{
	return valid_slot(slot) && d->slot[slot].armed ? &d->slot[slot] : NULL;
}

unsigned debugctl_free_slots(const struct debugctl *d)
{
	unsigned n = 0;
	for (int i = 0; i < DBG_SLOTS; i++)
		n += !d->slot[i].armed;
	return n;
}

void debugctl_bp_park(struct debugctl *d, int slot)
{
	if (valid_slot(slot) && d->slot[slot].armed && !d->slot[slot].parked) {
		d->slot[slot].parked = true;
		d->changed = true;
	}
}

void debugctl_unpark(struct debugctl *d, enum dbg_owner o)
{
	for (int i = 0; i < DBG_SLOTS; i++) {
		if (d->slot[i].armed && d->slot[i].owner == o && d->slot[i].parked) {
			d->slot[i].parked = false;
			d->changed = true;
		}
	}
}

/* ---- passing a breakpoint ---- */

void debugctl_begin_step_over(struct debugctl *d, uint64_t addr)
{
	if (!debugctl_owner_steps(d, DBG_OWNER_STEP_OVER) || d->over_addr != addr) {
		d->step_owners |= OWNER_BIT(DBG_OWNER_STEP_OVER);
		d->over_addr = addr;
		d->changed = true;
	}
}

void debugctl_end_step_over(struct debugctl *d)
{
	if (debugctl_owner_steps(d, DBG_OWNER_STEP_OVER)) {
		d->step_owners &= ~OWNER_BIT(DBG_OWNER_STEP_OVER);
		d->changed = true;
	}
}

bool debugctl_stepping_over(const struct debugctl *d)
{
	return debugctl_owner_steps(d, DBG_OWNER_STEP_OVER);
}

/* ---- KVM ---- */

/* DR7's LEN field: 00 one byte, 01 two, 11 four, 10 eight. */
static uint64_t dr7_len_bits(unsigned len)
{
	switch (len) {
	case 2: return 1;
	case 4: return 3;
	case 8: return 2;
	default: return 0;
	}
}

int debugctl_apply(struct debugctl *d, struct kvm_vcpu *vcpu)
{
	/* KVM arms a single step for the RIP it holds at KVM_SET_GUEST_DEBUG and
	 * leaves TF out once RIP is set to anything else: a RIP the VMM rewrote
	 * (a repair, a hypercall) goes to KVM first.  While stepping,
	 * KVM_SET_GUEST_DEBUG then goes again before every run: an instruction
	 * KVM completes itself (the OUT of a port-I/O exit, the string I/O of
	 * the console) rewrites RFLAGS without TF, so on kvm_amd the steps after
	 * such an exit would silently stop. */
	if (d->step_owners && (vcpu->regs_dirty || vcpu->sregs_dirty)) {
		if (kvm_flush_regs(vcpu) < 0)
			return -1;
	}
	if (!d->changed && d->live.valid && !d->step_owners) {
		/* Who wants the next step may change without KVM seeing a difference. */
		d->live.step_owners = d->step_owners;
		return 0;
	}
	struct debugctl_live live = { .valid = true, .step_owners = d->step_owners };
	uint64_t dr7 = 0;
	bool over = debugctl_stepping_over(d);
	for (int i = 0; i < DBG_SLOTS; i++) {
		const struct debugctl_slot *s = &d->slot[i];
		/* Passing a breakpoint turns the instruction breakpoints at its
		 * address off for the step; every other slot still watches. */
		bool off_for_step = over && s->kind == DBG_EXEC && s->addr == d->over_addr;
		if (s->armed && !s->parked && !off_for_step) {
			/* An instruction breakpoint is R/W=00, LEN=00. */
			dr7 |= DR7_L(i) | (uint64_t)s->kind << DR7_RW_SHIFT(i) |
			       dr7_len_bits(s->len) << DR7_LEN_SHIFT(i);
			live.enabled_slots |= 1u << i;
			if (s->kind != DBG_EXEC)
				live.data_slots |= 1u << i;
			live.addr[i] = s->addr;
		}
	}
	uint32_t control = 0;
	if (dr7)
		control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
	if (d->step_owners)
		control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
	if (dr7)
		dr7 |= DR7_FIXED;
	if (kvm_set_guest_debug(vcpu, control, live.addr, dr7) < 0)
		return -1;
	d->hw_bp_used |= dr7 != 0;
	d->live = live;
	d->changed = false;
	return 0;
}

/* ---- explaining a debug exit ---- */

/* Armed, unparked instruction breakpoints at rip: a step that lands there
 * stands before them, whether or not they were on for that step (a step-over
 * turns the ones at the address it passes off). */
static unsigned armed_at(const struct debugctl *d, uint64_t rip)
{
	unsigned slots = 0;
	for (int i = 0; i < DBG_SLOTS; i++) {
		const struct debugctl_slot *s = &d->slot[i];
		if (s->armed && !s->parked && s->kind == DBG_EXEC && s->addr == rip)
			slots |= 1u << i;
	}
	return slots;
}

struct debug_cause debugctl_classify(const struct debugctl *d, uint64_t dr6, uint64_t rip)
{
	struct debug_cause c = { .step = false };
	const struct debugctl_live *live = &d->live;
	bool stepping = live->valid && live->step_owners != 0;
	bool any_cause = (dr6 & DR6_CAUSES) != 0;
	unsigned fired = 0, data_fired = 0;
	for (int i = 0; i < DBG_SLOTS; i++) {
		if (!(live->enabled_slots & (1u << i)))
			continue;
		if (live->data_slots & (1u << i)) {
			if (dr6 & DR6_B(i))
				data_fired |= 1u << i;
			continue;
		}
		if (live->addr[i] != rip)
			continue;
		if ((dr6 & DR6_B(i)) || !any_cause || stepping)
			fired |= 1u << i;
	}
	c.step = stepping && ((dr6 & DR6_BS) || (fired | data_fired) != 0);
	c.step_owners = c.step ? live->step_owners : 0;
	c.slots = (c.step ? armed_at(d, rip) : fired) | data_fired;
	c.guest = !c.step && c.slots == 0;
	if (c.guest)
		c.guest_dr6_payload = (dr6 ^ DR6_ACTIVE_LOW) & DR6_CAUSES;
	return c;
}
