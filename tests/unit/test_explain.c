/* SPDX-License-Identifier: MIT */
/* The triple-fault explanation without KVM: a tiny machine (page tables,
 * code, an IDT and a TSS in a buffer) and the instruction whose access faults. */
#include <check.h>
#include "check_run.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entrybox/x86.h"
#include "explain/deviations.h"
#include "explain/fault_access.h"
#include "explain/triple_fault.h"

#define RAM_PAGES 64
#define CODE_VA   0xffffffff80100000ull
#define STACK_VA  0x00007fff00000000ull   /* one mapped page; the one below is not */
#define IDT_VA    0xffffffff80200000ull
#define TSS_VA    0xffffffff80201000ull
#define RO_VA     0xffffffff80202000ull

struct machine {
	uint8_t ram[RAM_PAGES * 4096];
	uint64_t next_free;
	uint64_t pml4;
	struct pt_env env;
};

static void *phys_page(void *ctx, uint64_t pa)
{
	struct machine *m = ctx;
	return pa + 4096 <= sizeof(m->ram) ? m->ram + pa : NULL;
}

static uint64_t alloc_page(void *ctx)
{
	struct machine *m = ctx;
	if (m->next_free + 4096 > sizeof(m->ram))
		return 0;
	uint64_t pa = m->next_free;
	m->next_free += 4096;
	memset(m->ram + pa, 0, 4096);
	return pa;
}

static uint64_t map_new(struct machine *m, uint64_t va, uint64_t flags)
{
	uint64_t pa = alloc_page(m);
	ck_assert_int_eq(pt_map(&m->env, m->pml4, va, pa, 4096, flags, 4096), PT_OK);
	return pa;
}

static struct machine *machine_new(void)
{
	struct machine *m = calloc(1, sizeof(*m));
	m->next_free = 4096;
	m->env = (struct pt_env){ .phys_page = phys_page, .alloc_page = alloc_page, .ctx = m };
	m->pml4 = alloc_page(m);
	map_new(m, CODE_VA, 0);
	map_new(m, STACK_VA, PT_W);
	map_new(m, IDT_VA, PT_W);
	map_new(m, TSS_VA, PT_W);
	map_new(m, RO_VA, 0);
	return m;
}

static void put_code(struct machine *m, const uint8_t *code, size_t len)
{
	size_t done = 0;
	ck_assert_int_eq(pt_write_virt(&m->env, m->pml4, CODE_VA, code, len, &done), PT_OK);
}

/* An interrupt gate for `vector` to `target` on IST `ist` (0: none). */
static void put_gate(struct machine *m, unsigned vector, uint64_t target, unsigned ist)
{
	uint8_t g[16] = { 0 };
	g[0] = (uint8_t)target, g[1] = (uint8_t)(target >> 8);
	g[2] = 0x08;
	g[4] = (uint8_t)ist;
	g[5] = 0x8e;
	g[6] = (uint8_t)(target >> 16), g[7] = (uint8_t)(target >> 24);
	uint32_t high = (uint32_t)(target >> 32);
	memcpy(g + 8, &high, 4);
	size_t done = 0;
	ck_assert_int_eq(pt_write_virt(&m->env, m->pml4, IDT_VA + vector * 16, g, 16, &done), PT_OK);
}

static struct fa_cpu cpu_at_code(const struct machine *m, uint64_t rsp)
{
	struct fa_cpu c = { .rip = CODE_VA, .cr3 = m->pml4, .cpl = 0 };
	c.gpr[FA_RSP] = rsp;
	return c;
}

START_TEST(store_through_rsp_into_an_unmapped_page_is_a_write_pf)
{
	struct machine *m = machine_new();
	static const uint8_t mov_rcx_to_stack[] = { 0x48, 0x89, 0x0c, 0x24 }; /* mov %rcx,(%rsp) */
	put_code(m, mov_rcx_to_stack, sizeof(mov_rcx_to_stack));
	struct fa_cpu c = cpu_at_code(m, STACK_VA - 0x1000 + 0x18);
	struct fa_fault f;
	ck_assert(fa_find_fault(&c, &m->env, &f));
	ck_assert_uint_eq(f.vector, VEC_PF);
	ck_assert_uint_eq(f.cr2, STACK_VA - 0x1000 + 0x18);
	ck_assert_uint_eq(f.error_code, PF_ERR_WRITE);
	ck_assert_msg(strstr(f.access, "write of 8 bytes") != NULL, "%s", f.access);
	free(m);
}
END_TEST

START_TEST(push_faults_below_rsp_and_the_same_store_in_a_mapped_page_does_not)
{
	struct machine *m = machine_new();
	static const uint8_t push_rax[] = { 0x50 };
	put_code(m, push_rax, sizeof(push_rax));
	struct fa_cpu c = cpu_at_code(m, STACK_VA);
	struct fa_fault f;
	ck_assert(fa_find_fault(&c, &m->env, &f));
	ck_assert_uint_eq(f.cr2, STACK_VA - 8);
	c.gpr[FA_RSP] = STACK_VA + 0x800;
	ck_assert(!fa_find_fault(&c, &m->env, &f));
	free(m);
}
END_TEST

START_TEST(write_to_a_read_only_page_is_a_protection_pf)
{
	struct machine *m = machine_new();
	static const uint8_t mov_to_rdi[] = { 0x48, 0x89, 0x07 }; /* mov %rax,(%rdi) */
	put_code(m, mov_to_rdi, sizeof(mov_to_rdi));
	struct fa_cpu c = cpu_at_code(m, STACK_VA + 0x800);
	c.gpr[FA_RDI] = RO_VA + 0x10;
	struct fa_fault f;
	ck_assert(fa_find_fault(&c, &m->env, &f));
	ck_assert_uint_eq(f.cr2, RO_VA + 0x10);
	ck_assert_uint_eq(f.error_code, PF_ERR_WRITE | PF_ERR_PRESENT);
	/* LEA touches nothing. */
	static const uint8_t lea[] = { 0x48, 0x8d, 0x07 }; /* lea (%rdi),%rax */
	put_code(m, lea, sizeof(lea));
	ck_assert(!fa_find_fault(&c, &m->env, &f));
	free(m);
}
END_TEST

START_TEST(fetch_from_an_unmapped_page_is_an_instruction_pf)
{
	struct machine *m = machine_new();
	struct fa_cpu c = cpu_at_code(m, STACK_VA + 0x800);
	c.rip = 0xffffffff80400000ull;
	struct fa_fault f;
	ck_assert(fa_find_fault(&c, &m->env, &f));
	ck_assert_uint_eq(f.cr2, c.rip);
	ck_assert_uint_eq(f.error_code, PF_ERR_FETCH);
	free(m);
}
END_TEST

/* The ukl_df=none chain: #PF and #DF without IST on the same, unmapped stack. */
START_TEST(explanation_names_the_access_and_both_failed_deliveries)
{
	struct machine *m = machine_new();
	static const uint8_t mov_rcx_to_stack[] = { 0x48, 0x89, 0x0c, 0x24 };
	put_code(m, mov_rcx_to_stack, sizeof(mov_rcx_to_stack));
	put_gate(m, VEC_PF, CODE_VA + 0x100, 0);
	put_gate(m, VEC_DF, CODE_VA + 0x200, 0);
	struct tf_machine tm = {
		.cpu = cpu_at_code(m, STACK_VA - 0x1000 + 0x18),
		.cr2_valid = false,
		.idt_base = IDT_VA, .idt_limit = 256 * 16 - 1, .tr_base = TSS_VA,
		.first_vector = -1, .provenance = "replayed 3 instructions",
		.env = &m->env,
	};
	char text[600];
	tf_explain(&tm, text, sizeof(text));
	ck_assert_msg(strstr(text, "(replayed 3 instructions)") == text, "%s", text);
	ck_assert_msg(strstr(text, "first exception from the instruction: write of 8 bytes") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "#PF at 0xffffffff80100000") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "#PF without IST, on the same stack") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "#DF without IST, on the same stack") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "-> shutdown") != NULL, "%s", text);

	/* With #DF on an IST stack that is mapped, the chain ends deliverable. */
	uint64_t ist1 = STACK_VA + 0x1000;
	size_t done = 0;
	ck_assert_int_eq(pt_write_virt(&m->env, m->pml4, TSS_VA + TSS_IST(1), &ist1, 8, &done), PT_OK);
	put_gate(m, VEC_DF, CODE_VA + 0x200, 1);
	tf_explain(&tm, text, sizeof(text));
	ck_assert_msg(strstr(text, "#DF on IST1") != NULL && strstr(text, "looks deliverable") != NULL, "%s", text);
	free(m);
}
END_TEST

START_TEST(without_a_faulting_access_or_cr2_the_first_exception_is_unknown)
{
	struct machine *m = machine_new();
	static const uint8_t nop[] = { 0x90 };
	put_code(m, nop, sizeof(nop));
	struct tf_machine tm = {
		.cpu = cpu_at_code(m, STACK_VA + 0x800), .cr2_valid = false,
		.idt_base = IDT_VA, .idt_limit = 0, .tr_base = TSS_VA, .first_vector = -1, .env = &m->env,
	};
	char text[600];
	tf_explain(&tm, text, sizeof(text));
	ck_assert_msg(strstr(text, "first exception is unknown") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "#DF: IDT entry unreadable") != NULL, "%s", text);
	free(m);
}
END_TEST

/* A run of scenario espfix that ended as the guest saw it on kvm_pvm. */
static struct run_result *espfix_run(const char *backend, const char *outcome, const char *expected)
{
	struct run_result *r = calloc(1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	snprintf(r->backend, sizeof(r->backend), "%s", backend);
	snprintf(r->scenario, sizeof(r->scenario), "espfix");
	snprintf(r->outcome, sizeof(r->outcome), "%s", outcome);
	snprintf(r->expected, sizeof(r->expected), "%s", expected);
	snprintf(r->detail, sizeof(r->detail), "task 0: the IRET to the 16-bit SS faulted in ring 0 (on the kernel "
		 "stack; the task got #GP(0x4)): no IRET to an LDT stack segment here");
	return r;
}

START_TEST(espfix_iret_fault_is_pinned_on_pvm_only)
{
	struct run_result *r = espfix_run("pvm", "unsupported", "pass");
	const char *why = deviation_explain(r);
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_nonnull(strstr(why, "LDT"));
	/* With espfix=off the leak was expected: the fault is no leak either. */
	snprintf(r->expected, sizeof(r->expected), "fail");
	ck_assert_ptr_nonnull(deviation_explain(r));
	/* The same symptom elsewhere is no known deviation: svm and TCG return to that SS. */
	snprintf(r->backend, sizeof(r->backend), "svm");
	ck_assert_ptr_null(deviation_explain(r));
	free(r);
	/* A leak is the entry path's, never the backend's. */
	r = espfix_run("pvm", "fail", "pass");
	snprintf(r->detail, sizeof(r->detail), "espfix-leak: task 0 cpu 0: ESP 0x10000ff8 before, 0x00000ff8 after");
	ck_assert_ptr_null(deviation_explain(r));
	free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("explain");
	TCase *tc = tcase_create("fault");
	tcase_add_test(tc, store_through_rsp_into_an_unmapped_page_is_a_write_pf);
	tcase_add_test(tc, push_faults_below_rsp_and_the_same_store_in_a_mapped_page_does_not);
	tcase_add_test(tc, write_to_a_read_only_page_is_a_protection_pf);
	tcase_add_test(tc, fetch_from_an_unmapped_page_is_an_instruction_pf);
	tcase_add_test(tc, explanation_names_the_access_and_both_failed_deliveries);
	tcase_add_test(tc, without_a_faulting_access_or_cr2_the_first_exception_is_unknown);
	suite_add_tcase(s, tc);
	TCase *dev = tcase_create("deviations");
	tcase_add_test(dev, espfix_iret_fault_is_pinned_on_pvm_only);
	suite_add_tcase(s, dev);
	return check_run(s);
}
