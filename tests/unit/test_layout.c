/* SPDX-License-Identifier: MIT */
/* layout_validate accepts the fixture and rejects each bad field with a line naming it;
 * the lookups classify addresses the way the rules rely on. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check/layout.h"
#include "check_run.h"
#include "fixtures/layout_fixture.h"

static struct ebx_layout raw;
static struct layout lay;
static char err[256];

static bool validate(void)
{
	return layout_validate(&raw, sizeof(raw), FX_RAM, &lay, err, sizeof(err));
}

static void setup_pti(void)
{
	fx_build(&raw, true);
}

START_TEST(valid_pti_and_nopti)
{
	ck_assert_msg(validate(), "pti=1 fixture rejected: %s", err);
	ck_assert(lay.valid);
	ck_assert_str_eq(err, "");
	fx_build(&raw, false);
	ck_assert_msg(validate(), "pti=0 fixture rejected: %s", err);
}
END_TEST

START_TEST(valid_edge_cases)
{
	raw.syscall_return = 0;                 /* a model without a sysretq exit */
	raw.ntasks = 0;                         /* no task yet: drop task-owned stacks */
	raw.nstacks = FX_NCPUS * FX_ST_PER_CPU;
	raw.ncpus = 2;
	raw.kernel_ss = 0;                      /* a null SS is legal at CPL 0 */
	ck_assert_msg(validate(), "rejected: %s", err);
}
END_TEST

START_TEST(valid_user_stacks_share_va_across_tasks)
{
	/* task 0 gets a user stack at task 1's address: another address space. */
	raw.stacks[FX_ST_UKL] = raw.stacks[FX_ST_USER];
	raw.stacks[FX_ST_UKL].owner_id = 0;
	ck_assert_msg(validate(), "rejected: %s", err);
	raw.stacks[FX_ST_UKL].owner_id = 1;
	ck_assert(!validate());
	ck_assert_ptr_nonnull(strstr(err, "overlaps"));
}
END_TEST

START_TEST(copy_is_independent_and_unused_cleared)
{
	unsigned char *bytes = malloc(sizeof(raw) + 1);
	ck_assert_ptr_nonnull(bytes);
	/* Unaligned source, as a record copied out of guest RAM may be. */
	memcpy(bytes + 1, &raw, sizeof(raw));
	/* Guest leftovers past nstacks must not survive into the copy. */
	bytes[1 + offsetof(struct ebx_layout, stacks) + FX_NSTACKS * sizeof(struct ebx_stack_desc)] = 0x5a;
	ck_assert(layout_validate(bytes + 1, sizeof(raw), FX_RAM, &lay, err, sizeof(err)));
	ck_assert_uint_eq(lay.raw.stacks[FX_NSTACKS].base, 0);
	memset(bytes, 0xff, sizeof(raw) + 1);
	ck_assert_uint_eq(lay.raw.ncpus, FX_NCPUS);
	free(bytes);
}
END_TEST

START_TEST(null_err_buffer_and_null_bytes)
{
	ck_assert(!layout_validate(NULL, sizeof(raw), FX_RAM, &lay, NULL, 0));
	ck_assert(!lay.valid);
	raw.version = 9;
	ck_assert(!layout_validate(&raw, sizeof(raw), FX_RAM, &lay, NULL, 0));
	char tiny[4];
	ck_assert(!layout_validate(&raw, sizeof(raw), FX_RAM, &lay, tiny, sizeof(tiny)));
	ck_assert_uint_eq(strlen(tiny), 3);
}
END_TEST

/* ---- one row per rejection: mutate the valid fixture, expect a message naming the field ---- */

struct reject_case {
	const char *why;
	void (*mutate)(struct ebx_layout *r);
	const char *expect;   /* substring the one-line message must contain */
	size_t len_delta;     /* for the length check */
};

#define M(fn, body) static void fn(struct ebx_layout *r) { body; }
M(m_none, (void)r)
M(m_size, r->size -= 8)
M(m_version, r->version = 1)
M(m_ncpus0, r->ncpus = 0)
M(m_ncpus9, r->ncpus = EBX_MAX_CPUS + 1)
M(m_ntasks, r->ntasks = EBX_MAX_TASKS + 1)
M(m_nstacks0, r->nstacks = 0)
M(m_nstacks97, r->nstacks = EBX_MAX_STACKS + 1)
M(m_model_unterminated, memset(r->model, 'k', sizeof(r->model)))
M(m_model_empty, r->model[0] = 0)
M(m_pti, r->pti = 2)
M(m_pcid, r->pcid = 7)
M(m_traits, r->traits = EBX_TRAIT_ALL + 1)
M(m_ktext_empty, r->kernel_text_end = r->kernel_text_start)
M(m_ktext_noncanon, r->kernel_text_start = 0x0000900000000000ull)
M(m_etext_empty, r->entry_text_end = r->entry_text_start)
M(m_etext_noncanon, r->entry_text_end = 0x8000000000001000ull)
M(m_etext_outside, r->entry_text_end = FX_KTEXT_END + 0x1000)
M(m_syscall_entry, r->syscall_entry = FX_ENTRY_END)
M(m_syscall_return, r->syscall_return = FX_KERNEL_RIP)
M(m_app_half, r->app_syscall_entry = FX_SYSCALL_ENTRY)
M(m_app_outside, (r->app_syscall_entry = FX_SYSCALL_ENTRY, r->app_syscall_return = FX_KERNEL_RIP))
M(m_user_cs, r->user_cs = 0x30)
M(m_kernel_cs, r->kernel_cs = 0)
M(m_user_ss_wide, r->user_ss = 0x1002b)
M(m_percpu, r->cpus[1].percpu_gva = 0x0001000000000000ull)
M(m_tss_null, r->cpus[0].tss_gva = 0)
M(m_current_task, r->cpus[1].current_task_gva = 0xfff0800000000000ull)
M(m_in_user, r->cpus[0].in_user_gva = 0x0000900000000000ull)
M(m_task_name, memset(r->tasks[2].name, 'a', EBX_NAME_LEN))
M(m_task_name_ctrl, r->tasks[0].name[1] = 0x1b)
M(m_task_ring, r->tasks[1].ring = 2)
M(m_task_dup_id, r->tasks[2].id = 1)
M(m_kpgd_align, r->tasks[1].kernel_pgd += 8; r->tasks[1].user_pgd += 8)
M(m_kpgd_ram, r->tasks[1].kernel_pgd = FX_RAM; r->tasks[1].user_pgd = FX_RAM + 0x1000)
M(m_kpgd_wrap, r->tasks[1].kernel_pgd = 0xfffffffffffff000ull)
M(m_upgd_ram, r->tasks[0].kernel_pgd = FX_RAM - 0x2000; r->tasks[0].user_pgd = FX_RAM)
M(m_pti_pair_align, r->tasks[2].kernel_pgd = 0x105000; r->tasks[2].user_pgd = 0x106000)
M(m_pti_pair_user, r->tasks[2].user_pgd = r->tasks[2].kernel_pgd + 0x2000)
M(m_nopti_user, r->pti = 0)
M(m_stack_size0, r->stacks[3].size = 0)
M(m_stack_size_odd, r->stacks[3].size = 0x1800)
M(m_stack_base_align, r->stacks[3].base += 0x10)
M(m_stack_overflow, r->stacks[3].base = 0xfffffffffffff000ull; r->stacks[3].guard_above = 0)
M(m_stack_noncanon, r->stacks[3].base = 0x00007ffffffff000ull; r->stacks[3].size = 0x2000)
M(m_stack_guard_hole, r->stacks[FX_ST_USER].guard_above = 0xffff)
M(m_stack_guard_wrap, r->stacks[FX_ST_UKL].base = 0x2000; r->stacks[FX_ST_UKL].guard_below = 3)
M(m_stack_kind0, r->stacks[3].kind = 0)
M(m_stack_kind10, r->stacks[3].kind = 10)
M(m_stack_owner_kind, r->stacks[3].owner_kind = 4)
M(m_stack_owner_cpu, r->stacks[FX_ST_ENTRY(1)].owner_id = 2)
M(m_stack_owner_task, r->stacks[FX_ST_TASK(1)].owner_id = 7)
M(m_stack_ist0, r->stacks[FX_ST_IST(0, 2)].ist_index = 0)
M(m_stack_ist8, r->stacks[FX_ST_IST(0, 2)].ist_index = 8)
M(m_stack_ist_on_task, r->stacks[FX_ST_TASK(0)].ist_index = 1)
M(m_stack_name, memset(r->stacks[5].name, 'x', EBX_NAME_LEN))
M(m_stack_flags, r->stacks[5].flags |= 1u << 9)
M(m_stack_app_kernel, r->stacks[FX_ST_UKL].flags |= EBX_STACKF_KERNEL)
M(m_stack_user_landing, r->stacks[FX_ST_USER].flags = EBX_STACKF_LANDING)
M(m_stack_task_shared, r->stacks[FX_ST_PTI(1)].flags |= EBX_STACKF_SHARED)
M(m_stack_cpu_landing_unshared, r->stacks[FX_ST_ENTRY(1)].flags &= ~EBX_STACKF_SHARED)
M(m_stack_ist_landing, r->stacks[FX_ST_IST(1, 2)].flags |= EBX_STACKF_LANDING)
M(m_landing_mixed, r->stacks[FX_ST_PTI(1)].flags |= EBX_STACKF_LANDING)
M(m_landing_twice, r->stacks[FX_ST_VCPU(1)].flags |= EBX_STACKF_LANDING)
M(m_overlap_usable, r->stacks[3].base = r->stacks[1].base + 0x1000)
M(m_overlap_guard, r->stacks[FX_ST_IST(0, 2)].guard_below = 3)
M(m_overlap_later_into_guard, r->stacks[FX_ST_UKL].base = r->stacks[FX_ST_TASK(0)].base - 0x8000;
  r->stacks[FX_ST_UKL].guard_above = 0)
M(m_duplicate_entry, r->stacks[FX_ST_ENTRY(1)].owner_id = 0)
M(m_ist_vector, r->ist_of_vector[14] = 8)

static const struct reject_case reject_cases[] = {
	{ "length", m_none, "length", 8 },
	{ "size", m_size, "size", 0 },
	{ "version", m_version, "version 1", 0 },
	{ "ncpus 0", m_ncpus0, "ncpus 0", 0 },
	{ "ncpus 9", m_ncpus9, "ncpus 9", 0 },
	{ "ntasks", m_ntasks, "ntasks 17", 0 },
	{ "nstacks 0", m_nstacks0, "nstacks 0", 0 },
	{ "nstacks 97", m_nstacks97, "nstacks 97", 0 },
	{ "model unterminated", m_model_unterminated, "model is not NUL-terminated", 0 },
	{ "model empty", m_model_empty, "model is empty", 0 },
	{ "pti", m_pti, "pti 2", 0 },
	{ "pcid", m_pcid, "pcid 7", 0 },
	{ "traits", m_traits, "traits 0x20 has unknown bits", 0 },
	{ "kernel text empty", m_ktext_empty, "kernel_text", 0 },
	{ "kernel text non-canonical", m_ktext_noncanon, "kernel_text", 0 },
	{ "entry text empty", m_etext_empty, "entry_text", 0 },
	{ "entry text non-canonical", m_etext_noncanon, "entry_text", 0 },
	{ "entry text outside kernel text", m_etext_outside, "not inside kernel_text", 0 },
	{ "syscall_entry", m_syscall_entry, "syscall_entry", 0 },
	{ "syscall_return", m_syscall_return, "syscall_return", 0 },
	{ "app syscall entry alone", m_app_half, "set together", 0 },
	{ "app syscall return outside", m_app_outside, "app_syscall_entry/return", 0 },
	{ "user_cs RPL", m_user_cs, "user_cs", 0 },
	{ "kernel_cs null", m_kernel_cs, "kernel_cs", 0 },
	{ "user_ss > 16 bits", m_user_ss_wide, "user_ss", 0 },
	{ "percpu non-canonical", m_percpu, "cpus[1].percpu_gva", 0 },
	{ "tss null", m_tss_null, "cpus[0].tss_gva", 0 },
	{ "current_task non-canonical", m_current_task, "cpus[1].current_task_gva", 0 },
	{ "in_user non-canonical", m_in_user, "cpus[0].in_user_gva", 0 },
	{ "task name unterminated", m_task_name, "tasks[2].name", 0 },
	{ "task name control byte", m_task_name_ctrl, "tasks[0].name has a non-printable byte 0x1b", 0 },
	{ "task ring", m_task_ring, "tasks[1].ring", 0 },
	{ "task duplicate id", m_task_dup_id, "tasks[2].id 1 duplicates tasks[1]", 0 },
	{ "kernel_pgd alignment", m_kpgd_align, "tasks[1].kernel_pgd", 0 },
	{ "kernel_pgd outside RAM", m_kpgd_ram, "tasks[1].kernel_pgd", 0 },
	{ "kernel_pgd wraps", m_kpgd_wrap, "tasks[1].kernel_pgd", 0 },
	{ "user_pgd outside RAM", m_upgd_ram, "tasks[0].user_pgd", 0 },
	{ "pti pair not 8 KiB aligned", m_pti_pair_align, "tasks[2].kernel_pgd 0x105000 not 8 KiB", 0 },
	{ "pti pair user half", m_pti_pair_user, "tasks[2].user_pgd", 0 },
	{ "pti=0 user_pgd differs", m_nopti_user, "tasks[0].user_pgd", 0 },
	{ "stack size 0", m_stack_size0, "stacks[3] (\"cpu0-ist-db\") size", 0 },
	{ "stack size not pages", m_stack_size_odd, "stacks[3] (\"cpu0-ist-db\") size", 0 },
	{ "stack base alignment", m_stack_base_align, "stacks[3] (\"cpu0-ist-db\") base", 0 },
	{ "stack base+size overflow", m_stack_overflow, "stacks[3] (\"cpu0-ist-db\") base + size overflows", 0 },
	{ "stack non-canonical", m_stack_noncanon, "stacks[3] (\"cpu0-ist-db\")", 0 },
	{ "stack guard into the hole", m_stack_guard_hole, "guard pages", 0 },
	{ "stack guard below 0", m_stack_guard_wrap, "guard pages", 0 },
	{ "stack kind 0", m_stack_kind0, "stacks[3] (\"cpu0-ist-db\") kind 0", 0 },
	{ "stack kind 10", m_stack_kind10, "kind 10", 0 },
	{ "stack owner kind", m_stack_owner_kind, "owner_kind 4", 0 },
	{ "stack owner cpu", m_stack_owner_cpu, "stacks[7] (\"cpu1-entry\") owner_id cpu 2", 0 },
	{ "stack owner task", m_stack_owner_task, "owner_id task 7", 0 },
	{ "IST stack index 0", m_stack_ist0, "stacks[2] (\"cpu0-ist-nmi\") ist_index 0", 0 },
	{ "IST stack index 8", m_stack_ist8, "ist_index 8", 0 },
	{ "ist_index on a task stack", m_stack_ist_on_task, "ist_index 1 set on a non-IST stack", 0 },
	{ "stack name unterminated", m_stack_name, "stacks[5].name", 0 },
	{ "stack flags", m_stack_flags, "stacks[5] (\"vcpu0-stack\") flags 0x22e has unknown bits", 0 },
	{ "application and kernel", m_stack_app_kernel, "both a kernel and an application stack", 0 },
	{ "user stack landing", m_stack_user_landing, "stacks[20] (\"user1-stack\") flags 0x10 need a kernel stack", 0 },
	{ "task stack shared", m_stack_task_shared, "(\"task1-pti\") belongs to a task and cannot be shared", 0 },
	{ "CPU landing unshared", m_stack_cpu_landing_unshared, "(\"cpu1-entry\") is a CPU's landing stack but not shared", 0 },
	{ "IST landing", m_stack_ist_landing, "(\"cpu1-ist-nmi\") is an IST stack and a landing stack", 0 },
	{ "landing per CPU and per task", m_landing_mixed, "(\"task1-pti\") lands per task, an earlier landing stack per CPU", 0 },
	{ "two landing stacks of one CPU", m_landing_twice, "stacks[12] (\"vcpu1-stack\") duplicates stacks[7]", 0 },
	{ "stack overlaps usable", m_overlap_usable, "stacks[3] (\"cpu0-ist-db\") overlaps stacks[1]", 0 },
	{ "stack overlaps guard", m_overlap_guard, "stacks[2] (\"cpu0-ist-nmi\") overlaps stacks[1]", 0 },
	{ "later stack in earlier guard", m_overlap_later_into_guard, "stacks[21] (\"ukl-app-stack\") overlaps stacks[14]", 0 },
	{ "duplicate entry stack", m_duplicate_entry, "stacks[7] (\"cpu1-entry\") duplicates stacks[0]", 0 },
	{ "ist_of_vector", m_ist_vector, "ist_of_vector[14] = 8", 0 },
};

START_TEST(rejects_field)
{
	const struct reject_case *c = &reject_cases[_i];

	c->mutate(&raw);
	ck_assert_msg(!layout_validate(&raw, sizeof(raw) - c->len_delta, FX_RAM, &lay, err, sizeof(err)),
		      "%s: accepted", c->why);
	ck_assert(!lay.valid);
	ck_assert_msg(strncmp(err, "layout: ", 8) == 0, "%s: message '%s' lacks prefix", c->why, err);
	ck_assert_msg(strstr(err, c->expect), "%s: message '%s' does not name '%s'", c->why, err, c->expect);
	ck_assert_msg(!strchr(err, '\n'), "%s: message spans lines", c->why);
}
END_TEST

/* ---- lookups ---- */

START_TEST(find_stack_usable_guard_none)
{
	bool guard = true;
	const struct ebx_stack_desc *s;

	ck_assert(validate());
	s = layout_find_stack(&lay, raw.stacks[FX_ST_TASK(1)].base + 0x100, &guard);
	ck_assert_ptr_eq(s, &lay.raw.stacks[FX_ST_TASK(1)]);
	ck_assert(!guard);
	s = layout_find_stack(&lay, raw.stacks[FX_ST_TASK(1)].base - 8, &guard);
	ck_assert_ptr_eq(s, &lay.raw.stacks[FX_ST_TASK(1)]);
	ck_assert(guard);
	s = layout_find_stack(&lay, fx_top(&raw, FX_ST_ENTRY(0)), &guard);
	ck_assert_ptr_eq(s, &lay.raw.stacks[FX_ST_ENTRY(0)]);
	ck_assert(guard);
	/* Where two guards touch, the address belongs to the guard it lies in. */
	s = layout_find_stack(&lay, fx_top(&raw, FX_ST_IST(0, 1)) + 0x1000, &guard);
	ck_assert_ptr_eq(s, &lay.raw.stacks[FX_ST_IST(0, 2)]);
	ck_assert(guard);
	s = layout_find_stack(&lay, 0xffff888000000000ull, &guard);
	ck_assert_ptr_null(s);
	ck_assert(!guard);
	ck_assert_ptr_null(layout_find_stack(NULL, 0, NULL));
}
END_TEST

START_TEST(stack_top_lookup)
{
	ck_assert(validate());
	ck_assert_uint_eq(layout_stack_top(&lay, EBX_STACK_ENTRY, 1), fx_top(&raw, FX_ST_ENTRY(1)));
	ck_assert_uint_eq(layout_stack_top(&lay, EBX_STACK_TASK, 2), fx_top(&raw, FX_ST_TASK(2)));
	ck_assert_uint_eq(layout_stack_top(&lay, EBX_STACK_VCPU, 0), fx_top(&raw, FX_ST_VCPU(0)));
	ck_assert_uint_eq(layout_stack_top(&lay, EBX_STACK_PTI, 0), fx_top(&raw, FX_ST_PTI(0)));
	ck_assert_uint_eq(layout_stack_top(&lay, EBX_STACK_ENTRY, 5), 0);
	ck_assert_uint_eq(layout_stack_top(&lay, EBX_STACK_USER, 0), 0);
	/* A per-task kind owned by a CPU is no task's stack, even with a matching id. */
	raw.stacks[FX_ST_TASK(0)].owner_kind = EBX_OWNER_CPU;
	ck_assert(validate());
	ck_assert_uint_eq(layout_stack_top(&lay, EBX_STACK_TASK, 0), 0);
	lay.valid = false;
	ck_assert_uint_eq(layout_stack_top(&lay, EBX_STACK_ENTRY, 1), 0);
}
END_TEST

START_TEST(landing_stack_lookup)
{
	bool per_task = true;

	ck_assert(validate());
	ck_assert_ptr_eq(layout_landing_stack(&lay, 1, 0, &per_task), &lay.raw.stacks[FX_ST_ENTRY(1)]);
	ck_assert(!per_task);
	ck_assert_ptr_null(layout_landing_stack(&lay, 5, 0, NULL));
	fx_land_on(&raw, FX_LAND_PTI);
	ck_assert(validate());
	ck_assert_ptr_eq(layout_landing_stack(&lay, 0, 2, &per_task), &lay.raw.stacks[FX_ST_PTI(2)]);
	ck_assert(per_task);
	ck_assert_ptr_null(layout_landing_stack(&lay, 0, 9, &per_task));
	ck_assert(per_task);
	lay.valid = false;
	ck_assert_ptr_null(layout_landing_stack(&lay, 0, 2, NULL));
}
END_TEST

START_TEST(task_of_pgd_halves)
{
	bool user = true;

	ck_assert(validate());
	ck_assert_int_eq(layout_task_of_pgd(&lay, raw.tasks[1].kernel_pgd, &user), 1);
	ck_assert(!user);
	ck_assert_int_eq(layout_task_of_pgd(&lay, raw.tasks[2].user_pgd, &user), 2);
	ck_assert(user);
	ck_assert_int_eq(layout_task_of_pgd(&lay, 0x900000, &user), -1);
	ck_assert(!user);
	fx_build(&raw, false);
	ck_assert(validate());
	ck_assert_int_eq(layout_task_of_pgd(&lay, raw.tasks[1].user_pgd, &user), 1);
	ck_assert(!user);
}
END_TEST

START_TEST(entry_text_bounds)
{
	ck_assert(validate());
	ck_assert(layout_in_entry_text(&lay, FX_ENTRY_START));
	ck_assert(layout_in_entry_text(&lay, FX_ENTRY_END - 1));
	ck_assert(!layout_in_entry_text(&lay, FX_ENTRY_END));
	ck_assert(!layout_in_entry_text(&lay, FX_ENTRY_START - 1));
	ck_assert(!layout_in_entry_text(NULL, FX_ENTRY_START));
}
END_TEST

static Suite *layout_suite(void)
{
	Suite *s = suite_create("layout");
	TCase *ok = tcase_create("accept");
	TCase *bad = tcase_create("reject");
	TCase *look = tcase_create("lookup");

	tcase_add_checked_fixture(ok, setup_pti, NULL);
	tcase_add_test(ok, valid_pti_and_nopti);
	tcase_add_test(ok, valid_edge_cases);
	tcase_add_test(ok, valid_user_stacks_share_va_across_tasks);
	tcase_add_test(ok, copy_is_independent_and_unused_cleared);
	tcase_add_test(ok, null_err_buffer_and_null_bytes);
	tcase_add_checked_fixture(bad, setup_pti, NULL);
	tcase_add_loop_test(bad, rejects_field, 0, (int)(sizeof(reject_cases) / sizeof(reject_cases[0])));
	tcase_add_checked_fixture(look, setup_pti, NULL);
	tcase_add_test(look, find_stack_usable_guard_none);
	tcase_add_test(look, stack_top_lookup);
	tcase_add_test(look, landing_stack_lookup);
	tcase_add_test(look, task_of_pgd_halves);
	tcase_add_test(look, entry_text_bounds);
	suite_add_tcase(s, ok);
	suite_add_tcase(s, bad);
	suite_add_tcase(s, look);
	return s;
}

int main(void)
{
	return check_run(layout_suite());
}
