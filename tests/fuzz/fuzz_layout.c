/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the layout record: the bytes a hostile guest sends at boot.
 * Every input goes through layout_validate; an accepted layout must satisfy
 * the invariants the rest of the VMM relies on, and the lookups and every rule
 * are then driven over it with snapshots derived from the layout itself and a
 * guest memory reader that answers from the input bytes.
 *
 * Built for libFuzzer by tools/fuzz.sh, and with fuzz_replay.c as a plain
 * program that replays the corpus in the test suite.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/layout.h"
#include "check/rules.h"
#include "fuzz/fuzz_target.h"

#define FUZZ_RAM (64ull << 20)


struct fuzz_mem {
	const uint8_t *data;
	size_t size;
};

/* Guest memory as the input says: a deterministic function of the address, and
 * unmapped where the input says so, so rules see both readable and absent pages. */
static bool fuzz_read(void *ctx, uint64_t cr3, uint64_t gva, void *dst, size_t len)
{
	const struct fuzz_mem *m = ctx;
	uint8_t *out = dst;

	(void)cr3;
	if (m->size == 0 || (m->data[(gva >> 12) % m->size] & 7) == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		out[i] = m->data[(gva + i) % m->size];
	return true;
}

static void check_message(const char *msg, size_t cap)
{
	FUZZ_ASSERT(memchr(msg, '\0', cap) != NULL);
	FUZZ_ASSERT(strchr(msg, '\n') == NULL);
}

static void check_accepted(const struct layout *l)
{
	const struct ebx_layout *r = &l->raw;

	FUZZ_ASSERT(l->valid);
	FUZZ_ASSERT(r->ncpus >= 1 && r->ncpus <= EBX_MAX_CPUS);
	FUZZ_ASSERT(r->ntasks <= EBX_MAX_TASKS);
	FUZZ_ASSERT(r->nstacks >= 1 && r->nstacks <= EBX_MAX_STACKS);
	FUZZ_ASSERT(r->entry_text_start < r->entry_text_end);
	FUZZ_ASSERT(layout_in_entry_text(l, r->syscall_entry));
	for (uint32_t i = 0; i < r->nstacks; i++) {
		const struct ebx_stack_desc *s = &r->stacks[i];
		bool guard;
		FUZZ_ASSERT(s->size && s->size % 4096 == 0 && s->base % 4096 == 0);
		FUZZ_ASSERT(s->base + s->size > s->base);
		FUZZ_ASSERT(memchr(s->name, '\0', sizeof(s->name)) != NULL);
		/* Every usable byte classifies as usable (some stack's, never a guard). */
		const struct ebx_stack_desc *hit = layout_find_stack(l, s->base, &guard);
		FUZZ_ASSERT(hit && !guard && hit->base <= s->base && s->base < hit->base + hit->size);
		hit = layout_find_stack(l, s->base + s->size - 1, &guard);
		FUZZ_ASSERT(hit && !guard);
		if (s->guard_below) {
			hit = layout_find_stack(l, s->base - 1, &guard);
			FUZZ_ASSERT(hit && guard);
		}
		uint64_t top = layout_stack_top(l, s->kind, s->owner_id);
		if (top) {
			hit = layout_find_stack(l, top - 1, &guard);
			FUZZ_ASSERT(hit && !guard && hit->kind == s->kind);
		}
		if (s->flags & EBX_STACKF_LANDING) {
			bool per_task;
			hit = layout_landing_stack(l, s->owner_id, s->owner_id, &per_task);
			FUZZ_ASSERT(hit == s && per_task == (s->owner_kind == EBX_OWNER_TASK));
		}
	}
	for (uint32_t i = 0; i < r->ntasks; i++) {
		bool user;
		int t = layout_task_of_pgd(l, r->tasks[i].user_pgd, &user);
		FUZZ_ASSERT(t >= 0 && (uint32_t)t < r->ntasks);
		FUZZ_ASSERT(r->tasks[i].kernel_pgd + 4096 <= FUZZ_RAM);
	}
}

static void run_rules(const struct layout *l, struct vcpu_snap *s)
{
	struct violation out[8];
	size_t n = rules_check_all(s, l, out, 8);
	size_t count;

	rules_table(&count);
	FUZZ_ASSERT(n <= count);
	for (size_t i = 0; i < n && i < 8; i++) {
		FUZZ_ASSERT(out[i].rule && rules_find(out[i].rule));
		check_message(out[i].detail, sizeof(out[i].detail));
	}
}

/* Snapshots at the places the rules distinguish: each stack's base, middle and
 * top, in user and kernel mode, at every snapshot point, on every CPU. */
static void drive_rules(const struct layout *l, const uint8_t *data, size_t size)
{
	const struct ebx_layout *r = &l->raw;
	struct fuzz_mem mem = { data, size };
	const uint64_t rips[] = { r->entry_text_start, r->kernel_text_start, 0x401000 };

	for (uint32_t i = 0; i < r->nstacks; i++) {
		const struct ebx_stack_desc *st = &r->stacks[i];
		const uint64_t rsps[] = { st->base, st->base + st->size / 2, st->base + st->size };
		for (unsigned k = 0; k < 3 * 3 * 2; k++) {
			uint32_t cpu = (i + k) % (r->ncpus + 1);   /* one past the end too */
			struct vcpu_snap s = {
				.cpu = cpu, .point = (enum snap_point)(k % 3), .cpl = (k & 1) ? 3 : 0,
				.rip = rips[(k / 3) % 3], .rsp = rsps[(k / 2) % 3],
				.rflags = (k & 2) ? 0x202 : 0x2,
				.cr3 = r->ntasks ? r->tasks[k % r->ntasks].user_pgd | (k & 0xfff) : 0x1000,
				.gs_base = cpu < r->ncpus ? r->cpus[cpu].percpu_gva : 0,
				.kernel_gs_base = r->cpus[0].percpu_gva,
				.tr_base = cpu < r->ncpus ? r->cpus[cpu].tss_gva : 0,
				.read_virt = fuzz_read, .read_ctx = &mem,
			};
			run_rules(l, &s);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct layout l;
	char err[160];

	if (!layout_validate(data, size, FUZZ_RAM, &l, err, sizeof(err))) {
		FUZZ_ASSERT(!l.valid);
		FUZZ_ASSERT(strncmp(err, "layout: ", 8) == 0);
		check_message(err, sizeof(err));
		return 0;
	}
	check_accepted(&l);
	drive_rules(&l, data, size);
	return 0;
}
