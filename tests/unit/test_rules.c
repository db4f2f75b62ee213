/* SPDX-License-Identifier: MIT */
/* Each rule on synthetic vCPU states: the fixture layout, a snapshot built by
 * hand, and a fake guest memory (a few address -> bytes regions, some mapped
 * only under the kernel half of the PGD pairs, as KPTI maps them). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/rules.h"
#include "check/switch_check.h"
#include "check_run.h"
#include "fixtures/layout_fixture.h"
#include "pagetables.h"

#define TSS_SIZE 104u

struct fregion {
	uint64_t gva;
	size_t len;
	bool kernel_only;        /* mapped only under a task's kernel PGD */
	uint8_t bytes[sizeof(struct ebx_pt_regs) > TSS_SIZE ? sizeof(struct ebx_pt_regs) : TSS_SIZE];
};

struct fmem {
	const struct layout *l;
	struct fregion r[48];
	unsigned n;
};

static struct ebx_layout raw;
static struct layout lay;
static struct fmem mem;

static bool is_kernel_pgd(const struct layout *l, uint64_t pgd)
{
	for (unsigned i = 0; i < l->raw.ntasks; i++)
		if (l->raw.tasks[i].kernel_pgd == pgd)
			return true;
	return false;
}

static bool fake_read(void *ctx, uint64_t cr3, uint64_t gva, void *dst, size_t len)
{
	struct fmem *m = ctx;

	for (unsigned i = 0; i < m->n; i++) {
		const struct fregion *r = &m->r[i];
		if (r->kernel_only && !is_kernel_pgd(m->l, cr3 & PT_CR3_PGD_MASK))
			continue;
		if (gva >= r->gva && len <= r->len && gva - r->gva <= r->len - len) {
			memcpy(dst, r->bytes + (gva - r->gva), len);
			return true;
		}
	}
	return false;
}

static struct fregion *mem_put(uint64_t gva, const void *src, size_t len, bool kernel_only)
{
	struct fregion *r = &mem.r[mem.n++];

	ck_assert_uint_le(mem.n, sizeof(mem.r) / sizeof(mem.r[0]));
	ck_assert_uint_le(len, sizeof(r->bytes));
	r->gva = gva;
	r->len = len;
	r->kernel_only = kernel_only;
	memcpy(r->bytes, src, len);
	return r;
}

static struct fregion *mem_find(uint64_t gva)
{
	for (unsigned i = 0; i < mem.n; i++)
		if (mem.r[i].gva == gva)
			return &mem.r[i];
	ck_abort_msg("no fake region at 0x%llx", (unsigned long long)gva);
	return NULL;
}

static void mem_poke64(uint64_t gva, uint64_t val)
{
	for (unsigned i = 0; i < mem.n; i++) {
		struct fregion *r = &mem.r[i];
		if (gva >= r->gva && gva - r->gva + 8 <= r->len) {
			memcpy(r->bytes + (gva - r->gva), &val, 8);
			return;
		}
	}
	ck_abort_msg("no fake region covers 0x%llx", (unsigned long long)gva);
}

/* The TSS as the kpti model leaves it: RSP0 = top of the CPU's entry stack,
 * IST1..4 = tops of its IST stacks.  The cpu_entry_area is in both halves. */
static void put_tss(unsigned c)
{
	uint8_t tss[TSS_SIZE] = { 0 };
	uint64_t v = fx_top(&raw, FX_ST_ENTRY(c));

	memcpy(tss + 4, &v, 8);
	for (unsigned n = 1; n <= 4; n++) {
		v = fx_top(&raw, FX_ST_IST(c, n));
		memcpy(tss + 36 + 8 * (n - 1), &v, 8);
	}
	mem_put(raw.cpus[c].tss_gva, tss, sizeof(tss), false);
}

static void world(bool pti)
{
	uint64_t canary = EBX_STACK_CANARY;
	char err[200];

	fx_build(&raw, pti);
	ck_assert_msg(layout_validate(&raw, sizeof(raw), FX_RAM, &lay, err, sizeof(err)), "%s", err);
	memset(&mem, 0, sizeof(mem));
	mem.l = &lay;
	for (unsigned c = 0; c < FX_NCPUS; c++) {
		uint32_t current = 1;
		put_tss(c);
		mem_put(raw.stacks[FX_ST_ENTRY(c)].base, &canary, 8, false);
		mem_put(raw.cpus[c].current_task_gva, &current, sizeof(current), true);
	}
	for (unsigned t = 0; t < FX_NTASKS; t++)
		mem_put(raw.stacks[FX_ST_TASK(t)].base, &canary, 8, true);
}

static void setup_pti(void)
{
	world(true);
}

/* In the kernel on task 1's kernel stack, outside entry text, on cpu 0. */
static struct vcpu_snap kernel_snap(void)
{
	struct vcpu_snap s = {
		.cpu = 0, .point = SNAP_PLAIN, .cpl = 0,
		.rip = FX_KERNEL_RIP, .rsp = fx_top(&raw, FX_ST_TASK(1)) - 0x100, .rflags = 0x202,
		.cr3 = raw.tasks[1].kernel_pgd, .gs_base = raw.cpus[0].percpu_gva,
		.kernel_gs_base = FX_USER_GS, .tr_base = raw.cpus[0].tss_gva,
		.cs_sel = 0x10, .ss_sel = 0x18, .read_virt = fake_read, .read_ctx = &mem,
	};
	return s;
}

/* Task 1 in ring 3 on its user stack, on cpu 0. */
static struct vcpu_snap user_snap(void)
{
	struct vcpu_snap s = kernel_snap();

	s.cpl = 3;
	s.rip = FX_USER_RIP;
	s.rsp = fx_top(&raw, FX_ST_USER) - 0x100;
	s.cr3 = raw.tasks[1].user_pgd;
	s.gs_base = FX_USER_GS;
	s.kernel_gs_base = raw.cpus[0].percpu_gva;
	s.cs_sel = 0x33;
	s.ss_sel = 0x2b;
	return s;
}

/* The first instruction of the syscall entry: CPL 0, everything else the user's. */
static struct vcpu_snap boundary_snap(void)
{
	struct vcpu_snap s = user_snap();

	s.point = SNAP_USER_BOUNDARY;
	s.cpl = 0;
	s.rip = FX_SYSCALL_ENTRY;
	s.rflags = 0x002;
	s.cs_sel = 0x10;
	s.ss_sel = 0x18;
	return s;
}

static void expect_pass(const char *rule, const struct vcpu_snap *s)
{
	const struct rule *r = rules_find(rule);
	struct violation v = { .rule = rule, .detail = "" };

	ck_assert_ptr_nonnull(r);
	ck_assert_msg(r->check(s, &lay, &v), "%s failed: %s", rule, v.detail);
}

static void expect_fail(const char *rule, const struct vcpu_snap *s, const char *needle)
{
	const struct rule *r = rules_find(rule);
	struct violation v = { .rule = rule, .detail = "" };

	ck_assert_ptr_nonnull(r);
	ck_assert_msg(!r->check(s, &lay, &v), "%s passed, expected a violation with '%s'", rule, needle);
	ck_assert_msg(strstr(v.detail, needle), "%s detail '%s' lacks '%s'", rule, v.detail, needle);
	ck_assert_msg(!strchr(v.detail, '\n'), "%s detail spans lines", rule);
}

static void expect_clean(const struct vcpu_snap *s)
{
	struct violation out[8];
	size_t n = rules_check_all(s, &lay, out, 8);

	ck_assert_msg(n == 0, "%zu violations, first %s: %s", n, n ? out[0].rule : "", n ? out[0].detail : "");
}

/* ---- the table ---- */

START_TEST(table_rows)
{
	static const char *const names[] = { "cr3-user-mode", "user-cr3-only-in-entry", "user-cr3-kernel-access",
		"gs-base", "stack-bounds", "tss-rsp0", "ist", "if-off-on-entry-stack", "stack-owner", "sysret-ss",
		"ukl-in-user" };
	size_t n = 0;
	const struct rule *t = rules_table(&n);

	ck_assert_uint_eq(n, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(t[i].name, names[i]);
		ck_assert_ptr_eq(rules_find(names[i]), &t[i]);
		ck_assert_uint_gt(strlen(t[i].summary), 10);
		ck_assert_ptr_nonnull(t[i].check);
	}
	ck_assert_ptr_null(rules_find("no-such-rule"));
	ck_assert_ptr_null(rules_find(NULL));
}
END_TEST

START_TEST(clean_states_pass_all_rules)
{
	struct vcpu_snap s;

	for (int pti = 1; pti >= 0; pti--) {
		world(pti);
		s = kernel_snap();
		expect_clean(&s);
		s = user_snap();
		if (!pti)
			s.cr3 = raw.tasks[1].kernel_pgd;
		expect_clean(&s);
		s = boundary_snap();
		if (!pti)
			s.cr3 = raw.tasks[1].kernel_pgd;
		expect_clean(&s);
	}
}
END_TEST

START_TEST(check_all_counts_and_truncates)
{
	struct vcpu_snap s = user_snap();
	struct violation out[1] = { { 0 } };

	s.cr3 = raw.tasks[1].kernel_pgd;            /* cr3-user-mode */
	s.gs_base = raw.cpus[0].percpu_gva;         /* gs-base */
	ck_assert_uint_eq(rules_check_all(&s, &lay, out, 1), 2);
	ck_assert_str_eq(out[0].rule, "cr3-user-mode");
	ck_assert_uint_eq(rules_check_all(&s, &lay, NULL, 0), 2);
	lay.valid = false;
	ck_assert_uint_eq(rules_check_all(&s, &lay, out, 1), 0);
	expect_fail("gs-base", &s, "no validated layout");
}
END_TEST

/* ---- cr3-user-mode ---- */

START_TEST(cr3_user_mode_kernel_pgd)
{
	struct vcpu_snap s = user_snap();
	char want[96];

	s.cr3 = raw.tasks[1].kernel_pgd;
	snprintf(want, sizeof(want), "CPL3 with CR3=0x%llx: kernel PGD of task 1 (pti=on expects user PGD 0x%llx)",
		 (unsigned long long)raw.tasks[1].kernel_pgd, (unsigned long long)raw.tasks[1].user_pgd);
	expect_fail("cr3-user-mode", &s, want);
	s = boundary_snap();
	s.cr3 = raw.tasks[1].kernel_pgd;
	expect_fail("cr3-user-mode", &s, "user boundary");
	/* The kernel itself runs on the kernel PGD: no judgement there. */
	s = kernel_snap();
	expect_pass("cr3-user-mode", &s);
}
END_TEST

START_TEST(cr3_user_mode_pti_off)
{
	struct vcpu_snap s;

	world(false);
	s = user_snap();
	s.cr3 = raw.tasks[1].kernel_pgd;
	expect_pass("cr3-user-mode", &s);
	s.cr3 = 0x300000;
	expect_fail("cr3-user-mode", &s, "belongs to no task (pti=off)");
}
END_TEST

START_TEST(cr3_user_mode_unknown_pgd)
{
	struct vcpu_snap s = user_snap();

	s.cr3 = 0x301000;
	expect_fail("cr3-user-mode", &s, "PGD 0x301000 belongs to no task");
}
END_TEST

START_TEST(cr3_user_mode_pcid)
{
	struct vcpu_snap s;

	raw.pcid = 1;
	ck_assert(layout_validate(&raw, sizeof(raw), FX_RAM, &lay, NULL, 0));
	s = user_snap();
	s.cr3 = raw.tasks[1].user_pgd | 0x801;
	expect_pass("cr3-user-mode", &s);
	s.cr3 = raw.tasks[1].user_pgd;
	expect_fail("cr3-user-mode", &s, "PCID 0x000");
	s.cr3 = raw.tasks[1].user_pgd | 0x001;
	expect_fail("cr3-user-mode", &s, "PCID 0x001 (pti=on, pcid=on expects a user PCID with bit 11 set)");
}
END_TEST

START_TEST(cr3_user_mode_other_tasks_pgd)
{
	struct vcpu_snap s = user_snap();
	uint32_t id = 2;

	/* cpu 0 switched to task 2 but returned to user mode on task 1's PGD. */
	memcpy(mem_find(raw.cpus[0].current_task_gva)->bytes, &id, 4);
	expect_fail("cr3-user-mode", &s, "cpu 0 runs task 2 (expects its PGD 0x105000)");
	s.cr3 = raw.tasks[2].user_pgd;
	expect_pass("cr3-user-mode", &s);
	/* No task running (the guest's main thread): nothing to compare with. */
	id = 0xffffffffu;
	memcpy(mem_find(raw.cpus[0].current_task_gva)->bytes, &id, 4);
	s.cr3 = raw.tasks[1].user_pgd;
	expect_pass("cr3-user-mode", &s);
}
END_TEST

/* ---- user-cr3-only-in-entry ---- */

START_TEST(user_cr3_outside_entry_text)
{
	struct vcpu_snap s = kernel_snap();

	s.cr3 = raw.tasks[1].user_pgd;
	expect_fail("user-cr3-only-in-entry", &s, "RIP=0xffffffff81010000 outside entry text");
	s.rip = FX_SYSCALL_ENTRY + 0x20;
	expect_pass("user-cr3-only-in-entry", &s);
	s.point = SNAP_RETURN_POINT;
	s.rip = FX_SYSCALL_RETURN;
	expect_pass("user-cr3-only-in-entry", &s);
	s.rip = FX_KERNEL_RIP;
	expect_fail("user-cr3-only-in-entry", &s, "user PGD of task 1");
	/* User mode itself is the other rule's business. */
	s = user_snap();
	expect_pass("user-cr3-only-in-entry", &s);
}
END_TEST

START_TEST(user_cr3_pti_off_has_no_user_half)
{
	struct vcpu_snap s;

	world(false);
	s = kernel_snap();
	s.cr3 = raw.tasks[1].user_pgd;
	expect_pass("user-cr3-only-in-entry", &s);
}
END_TEST

/* ---- gs-base ---- */

START_TEST(gs_user_mode_holds_percpu)
{
	struct vcpu_snap s = user_snap();

	s.gs_base = raw.cpus[0].percpu_gva;
	expect_fail("gs-base", &s, "GS.base=0xffffffff82000000: percpu of cpu 0");
	s.gs_base = raw.cpus[1].percpu_gva;    /* another CPU's percpu is no better */
	expect_fail("gs-base", &s, "percpu of cpu 1");
	s.gs_base = FX_USER_GS;
	s.kernel_gs_base = raw.cpus[1].percpu_gva;
	expect_fail("gs-base", &s, "KERNEL_GS_BASE=0xffffffff82010000: expects cpu 0 percpu 0xffffffff82000000");
	s = boundary_snap();
	s.gs_base = raw.cpus[0].percpu_gva;
	s.kernel_gs_base = FX_USER_GS;
	expect_fail("gs-base", &s, "user boundary with GS.base");
}
END_TEST

START_TEST(gs_kernel_outside_entry_text)
{
	struct vcpu_snap s = kernel_snap();

	s.gs_base = FX_USER_GS;
	s.kernel_gs_base = raw.cpus[0].percpu_gva;
	expect_fail("gs-base", &s, "GS.base=0x6f0000: expects cpu 0 percpu");
	s.cpu = 1;
	s.gs_base = raw.cpus[1].percpu_gva;
	s.tr_base = raw.cpus[1].tss_gva;
	expect_pass("gs-base", &s);
	s.cpu = 2;
	expect_fail("gs-base", &s, "cpu 2 is not in the layout (ncpus=2)");
}
END_TEST

START_TEST(gs_in_entry_text_exactly_one)
{
	struct vcpu_snap s = kernel_snap();

	s.rip = FX_SYSCALL_ENTRY + 3;
	expect_pass("gs-base", &s);                   /* after swapgs */
	s.gs_base = FX_USER_GS;
	s.kernel_gs_base = raw.cpus[0].percpu_gva;
	expect_pass("gs-base", &s);                   /* before swapgs */
	s.gs_base = raw.cpus[0].percpu_gva;
	expect_fail("gs-base", &s, "expects exactly one");
	s.gs_base = s.kernel_gs_base = FX_USER_GS;
	expect_fail("gs-base", &s, "expects exactly one");
}
END_TEST

/* With CR4.FSGSBASE user mode writes GS itself, a per-CPU address included:
 * only KERNEL_GS_BASE still tells whether the kernel kept its part. */
START_TEST(gs_user_may_write_gs_with_fsgsbase)
{
	struct vcpu_snap s = user_snap();

	s.cr4 |= 1ull << 16;
	s.gs_base = raw.cpus[0].percpu_gva;
	expect_pass("gs-base", &s);
	s.kernel_gs_base = FX_USER_GS;               /* a missing swapgs still shows */
	expect_fail("gs-base", &s, "KERNEL_GS_BASE=0x6f0000");
	s = kernel_snap();
	s.cr4 |= 1ull << 16;
	s.rip = FX_SYSCALL_ENTRY;                    /* before swapgs, the user's GS = the percpu */
	s.gs_base = s.kernel_gs_base = raw.cpus[0].percpu_gva;
	expect_pass("gs-base", &s);
	s.gs_base = s.kernel_gs_base = FX_USER_GS;
	expect_fail("gs-base", &s, "expects exactly one");
}
END_TEST

/* ---- stack-bounds ---- */

START_TEST(stack_guard_page)
{
	struct vcpu_snap s = kernel_snap();

	s.rsp = raw.stacks[FX_ST_TASK(1)].base - 0x10;
	expect_fail("stack-bounds", &s, "in a guard page below stack \"task1-kstack\"");
	s.rsp = fx_top(&raw, FX_ST_ENTRY(0)) + 0x10;
	expect_fail("stack-bounds", &s, "guard page above stack \"cpu0-entry\"");
}
END_TEST

START_TEST(stack_canary)
{
	struct vcpu_snap s = kernel_snap();

	mem_poke64(raw.stacks[FX_ST_TASK(1)].base, 0x4141414141414141ull);
	expect_fail("stack-bounds", &s, "canary of stack \"task1-kstack\" at 0xffffc90000010000 is 0x4141414141414141");
	/* Unreadable counts as broken: nothing vouches for the stack then. */
	mem_find(raw.stacks[FX_ST_TASK(1)].base)->gva = 0x1000;
	expect_fail("stack-bounds", &s, "unreadable");
	/* A stack without a canary only gets the bounds checked. */
	s.rsp = fx_top(&raw, FX_ST_PTI(1)) - 0x80;
	expect_pass("stack-bounds", &s);
}
END_TEST

START_TEST(stack_canary_read_through_kernel_half)
{
	/* Entry code on user CR3 with RSP on the task stack: the canary page is
	 * mapped only in the kernel half, and is still checked. */
	struct vcpu_snap s = kernel_snap();

	s.rip = FX_SYSCALL_ENTRY + 0x30;
	s.cr3 = raw.tasks[1].user_pgd;
	expect_pass("stack-bounds", &s);
	mem_poke64(raw.stacks[FX_ST_TASK(1)].base, 0);
	expect_fail("stack-bounds", &s, "is 0x0 (expected 0x57ac4ca7a57ac4ca)");
}
END_TEST

START_TEST(stack_about_to_overflow)
{
	struct vcpu_snap s = kernel_snap();

	s.rsp = raw.stacks[FX_ST_TASK(1)].base + 0x38;
	expect_fail("stack-bounds", &s, "within 64 bytes of base 0xffffc90000010000 of stack \"task1-kstack\"");
	s.rsp = raw.stacks[FX_ST_TASK(1)].base + 0x40;
	expect_pass("stack-bounds", &s);
}
END_TEST

START_TEST(stack_kernel_rsp_nowhere)
{
	struct vcpu_snap s = kernel_snap();

	s.rsp = 0xffff888000100000ull;
	expect_fail("stack-bounds", &s, "RSP=0xffff888000100000 in no registered stack");
	s.rsp = fx_top(&raw, FX_ST_USER) - 0x100;
	expect_fail("stack-bounds", &s, "on non-kernel stack \"user1-stack\"");
	s.rsp = raw.stacks[FX_ST_UKL].base + 0x1000;
	expect_fail("stack-bounds", &s, "on non-kernel stack \"ukl-app-stack\"");
}
END_TEST

START_TEST(stack_syscall_window)
{
	struct vcpu_snap s = kernel_snap();

	/* Between SYSCALL and the stack switch RSP is still the user's. */
	s.rip = FX_SYSCALL_ENTRY + 8;
	s.rsp = fx_top(&raw, FX_ST_USER) - 0x100;
	expect_pass("stack-bounds", &s);
	s.rsp = 0x00000000000ff000ull;
	expect_pass("stack-bounds", &s);
	s.rsp = 0xffff888000100000ull;
	expect_fail("stack-bounds", &s, "in no registered stack");
	/* ... unless it is exactly what user mode left (syscall-bad-rsp). */
	s.user_rsp_known = true;
	s.user_rsp = 0xffff888000100000ull;
	expect_pass("stack-bounds", &s);
	s.user_rsp = 0x8000000000000000ull;
	expect_fail("stack-bounds", &s, "in no registered stack");
	s.rsp = 0x8000000000000000ull;
	expect_pass("stack-bounds", &s);
	s.rip = FX_KERNEL_RIP;                        /* only entry code may run on it */
	expect_fail("stack-bounds", &s, "in no registered stack");
}
END_TEST

/* ---- sysret-ss ---- */

START_TEST(sysret_with_null_ss)
{
	static const uint8_t sysretq[3] = { 0x48, 0x0f, 0x07 }, sysretl[2] = { 0x0f, 0x07 }, iretq[2] = { 0x48, 0xcf };
	struct vcpu_snap s = kernel_snap();

	mem_put(FX_SYSCALL_RETURN, sysretq, sizeof(sysretq), false);
	s.point = SNAP_RETURN_POINT;
	s.rip = FX_SYSCALL_RETURN;
	s.rsp = fx_top(&raw, FX_ST_USER) - 0x100;
	expect_pass("sysret-ss", &s);
	s.ss_sel = 0;
	expect_fail("sysret-ss", &s, "SS=0x0 (null");
	s.point = SNAP_PLAIN;                         /* judged at the return point only */
	expect_pass("sysret-ss", &s);
	s.point = SNAP_RETURN_POINT;
	mem_put(FX_SYSCALL_RETURN + 0x10, sysretl, sizeof(sysretl), false);
	s.rip = FX_SYSCALL_RETURN + 0x10;
	expect_fail("sysret-ss", &s, "SS=0x0");
	mem_put(FX_SYSCALL_RETURN + 0x20, iretq, sizeof(iretq), false);
	s.rip = FX_SYSCALL_RETURN + 0x20;             /* IRET loads SS from its frame */
	expect_pass("sysret-ss", &s);
}
END_TEST

START_TEST(stack_empty_top_counts)
{
	struct vcpu_snap s = kernel_snap();

	/* RSP just loaded from RSP0: equal to the top, nothing pushed yet. */
	s.rsp = fx_top(&raw, FX_ST_ENTRY(0));
	s.rflags = 0x002;
	expect_pass("stack-bounds", &s);
	s.rflags = 0x202;
	expect_fail("if-off-on-entry-stack", &s, "shared stack \"cpu0-entry\"");
}
END_TEST

START_TEST(stack_user_rsp_in_kernel_stack)
{
	struct vcpu_snap s = user_snap();

	s.rsp = fx_top(&raw, FX_ST_TASK(0)) - 0x20;
	expect_fail("stack-bounds", &s, "CPL3 RSP=0xffffc90000003fe0 inside kernel stack \"task0-kstack\"");
	s.rsp = raw.stacks[FX_ST_TASK(0)].base - 0x20;
	expect_fail("stack-bounds", &s, "(guard page)");
	s.rsp = 0x10000;                    /* an unregistered user address: fine */
	expect_pass("stack-bounds", &s);
	s.rsp = raw.stacks[FX_ST_USER].base + 0x10;   /* about to run off its own stack */
	expect_fail("stack-bounds", &s, "about to overflow");
}
END_TEST

/* ---- tss-rsp0 ---- */

START_TEST(tss_rsp0_entry_policy)
{
	struct vcpu_snap s = kernel_snap();
	char want[128];

	mem_poke64(raw.cpus[0].tss_gva + 4, fx_top(&raw, FX_ST_TASK(1)));
	snprintf(want, sizeof(want), "TSS.RSP0=0x%llx: expects 0x%llx (top of \"cpu0-entry\", the landing stack of cpu 0)",
		 (unsigned long long)fx_top(&raw, FX_ST_TASK(1)), (unsigned long long)fx_top(&raw, FX_ST_ENTRY(0)));
	expect_fail("tss-rsp0", &s, want);
	/* Under the user half the TSS is still readable (cpu_entry_area). */
	s = user_snap();
	expect_fail("tss-rsp0", &s, want);
	mem_poke64(raw.cpus[0].tss_gva + 4, fx_top(&raw, FX_ST_ENTRY(0)));
	expect_pass("tss-rsp0", &s);
}
END_TEST

START_TEST(tss_rsp0_tr_and_unreadable)
{
	struct vcpu_snap s = kernel_snap();

	s.tr_base = raw.cpus[1].tss_gva;
	expect_fail("tss-rsp0", &s, "TR.base=0xfffffe0000041000: expects cpu 0 TSS 0xfffffe0000001000");
	s.tr_base = raw.cpus[0].tss_gva;
	mem_find(raw.cpus[0].tss_gva)->gva = 0x2000;
	expect_fail("tss-rsp0", &s, "TSS.RSP0 at 0xfffffe0000001004 unreadable");
}
END_TEST

static void set_policy(enum fx_landing where)
{
	fx_land_on(&raw, where);
	ck_assert(layout_validate(&raw, sizeof(raw), FX_RAM, &lay, NULL, 0));
}

START_TEST(stack_owner_rules)
{
	struct vcpu_snap s = kernel_snap();
	uint32_t two = 2;
	expect_pass("stack-owner", &s);
	/* Task 1 runs, but RSP is on task 2's kernel stack. */
	s.rsp = fx_top(&raw, FX_ST_TASK(2)) - 0x100;
	expect_fail("stack-owner", &s, "task 1 runs on \"task2-kstack\", which belongs to task 2");
	/* cpu 0 on cpu 1's per-vCPU stack. */
	s.rsp = fx_top(&raw, FX_ST_VCPU(1)) - 0x100;
	expect_fail("stack-owner", &s, "cpu 0 runs on \"vcpu1-stack\", which belongs to cpu 1");
	/* Its own per-vCPU stack holding task 1's frame (saved user RSP on task 1's user stack). */
	struct ebx_pt_regs frame = { .cs = raw.user_cs, .ss = raw.user_ss, .rsp = fx_top(&raw, FX_ST_USER) - 0x40 };
	uint64_t frame_gva = fx_top(&raw, FX_ST_VCPU(0)) - sizeof(frame);
	mem_put(frame_gva, &frame, sizeof(frame), false);
	s.rsp = frame_gva - 0x80;
	expect_pass("stack-owner", &s);
	/* Task 2 now runs on cpu 0 while task 1's frame is still live there. */
	memcpy(mem_find(raw.cpus[0].current_task_gva)->bytes, &two, 4);
	expect_fail("stack-owner", &s, "\"vcpu0-stack\" holds the live frame of task 1 while task 2 runs");
	/* RSP above the frame: the frame is dead, nothing to judge. */
	s.rsp = fx_top(&raw, FX_ST_VCPU(0));
	expect_pass("stack-owner", &s);
}
END_TEST

START_TEST(ukl_in_user_agrees_with_the_cpu)
{
	uint32_t word = 0;
	raw.cpus[0].in_user_gva = raw.cpus[0].current_task_gva + 0x80;
	ck_assert(layout_validate(&raw, sizeof(raw), FX_RAM, &lay, NULL, 0));
	mem_put(raw.cpus[0].in_user_gva, &word, sizeof(word), true);
	struct vcpu_snap s = kernel_snap();
	expect_pass("ukl-in-user", &s);
	/* Kernel code claiming to be the application. */
	word = 1;
	memcpy(mem_find(raw.cpus[0].in_user_gva)->bytes, &word, 4);
	expect_fail("ukl-in-user", &s, "in_user=1 (application) but RIP=");
	/* The application on its own stack is what in_user=1 means. */
	s.rsp = fx_top(&raw, FX_ST_UKL) - 0x200;
	expect_pass("ukl-in-user", &s);
	expect_pass("stack-bounds", &s);
	word = 0;
	memcpy(mem_find(raw.cpus[0].in_user_gva)->bytes, &word, 4);
	expect_fail("ukl-in-user", &s, "in_user=0 (kernel) but RSP=");
	word = 2;
	memcpy(mem_find(raw.cpus[0].in_user_gva)->bytes, &word, 4);
	expect_fail("ukl-in-user", &s, "in_user=2 (entry/exit) but RIP=");
	s.rip = FX_ENTRY_START + 0x10;
	expect_pass("ukl-in-user", &s);
	word = 7;
	memcpy(mem_find(raw.cpus[0].in_user_gva)->bytes, &word, 4);
	expect_fail("ukl-in-user", &s, "in_user=7 (expects 0, 1 or 2)");
}
END_TEST

START_TEST(tss_rsp0_task_policies)
{
	struct vcpu_snap s = kernel_snap();
	uint32_t two = 2;

	set_policy(FX_LAND_TASK);
	expect_fail("tss-rsp0", &s, "(top of \"task1-kstack\", the landing stack of task 1)");
	mem_poke64(raw.cpus[0].tss_gva + 4, fx_top(&raw, FX_ST_TASK(1)));
	expect_pass("tss-rsp0", &s);
	/* The current task changed but RSP0 was not updated. */
	memcpy(mem_find(raw.cpus[0].current_task_gva)->bytes, &two, 4);
	expect_fail("tss-rsp0", &s, "(top of \"task2-kstack\", the landing stack of task 2)");

	set_policy(FX_LAND_PTI);
	mem_poke64(raw.cpus[0].tss_gva + 4, fx_top(&raw, FX_ST_PTI(2)));
	expect_pass("tss-rsp0", &s);
	/* current_task is mapped only in the kernel half; still found from user CR3. */
	s = user_snap();
	expect_pass("tss-rsp0", &s);
	two = 9;
	memcpy(mem_find(raw.cpus[0].current_task_gva)->bytes, &two, 4);
	expect_fail("tss-rsp0", &s, "current task 9 of cpu 0 has no landing stack");
	/* A kernel thread (no registered task) at CPL 0: nothing can enter from
	 * ring 3 until the next switch, so RSP0 is not judged. */
	s = kernel_snap();
	expect_pass("tss-rsp0", &s);
	s.point = SNAP_USER_BOUNDARY;
	expect_fail("tss-rsp0", &s, "current task 9 of cpu 0 has no landing stack");
	s = user_snap();
	mem_find(raw.cpus[0].current_task_gva)->gva = 0x3000;
	expect_fail("tss-rsp0", &s, "current task at 0xffffffff82000100 unreadable");
}
END_TEST

START_TEST(tss_rsp0_vcpu_policy)
{
	struct vcpu_snap s = kernel_snap();

	set_policy(FX_LAND_VCPU);
	expect_fail("tss-rsp0", &s, "(top of \"vcpu0-stack\", the landing stack of cpu 0)");
	mem_poke64(raw.cpus[0].tss_gva + 4, fx_top(&raw, FX_ST_VCPU(0)));
	expect_pass("tss-rsp0", &s);
}
END_TEST

/* ---- ist ---- */

START_TEST(ist_pointer_wrong)
{
	struct vcpu_snap s = kernel_snap();
	char want[128];

	mem_poke64(raw.cpus[0].tss_gva + 36 + 8, fx_top(&raw, FX_ST_IST(0, 3)));
	snprintf(want, sizeof(want), "TSS.IST2=0x%llx (vector 2): expects 0x%llx (top of \"cpu0-ist-nmi\")",
		 (unsigned long long)fx_top(&raw, FX_ST_IST(0, 3)), (unsigned long long)fx_top(&raw, FX_ST_IST(0, 2)));
	expect_fail("ist", &s, want);
	/* cpu 1's TSS is intact. */
	s.cpu = 1;
	s.tr_base = raw.cpus[1].tss_gva;
	expect_pass("ist", &s);
}
END_TEST

START_TEST(ist_unused_slot_ignored_and_missing_stack)
{
	struct vcpu_snap s = kernel_snap();

	/* IST5 is used by no vector, so whatever it holds is not judged. */
	mem_poke64(raw.cpus[0].tss_gva + 36 + 8 * 4, 0xdeadbeef);
	expect_pass("ist", &s);
	raw.ist_of_vector[13] = 5;
	ck_assert(layout_validate(&raw, sizeof(raw), FX_RAM, &lay, NULL, 0));
	expect_fail("ist", &s, "vector 13 uses IST5 but cpu 0 has no IST5 stack");
}
END_TEST

/* ---- if-off-on-entry-stack ---- */

START_TEST(if_on_entry_stack)
{
	struct vcpu_snap s = kernel_snap();

	s.rip = FX_SYSCALL_ENTRY + 0x10;
	s.rsp = fx_top(&raw, FX_ST_ENTRY(0)) - 0x28;
	s.rflags = 0x246;
	expect_fail("if-off-on-entry-stack", &s, "RFLAGS=0x246 (IF=1, expects IF=0) with RSP=0xfffffe0000004fd8 on shared stack");
	s.rflags = 0x046;
	expect_pass("if-off-on-entry-stack", &s);
	s.rflags = 0x202;
	s.rsp = fx_top(&raw, FX_ST_IST(0, 1)) - 0x100;
	expect_fail("if-off-on-entry-stack", &s, "on shared IST stack \"cpu0-ist-df\"");
	s.rsp = fx_top(&raw, FX_ST_TASK(1)) - 0x100;   /* task stack: interrupts may be on */
	expect_pass("if-off-on-entry-stack", &s);
	s = user_snap();                                /* user mode: always IF=1 */
	expect_pass("if-off-on-entry-stack", &s);
}
END_TEST

/* ---- user-cr3-kernel-access ---- */

/* Kernel code in entry text on the user half of task 1's pair, on cpu 0's entry stack. */
static struct vcpu_snap entry_on_user_cr3(void)
{
	struct vcpu_snap s = kernel_snap();
	s.rip = FX_ENTRY_START + 0x40;
	s.rsp = fx_top(&raw, FX_ST_ENTRY(0)) - 0x80;
	s.rflags = 0x002;
	s.cr3 = raw.tasks[1].user_pgd;
	return s;
}

START_TEST(user_cr3_kernel_stack_as_rsp)
{
	struct vcpu_snap s = entry_on_user_cr3();
	expect_pass("user-cr3-kernel-access", &s);
	/* The PTI stack is mapped in the user PGD. */
	s.rsp = fx_top(&raw, FX_ST_PTI(1)) - 0x80;
	expect_pass("user-cr3-kernel-access", &s);
	s.rsp = fx_top(&raw, FX_ST_TASK(1)) - 0x80;
	expect_fail("user-cr3-kernel-access", &s, "RSP=0xffffc90000013f80 on kernel stack \"task1-kstack\", which the user PGD 0x103000 of task 1 does not map");
	/* On the kernel half, or with pti=off, the kernel stack is where it belongs. */
	s.cr3 = raw.tasks[1].kernel_pgd;
	expect_pass("user-cr3-kernel-access", &s);
	world(false);
	s = entry_on_user_cr3();
	s.cr3 = raw.tasks[1].kernel_pgd;
	s.rsp = fx_top(&raw, FX_ST_TASK(1)) - 0x80;
	expect_pass("user-cr3-kernel-access", &s);
}
END_TEST

START_TEST(user_cr3_kernel_only_page_touched)
{
	struct vcpu_snap s = entry_on_user_cr3();
	uint64_t kaddr = fx_top(&raw, FX_ST_TASK(1)) - 8;
	uint64_t zero = 0;
	mem_put(kaddr, &zero, sizeof(zero), true);
	s.point = SNAP_FAULT;
	s.fault_vector = 14;
	s.fault_error = 0x2;
	s.cr2 = kaddr;
	expect_fail("user-cr3-kernel-access", &s,
		    "CPL0 wrote 0xffffc90000013ff8 (\"task1-kstack\", kernel-only) with CR3=0x103000, the user PGD 0x103000 of task 1 (#PF error 0x2)");
	/* A read, a fetch. */
	s.fault_error = 0x0;
	expect_fail("user-cr3-kernel-access", &s, "CPL0 read 0xffffc90000013ff8");
	s.fault_error = 0x10;
	expect_fail("user-cr3-kernel-access", &s, "CPL0 fetched");
	/* A #PF on a page no half maps is no kernel-only page: not this rule's. */
	s.cr2 = 0xffffc90000900000ull;
	expect_pass("user-cr3-kernel-access", &s);
	/* The same address in a #GP says nothing about CR2. */
	s.cr2 = kaddr;
	s.fault_vector = 13;
	expect_pass("user-cr3-kernel-access", &s);
	/* A user-mode fault is the user's business. */
	s.fault_vector = 14;
	s.cpl = 3;
	expect_pass("user-cr3-kernel-access", &s);
}
END_TEST

/* ---- switch-live-frame ---- */

START_TEST(switch_leaving_with_frames_on_a_shared_stack)
{
	struct switch_cpu_state cpu = { 0 };
	struct violation v = { .rule = SWITCH_RULE, .detail = "" };
	struct vcpu_snap s = kernel_snap();
	struct ebx_ev_switch out = { .task = 1, .flags = EBX_SWITCH_OUT };
	s.point = SNAP_SWITCH;
	/* On its own kernel stack: nothing to leave behind. */
	ck_assert_msg(switch_check(&s, &lay, &out, &cpu, &v), "%s", v.detail);
	/* On the CPU's entry stack: the next task lands there. */
	s.rsp = fx_top(&raw, FX_ST_ENTRY(0)) - 0x200;
	ck_assert(!switch_check(&s, &lay, &out, &cpu, &v));
	ck_assert_msg(strstr(v.detail, "task 1 leaves cpu 0 with its live frames on shared stack \"cpu0-entry\""), "%s", v.detail);
	/* Exited or killed: its frames are dead. */
	out.flags |= EBX_SWITCH_ENDED;
	ck_assert(switch_check(&s, &lay, &out, &cpu, &v));
}
END_TEST

START_TEST(switch_pinned_cpu_takes_only_its_task)
{
	struct switch_cpu_state cpu = { 0 };
	struct violation v = { .rule = SWITCH_RULE, .detail = "" };
	struct vcpu_snap s = kernel_snap();
	s.point = SNAP_SWITCH;
	s.rsp = fx_top(&raw, FX_ST_VCPU(0)) - 0x200;
	struct ebx_ev_switch out = { .task = 1, .flags = EBX_SWITCH_OUT | EBX_SWITCH_RESERVED };
	ck_assert_msg(switch_check(&s, &lay, &out, &cpu, &v), "%s", v.detail);
	ck_assert(cpu.pinned && cpu.task == 1);
	/* Another task on the reserved CPU would enter on that stack. */
	struct ebx_ev_switch in = { .task = 2, .flags = 0 };
	s.rsp = raw.stacks[FX_ST_BOOT(0)].base + 0x1000;
	ck_assert(!switch_check(&s, &lay, &in, &cpu, &v));
	ck_assert_msg(strstr(v.detail, "task 2 comes in on cpu 0, reserved for task 1 whose live frames are on \"vcpu0-stack\""),
		      "%s", v.detail);
	/* The task it waits for ends the reservation. */
	in.task = 1;
	ck_assert(switch_check(&s, &lay, &in, &cpu, &v));
	ck_assert(!cpu.pinned);
	in.task = 2;
	ck_assert(switch_check(&s, &lay, &in, &cpu, &v));
}
END_TEST

START_TEST(switch_record_checked)
{
	struct switch_cpu_state cpu = { 0 };
	struct violation v = { .rule = SWITCH_RULE, .detail = "" };
	struct vcpu_snap s = kernel_snap();
	struct ebx_ev_switch ev = { .task = 9, .flags = EBX_SWITCH_OUT };
	ck_assert(!switch_check(&s, &lay, &ev, &cpu, &v));
	ck_assert_msg(strstr(v.detail, "names task 9"), "%s", v.detail);
	ev = (struct ebx_ev_switch){ .task = 1, .flags = 0x80 };
	ck_assert(!switch_check(&s, &lay, &ev, &cpu, &v));
	ck_assert_msg(strstr(v.detail, "unknown flags 0x80"), "%s", v.detail);
}
END_TEST

static Suite *rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("rules");

	tcase_add_checked_fixture(tc, setup_pti, NULL);
	tcase_add_test(tc, table_rows);
	tcase_add_test(tc, user_cr3_kernel_stack_as_rsp);
	tcase_add_test(tc, user_cr3_kernel_only_page_touched);
	tcase_add_test(tc, switch_leaving_with_frames_on_a_shared_stack);
	tcase_add_test(tc, switch_pinned_cpu_takes_only_its_task);
	tcase_add_test(tc, switch_record_checked);
	tcase_add_test(tc, clean_states_pass_all_rules);
	tcase_add_test(tc, check_all_counts_and_truncates);
	tcase_add_test(tc, cr3_user_mode_kernel_pgd);
	tcase_add_test(tc, cr3_user_mode_pti_off);
	tcase_add_test(tc, cr3_user_mode_unknown_pgd);
	tcase_add_test(tc, cr3_user_mode_pcid);
	tcase_add_test(tc, cr3_user_mode_other_tasks_pgd);
	tcase_add_test(tc, user_cr3_outside_entry_text);
	tcase_add_test(tc, user_cr3_pti_off_has_no_user_half);
	tcase_add_test(tc, gs_user_mode_holds_percpu);
	tcase_add_test(tc, gs_kernel_outside_entry_text);
	tcase_add_test(tc, gs_in_entry_text_exactly_one);
	tcase_add_test(tc, gs_user_may_write_gs_with_fsgsbase);
	tcase_add_test(tc, sysret_with_null_ss);
	tcase_add_test(tc, stack_guard_page);
	tcase_add_test(tc, stack_canary);
	tcase_add_test(tc, stack_canary_read_through_kernel_half);
	tcase_add_test(tc, stack_about_to_overflow);
	tcase_add_test(tc, stack_kernel_rsp_nowhere);
	tcase_add_test(tc, stack_syscall_window);
	tcase_add_test(tc, stack_empty_top_counts);
	tcase_add_test(tc, stack_user_rsp_in_kernel_stack);
	tcase_add_test(tc, tss_rsp0_entry_policy);
	tcase_add_test(tc, tss_rsp0_tr_and_unreadable);
	tcase_add_test(tc, tss_rsp0_task_policies);
	tcase_add_test(tc, ukl_in_user_agrees_with_the_cpu);
	tcase_add_test(tc, stack_owner_rules);
	tcase_add_test(tc, tss_rsp0_vcpu_policy);
	tcase_add_test(tc, ist_pointer_wrong);
	tcase_add_test(tc, ist_unused_slot_ignored_and_missing_stack);
	tcase_add_test(tc, if_on_entry_stack);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(rules_suite());
}
