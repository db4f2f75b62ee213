/* SPDX-License-Identifier: MIT */
/* The TF that KVM's stepping leaves in what PUSHF and SYSCALL save is taken
 * out after the step; other instructions' results are left alone. */
#include <check.h>
#include "check_run.h"
#include <string.h>

#include "entrybox/x86.h"
#include "fixtures/fake_kvm.h"
#include "pagetables.h"
#include "run/step_hygiene.h"

#define RAM_BYTES (64u * 4096u)
#define CODE_VA   0xffffffff80100000ull
#define STACK_VA  0xffffffff80200000ull

static struct fake_kvm fk;
static struct kvm_vm vm;
static struct kvm_vcpu vcpu;
static uint8_t ram[RAM_BYTES] __attribute__((aligned(4096)));
static uint64_t next_page, pml4;

static void *phys_page(void *ctx, uint64_t pa)
{
	(void)ctx;
	return pa + 4096 <= sizeof(ram) ? ram + pa : NULL;
}

static uint64_t alloc_page(void *ctx)
{
	(void)ctx;
	uint64_t pa = next_page;
	next_page += 4096;
	return pa + 4096 <= sizeof(ram) ? pa : 0;
}

static const struct pt_env env = { .phys_page = phys_page, .alloc_page = alloc_page };

static void setup(void)
{
	char err[100];
	memset(ram, 0, sizeof(ram));
	next_page = 4096;
	pml4 = alloc_page(NULL);
	ck_assert_int_eq(pt_map(&env, pml4, CODE_VA, alloc_page(NULL), 4096, 0, 4096), PT_OK);
	ck_assert_int_eq(pt_map(&env, pml4, STACK_VA, alloc_page(NULL), 4096, PT_W, 4096), PT_OK);
	fake_kvm_init(&fk);
	kvm_open_vm_on(&vm, &fake_kvm_ops, &fk, ram, sizeof(ram), FAKE_RUN_SIZE);
	ck_assert_int_eq(kvm_create_vcpu(&vm, &vcpu, 0, err, sizeof(err)), 0);
	fk.sregs.cr3 = pml4;
}

static void put(uint64_t va, const void *bytes, size_t len)
{
	size_t done = 0;
	ck_assert_int_eq(pt_write_virt(&env, pml4, va, bytes, len, &done), PT_OK);
}

static uint64_t get64(uint64_t va)
{
	uint64_t v = 0;
	size_t done = 0;
	ck_assert_int_eq(pt_read_virt(&env, pml4, va, &v, sizeof(v), &done), PT_OK);
	return v;
}

/* The vCPU at `rip` before the step, at `after_rip` with `rsp` after it. */
static void step(struct step_hygiene *h, uint64_t rip, uint64_t after_rip, uint64_t rsp)
{
	fk.regs.rip = rip;
	kvm_invalidate_regs(&vcpu);
	step_hygiene_before_run(h, &vcpu, true);
	fk.regs.rip = after_rip;
	fk.regs.rsp = rsp;
	kvm_invalidate_regs(&vcpu);
	ck_assert(step_hygiene_after_step(h, &vcpu));
}

START_TEST(pushf_saves_no_tf_of_ours)
{
	static const uint8_t pushfq[] = { 0x9c };
	put(CODE_VA, pushfq, sizeof(pushfq));
	uint64_t saved = RFLAGS_FIXED | RFLAGS_IF | RFLAGS_TF;
	put(STACK_VA + 0xff8, &saved, 8);
	struct step_hygiene h;
	step(&h, CODE_VA, CODE_VA + 1, STACK_VA + 0xff8);
	ck_assert_uint_eq(get64(STACK_VA + 0xff8), RFLAGS_FIXED | RFLAGS_IF);
}
END_TEST

START_TEST(syscall_saves_no_tf_of_ours_in_r11)
{
	static const uint8_t syscall_insn[] = { 0x0f, 0x05 };
	put(CODE_VA, syscall_insn, sizeof(syscall_insn));
	fk.regs.r11 = RFLAGS_FIXED | RFLAGS_IF | RFLAGS_TF;
	struct step_hygiene h;
	step(&h, CODE_VA, 0xffffffff80101000ull, STACK_VA + 0x800);
	/* The change reaches KVM with the next run. */
	ck_assert_uint_eq(kvm_regs(&vcpu)->r11, RFLAGS_FIXED | RFLAGS_IF);
	ck_assert(vcpu.regs_dirty);
}
END_TEST

START_TEST(other_instructions_and_no_stepping_change_nothing)
{
	static const uint8_t push_rax[] = { 0x50 };
	put(CODE_VA, push_rax, sizeof(push_rax));
	uint64_t value = RFLAGS_TF | 0x1234;
	put(STACK_VA + 0xff8, &value, 8);
	struct step_hygiene h;
	step(&h, CODE_VA, CODE_VA + 1, STACK_VA + 0xff8);
	ck_assert_uint_eq(get64(STACK_VA + 0xff8), RFLAGS_TF | 0x1234);
	/* Not stepping: a PUSHF's copy is the guest's own business. */
	static const uint8_t pushfq[] = { 0x9c };
	put(CODE_VA, pushfq, sizeof(pushfq));
	fk.regs.rip = CODE_VA;
	kvm_invalidate_regs(&vcpu);
	step_hygiene_before_run(&h, &vcpu, false);
	fk.regs.rip = CODE_VA + 1;
	kvm_invalidate_regs(&vcpu);
	ck_assert(step_hygiene_after_step(&h, &vcpu));
	ck_assert_uint_eq(get64(STACK_VA + 0xff8), RFLAGS_TF | 0x1234);
}
END_TEST

/* Counts are architectural: a REP string instruction retires once however
 * many iterations TF trapped after.  A port-I/O instruction that exited is
 * one step like any other (kvm_amd finishes it in the step after the exit). */
START_TEST(steps_that_retire_nothing_new_say_so)
{
	static const uint8_t rep_stosb[] = { 0xf3, 0xaa };
	put(CODE_VA, rep_stosb, sizeof(rep_stosb));
	struct step_hygiene h;
	step(&h, CODE_VA, CODE_VA, STACK_VA + 0x800);
	ck_assert_uint_eq(h.retired, 0);
	step(&h, CODE_VA, CODE_VA + 2, STACK_VA + 0x800);
	ck_assert_uint_eq(h.retired, 1);

	static const uint8_t out_dx_eax[] = { 0xef };
	put(CODE_VA, out_dx_eax, sizeof(out_dx_eax));
	struct kvm_run *run = (struct kvm_run *)fk.run_page;
	run->exit_reason = KVM_EXIT_IO;
	step(&h, CODE_VA, CODE_VA + 1, STACK_VA + 0x800);
	ck_assert_uint_eq(h.retired, 1);
	/* A jump to itself retires an instruction each time: only a REP string
	 * instruction stays put without retiring. */
	static const uint8_t jmp_self[] = { 0xeb, 0xfe };
	put(CODE_VA, jmp_self, sizeof(jmp_self));
	step(&h, CODE_VA, CODE_VA, STACK_VA + 0x800);
	ck_assert_uint_eq(h.retired, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("step-hygiene");
	TCase *tc = tcase_create("tf");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, pushf_saves_no_tf_of_ours);
	tcase_add_test(tc, syscall_saves_no_tf_of_ours_in_r11);
	tcase_add_test(tc, other_instructions_and_no_stepping_change_nothing);
	tcase_add_test(tc, steps_that_retire_nothing_new_say_so);
	suite_add_tcase(s, tc);
	return check_run(s);
}
