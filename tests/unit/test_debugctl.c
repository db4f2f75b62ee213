/* SPDX-License-Identifier: MIT */
/* debugctl: stepping and breakpoint slots requested per owner, what reaches
 * KVM, and how a debug exit is explained. */
#include <check.h>
#include "check_run.h"

#include "fixtures/fake_kvm.h"
#include "kvm/debugctl.h"

#define DR6_IDLE 0xffff0ff0ull
#define DR6_BS   (1ull << 14)
#define DR6_B(n) (1ull << (n))
#define STEP     (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP)
#define HW_BP    (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP)

static struct fake_kvm fk;
static struct kvm_vm vm;
static struct kvm_vcpu vcpu;
static uint8_t ram[4096];

static void setup(void)
{
	char err[100];
	fake_kvm_init(&fk);
	kvm_open_vm_on(&vm, &fake_kvm_ops, &fk, ram, sizeof(ram), FAKE_RUN_SIZE);
	ck_assert_int_eq(kvm_create_vcpu(&vm, &vcpu, 0, err, sizeof(err)), 0);
}

START_TEST(stepping_is_on_while_any_owner_wants_it)
{
	struct debugctl d;
	debugctl_init(&d);
	ck_assert(!debugctl_stepping(&d));
	debugctl_want_step(&d, DBG_OWNER_MEASURE, true);
	debugctl_want_step(&d, DBG_OWNER_TRACE, true);
	/* One owner giving up its step does not take the other's. */
	debugctl_want_step(&d, DBG_OWNER_INJECT, false);
	debugctl_want_step(&d, DBG_OWNER_MEASURE, false);
	ck_assert(debugctl_stepping(&d));
	ck_assert(debugctl_owner_steps(&d, DBG_OWNER_TRACE));
	ck_assert(!debugctl_owner_steps(&d, DBG_OWNER_MEASURE));
	debugctl_want_step(&d, DBG_OWNER_TRACE, false);
	ck_assert(!debugctl_stepping(&d));
	ck_assert_str_eq(debugctl_owner_name(DBG_OWNER_DEBUGGER), "debugger");
}
END_TEST

START_TEST(slots_belong_to_their_owner)
{
	struct debugctl d;
	debugctl_init(&d);
	ck_assert_int_eq(debugctl_bp_add(&d, DBG_OWNER_BOUNDARY, 0x1000, 1), 0);
	ck_assert_int_eq(debugctl_bp_add(&d, DBG_OWNER_BOUNDARY, 0x1100, 2), 1);
	/* The same owner at the same address gets its slot back. */
	ck_assert_int_eq(debugctl_bp_add(&d, DBG_OWNER_BOUNDARY, 0x1000, 3), 0);
	ck_assert_int_eq(debugctl_bp(&d, 0)->tag, 3);
	ck_assert_int_eq(debugctl_bp_add(&d, DBG_OWNER_INJECT, 0x1000, 0), 2);
	ck_assert_int_eq(debugctl_bp_add(&d, DBG_OWNER_INJECT, 0x2000, 0), 3);
	ck_assert_int_eq(debugctl_bp_add(&d, DBG_OWNER_TRACE, 0x3000, 0), -1);
	ck_assert_uint_eq(debugctl_free_slots(&d), 0);
	ck_assert_int_eq(debugctl_bp_find(&d, DBG_OWNER_INJECT, 0x1000), 2);
	ck_assert_int_eq(debugctl_bp_find(&d, DBG_OWNER_TRACE, 0x1000), -1);
	debugctl_bp_remove_owner(&d, DBG_OWNER_INJECT);
	ck_assert_uint_eq(debugctl_free_slots(&d), 2);
	ck_assert_ptr_nonnull(debugctl_bp(&d, 0));
	ck_assert_ptr_null(debugctl_bp(&d, 2));
	ck_assert_int_eq(debugctl_bp_add(&d, DBG_OWNER_TRACE, 0x3000, 0), 2);
	debugctl_reset(&d);
	ck_assert_uint_eq(debugctl_free_slots(&d), 4);
	ck_assert_ptr_null(debugctl_bp(&d, 7));
	ck_assert_ptr_null(debugctl_bp(&d, -1));
}
END_TEST

START_TEST(apply_hands_kvm_what_the_owners_want)
{
	struct debugctl d;
	debugctl_init(&d);
	ck_assert_int_eq(debugctl_apply(&d, &vcpu), 0);
	ck_assert_uint_eq(fake_kvm_last_debug(&fk)->control, 0);
	int entry = debugctl_bp_add(&d, DBG_OWNER_BOUNDARY, 0x1000, 1);
	int ret = debugctl_bp_add(&d, DBG_OWNER_BOUNDARY, 0x1100, 2);
	ck_assert_int_eq(debugctl_apply(&d, &vcpu), 0);
	const struct fake_debug_call *c = fake_kvm_last_debug(&fk);
	ck_assert_uint_eq(c->control, HW_BP);
	ck_assert_uint_eq(c->dr7, (1u << 10) | 1u | 4u);
	ck_assert_uint_eq(c->addr[entry], 0x1000);
	ck_assert_uint_eq(c->addr[ret], 0x1100);
	/* Nothing changed: KVM is not asked again. */
	unsigned calls = fk.ndebug;
	ck_assert_int_eq(debugctl_apply(&d, &vcpu), 0);
	ck_assert_uint_eq(fk.ndebug, calls);
	/* A parked slot is off in DR7; a step-over turns the breakpoint it passes off for one step. */
	debugctl_bp_park(&d, ret);
	debugctl_apply(&d, &vcpu);
	ck_assert_uint_eq(fake_kvm_last_debug(&fk)->dr7, (1u << 10) | 1u);
	debugctl_begin_step_over(&d, 0x1000);
	debugctl_apply(&d, &vcpu);
	ck_assert_uint_eq(fake_kvm_last_debug(&fk)->control, STEP);
	ck_assert_uint_eq(fake_kvm_last_debug(&fk)->dr7, 0);
	debugctl_end_step_over(&d);
	debugctl_unpark(&d, DBG_OWNER_BOUNDARY);
	debugctl_want_step(&d, DBG_OWNER_MEASURE, true);
	debugctl_apply(&d, &vcpu);
	ck_assert_uint_eq(fake_kvm_last_debug(&fk)->control, STEP | HW_BP);
	ck_assert_uint_eq(fake_kvm_last_debug(&fk)->dr7, (1u << 10) | 1u | 4u);
	/* Who steps changes, whether it steps does not: the record of who asked
	 * follows.  While stepping, KVM is asked again before every run: it keeps
	 * the guest's TF only at the RIP where stepping was asked for. */
	calls = fk.ndebug;
	debugctl_want_step(&d, DBG_OWNER_TRACE, true);
	debugctl_want_step(&d, DBG_OWNER_MEASURE, false);
	debugctl_apply(&d, &vcpu);
	ck_assert_uint_eq(fk.ndebug, calls + 1);
	ck_assert_uint_eq(fake_kvm_last_debug(&fk)->control, STEP | HW_BP);
	ck_assert_uint_eq(d.live.step_owners, 1u << DBG_OWNER_TRACE);
	debugctl_want_step(&d, DBG_OWNER_TRACE, false);
	debugctl_apply(&d, &vcpu);
	calls = fk.ndebug;
	debugctl_apply(&d, &vcpu);
	ck_assert_uint_eq(fk.ndebug, calls);
}
END_TEST

START_TEST(classify_steps_breakpoints_and_the_guests_own)
{
	struct debugctl d;
	debugctl_init(&d);
	int slot = debugctl_bp_add(&d, DBG_OWNER_BOUNDARY, 0x1000, 1);
	debugctl_apply(&d, &vcpu);
	/* The VMM's breakpoint, by its DR6 bit or with no cause bit at all. */
	struct debug_cause c = debugctl_classify(&d, DR6_IDLE | DR6_B(slot), 0x1000);
	ck_assert(!c.guest && !c.step);
	ck_assert_uint_eq(c.slots, 1u << slot);
	c = debugctl_classify(&d, DR6_IDLE, 0x1000);
	ck_assert_uint_eq(c.slots, 1u << slot);
	/* Not stepping: a single-step trap is the guest's own (its TF), and goes
	 * back with its DR6 as a positive mask. */
	c = debugctl_classify(&d, DR6_IDLE | DR6_BS, 0x401005);
	ck_assert(c.guest);
	ck_assert_uint_eq(c.guest_dr6_payload, DR6_BS);
	/* A breakpoint the VMM did not arm (the guest's own DR0) is the guest's too. */
	c = debugctl_classify(&d, DR6_IDLE | DR6_B(3), 0x5000);
	ck_assert(c.guest);
	ck_assert_uint_eq(c.guest_dr6_payload, DR6_B(3));
	/* Stepping: BS is the VMM's step, for whoever asked. */
	debugctl_want_step(&d, DBG_OWNER_TRACE, true);
	debugctl_apply(&d, &vcpu);
	c = debugctl_classify(&d, DR6_IDLE | DR6_BS, 0x2000);
	ck_assert(c.step && !c.guest);
	ck_assert_uint_eq(c.step_owners, 1u << DBG_OWNER_TRACE);
	ck_assert_uint_eq(c.slots, 0);
	/* A step onto a breakpoint is both; kvm_pvm reports it as the breakpoint only. */
	c = debugctl_classify(&d, DR6_IDLE | DR6_BS, 0x1000);
	ck_assert(c.step);
	ck_assert_uint_eq(c.slots, 1u << slot);
	c = debugctl_classify(&d, DR6_IDLE | DR6_B(slot), 0x1000);
	ck_assert(c.step);
	ck_assert_uint_eq(c.slots, 1u << slot);
	/* A step-over turns the breakpoints at the address it passes off for its
	 * step; the step that lands on another stands before it. */
	int later = debugctl_bp_add(&d, DBG_OWNER_INJECT, 0x1003, 0);
	debugctl_begin_step_over(&d, 0x1000);
	debugctl_apply(&d, &vcpu);
	c = debugctl_classify(&d, DR6_IDLE | DR6_BS, 0x1003);
	ck_assert(c.step);
	ck_assert_uint_eq(c.step_owners, (1u << DBG_OWNER_TRACE) | (1u << DBG_OWNER_STEP_OVER));
	ck_assert_uint_eq(c.slots, 1u << later);
	debugctl_end_step_over(&d);
	debugctl_bp_remove(&d, later);
	debugctl_apply(&d, &vcpu);
	/* What counts is what the vCPU ran with, not what is wanted since. */
	debugctl_want_step(&d, DBG_OWNER_TRACE, false);
	c = debugctl_classify(&d, DR6_IDLE | DR6_BS, 0x2000);
	ck_assert(c.step);
	debugctl_apply(&d, &vcpu);
	c = debugctl_classify(&d, DR6_IDLE | DR6_BS, 0x2000);
	ck_assert(c.guest);
	/* A parked breakpoint explains nothing. */
	debugctl_bp_park(&d, slot);
	debugctl_apply(&d, &vcpu);
	c = debugctl_classify(&d, DR6_IDLE | DR6_B(slot), 0x1000);
	ck_assert(c.guest);
}
END_TEST

START_TEST(watchpoints_take_slots_with_their_kind_and_length)
{
	struct debugctl d;
	debugctl_init(&d);
	int bp = debugctl_bp_add(&d, DBG_OWNER_BOUNDARY, 0x1000, 1);
	/* Only what DR7 can express: 1, 2, 4 or 8 bytes, aligned; write or access. */
	ck_assert_int_eq(debugctl_watch_add(&d, DBG_OWNER_DEBUGGER, 0x2004, 8, DBG_WRITE, 0), -1);
	ck_assert_int_eq(debugctl_watch_add(&d, DBG_OWNER_DEBUGGER, 0x2000, 3, DBG_WRITE, 0), -1);
	ck_assert_int_eq(debugctl_watch_add(&d, DBG_OWNER_DEBUGGER, 0x2000, 8, DBG_EXEC, 0), -1);
	int w8 = debugctl_watch_add(&d, DBG_OWNER_DEBUGGER, 0x2000, 8, DBG_WRITE, 0);
	int a2 = debugctl_watch_add(&d, DBG_OWNER_DEBUGGER, 0x3002, 2, DBG_ACCESS, 0);
	ck_assert_int_ge(w8, 0);
	ck_assert_int_ge(a2, 0);
	/* The same watch again is the same slot; a watch is no instruction breakpoint. */
	ck_assert_int_eq(debugctl_watch_add(&d, DBG_OWNER_DEBUGGER, 0x2000, 8, DBG_WRITE, 0), w8);
	ck_assert_int_eq(debugctl_bp_find(&d, DBG_OWNER_DEBUGGER, 0x2000), -1);
	ck_assert(!debugctl_exec_bp_at(&d, 0x2000, DBG_OWNER_STEP_CATCH));
	ck_assert(debugctl_exec_bp_at(&d, 0x1000, DBG_OWNER_STEP_CATCH));
	ck_assert(!debugctl_exec_bp_at(&d, 0x1000, DBG_OWNER_BOUNDARY));
	ck_assert_int_eq(debugctl_apply(&d, &vcpu), 0);
	uint64_t dr7 = fake_kvm_last_debug(&fk)->dr7;
	/* R/W 01 and LEN 10 (eight bytes) for the write; R/W 11 and LEN 01 (two) for the access. */
	ck_assert_uint_eq((dr7 >> (16 + w8 * 4)) & 0xf, 0x1 | 0x2 << 2);
	ck_assert_uint_eq((dr7 >> (16 + a2 * 4)) & 0xf, 0x3 | 0x1 << 2);
	ck_assert_uint_eq((dr7 >> (16 + bp * 4)) & 0xf, 0);
	ck_assert_uint_eq(dr7 & 0xff, (1u << (bp * 2)) | (1u << (w8 * 2)) | (1u << (a2 * 2)));
	ck_assert_uint_eq(fake_kvm_last_debug(&fk)->addr[w8], 0x2000);
	/* A watchpoint fires after the access: DR6 names it, RIP is anywhere. */
	struct debug_cause c = debugctl_classify(&d, DR6_IDLE | DR6_B(w8), 0x401234);
	ck_assert(!c.guest && !c.step);
	ck_assert_uint_eq(c.slots, 1u << w8);
	/* Without its DR6 bit it explains nothing, even with RIP at its address. */
	c = debugctl_classify(&d, DR6_IDLE | DR6_BS, 0x2000);
	ck_assert(c.guest);
	/* Stepping, a watch that fires ends the step too. */
	debugctl_want_step(&d, DBG_OWNER_DEBUGGER, true);
	debugctl_apply(&d, &vcpu);
	c = debugctl_classify(&d, DR6_IDLE | DR6_B(a2), 0x401234);
	ck_assert(c.step);
	ck_assert_uint_eq(c.slots, 1u << a2);
	/* Passing a breakpoint turns off the instruction breakpoints at its
	 * address only: a watchpoint sees what the passed instruction writes,
	 * a breakpoint elsewhere (a catch after it, where it jumps) fires. */
	debugctl_bp_remove(&d, a2);
	int catch = debugctl_bp_add(&d, DBG_OWNER_STEP_CATCH, 0x1003, 0);
	int same = debugctl_bp_add(&d, DBG_OWNER_DEBUGGER, 0x1000, 0);
	debugctl_begin_step_over(&d, 0x1000);
	debugctl_apply(&d, &vcpu);
	dr7 = fake_kvm_last_debug(&fk)->dr7;
	ck_assert_uint_eq(dr7 & 0xff, (1u << (w8 * 2)) | (1u << (catch * 2)));
	ck_assert_int_ne(same, bp);
}
END_TEST

START_TEST(a_step_is_asked_again_after_the_vmm_moves_the_vcpu)
{
	struct debugctl d;
	debugctl_init(&d);
	debugctl_want_step(&d, DBG_OWNER_DEBUGGER, true);
	ck_assert_int_eq(debugctl_apply(&d, &vcpu), 0);
	unsigned calls = fk.ndebug;
	/* KVM keeps the step for the RIP it had: the new one goes first, then the step. */
	kvm_regs(&vcpu)->rip = 0x401000;
	kvm_mark_regs_dirty(&vcpu);
	ck_assert_int_eq(debugctl_apply(&d, &vcpu), 0);
	ck_assert_uint_eq(fk.regs.rip, 0x401000);
	ck_assert_uint_eq(fk.ndebug, calls + 1);
	ck_assert_uint_eq(fake_kvm_last_debug(&fk)->control, STEP);
	/* Not stepping, registers wait for KVM_RUN as always. */
	debugctl_want_step(&d, DBG_OWNER_DEBUGGER, false);
	debugctl_apply(&d, &vcpu);
	kvm_regs(&vcpu)->rip = 0x402000;
	kvm_mark_regs_dirty(&vcpu);
	calls = fk.ndebug;
	debugctl_apply(&d, &vcpu);
	ck_assert_uint_eq(fk.ndebug, calls);
	ck_assert_uint_eq(fk.regs.rip, 0x401000);
}
END_TEST

START_TEST(nothing_applied_explains_nothing)
{
	struct debugctl d;
	debugctl_init(&d);
	debugctl_want_step(&d, DBG_OWNER_TRACE, true);
	struct debug_cause c = debugctl_classify(&d, DR6_IDLE | DR6_BS, 0x2000);
	ck_assert(c.guest);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("debugctl");
	TCase *tc = tcase_create("all");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, stepping_is_on_while_any_owner_wants_it);
	tcase_add_test(tc, slots_belong_to_their_owner);
	tcase_add_test(tc, apply_hands_kvm_what_the_owners_want);
	tcase_add_test(tc, classify_steps_breakpoints_and_the_guests_own);
	tcase_add_test(tc, watchpoints_take_slots_with_their_kind_and_length);
	tcase_add_test(tc, a_step_is_asked_again_after_the_vmm_moves_the_vcpu);
	tcase_add_test(tc, nothing_applied_explains_nothing);
	suite_add_tcase(s, tc);
	return check_run(s);
}
