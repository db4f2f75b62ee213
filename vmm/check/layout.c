/* SPDX-License-Identifier: MIT */
/*
 * Validation of the layout record the guest publishes at boot, and the lookups
 * the rules build on.  The record comes from a hostile guest: nothing in it is
 * used before every count, string, address and range has been checked, and the
 * lookups only ever walk the validated counts.
 */
#include "check/layout.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PAGE ((uint64_t)4096)

/* The first bad field, formatted once; later checks never overwrite it. */
struct verr {
	char *buf;
	size_t len;
};

__attribute__((format(printf, 2, 3)))
static bool reject(struct verr *e, const char *fmt, ...)
{
	if (e->buf && e->len) {
		int n = snprintf(e->buf, e->len, "layout: ");
		if (n >= 0 && (size_t)n < e->len) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(e->buf + n, e->len - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return false;
}

/* 48-bit virtual addresses: bits 63..47 must all equal bit 47. */
static bool canonical(uint64_t va)
{
	uint64_t top = va >> 47;
	return top == 0 || top == 0x1ffff;
}

/* A non-empty range [lo, hi) that lies wholly inside one canonical half. */
static bool canonical_range(uint64_t lo, uint64_t hi)
{
	return lo < hi && canonical(lo) && canonical(hi - 1) && (lo >> 47) == ((hi - 1) >> 47);
}

/* Names end up in reports and JSON: a terminator within the field, and only
 * printable ASCII so a guest cannot smuggle control sequences into them. */
static bool check_name(const char *name, size_t cap, bool need_nonempty, const char *what,
		       struct verr *e)
{
	const char *nul = memchr(name, '\0', cap);
	if (!nul)
		return reject(e, "%s is not NUL-terminated within %zu bytes", what, cap);
	if (need_nonempty && nul == name)
		return reject(e, "%s is empty", what);
	for (const char *p = name; p < nul; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c > 0x7e)
			return reject(e, "%s has a non-printable byte 0x%02x", what, c);
	}
	return true;
}

static bool check_header(const struct ebx_layout *r, struct verr *e)
{
	if (r->size != sizeof(*r))
		return reject(e, "size %" PRIu32 " != %zu (guest and VMM disagree on struct ebx_layout)",
			      r->size, sizeof(*r));
	if (r->version != EBX_LAYOUT_VERSION)
		return reject(e, "version %" PRIu32 " unsupported (expected %u)", r->version,
			      EBX_LAYOUT_VERSION);
	if (r->ncpus < 1 || r->ncpus > EBX_MAX_CPUS)
		return reject(e, "ncpus %" PRIu32 " out of range 1..%u", r->ncpus, EBX_MAX_CPUS);
	if (r->ntasks > EBX_MAX_TASKS)
		return reject(e, "ntasks %" PRIu32 " out of range 0..%u", r->ntasks, EBX_MAX_TASKS);
	if (r->nstacks < 1 || r->nstacks > EBX_MAX_STACKS)
		return reject(e, "nstacks %" PRIu32 " out of range 1..%u", r->nstacks, EBX_MAX_STACKS);
	if (!check_name(r->model, sizeof(r->model), true, "model", e))
		return false;
	if (r->pti > 1)
		return reject(e, "pti %" PRIu32 " is not 0 or 1", r->pti);
	if (r->pcid > 1)
		return reject(e, "pcid %" PRIu32 " is not 0 or 1", r->pcid);
	if (r->traits & ~EBX_TRAIT_ALL)
		return reject(e, "traits 0x%" PRIx32 " has unknown bits", r->traits);
	return true;
}

static bool check_text(const struct ebx_layout *r, struct verr *e)
{
	if (!canonical_range(r->kernel_text_start, r->kernel_text_end))
		return reject(e, "kernel_text [0x%" PRIx64 ", 0x%" PRIx64 ") empty or not canonical",
			      r->kernel_text_start, r->kernel_text_end);
	if (!canonical_range(r->entry_text_start, r->entry_text_end))
		return reject(e, "entry_text [0x%" PRIx64 ", 0x%" PRIx64 ") empty or not canonical",
			      r->entry_text_start, r->entry_text_end);
	if (r->entry_text_start < r->kernel_text_start || r->entry_text_end > r->kernel_text_end)
		return reject(e, "entry_text [0x%" PRIx64 ", 0x%" PRIx64 ") not inside kernel_text [0x%"
			      PRIx64 ", 0x%" PRIx64 ")", r->entry_text_start, r->entry_text_end,
			      r->kernel_text_start, r->kernel_text_end);
	if (r->syscall_entry < r->entry_text_start || r->syscall_entry >= r->entry_text_end)
		return reject(e, "syscall_entry 0x%" PRIx64 " not inside entry_text", r->syscall_entry);
	if (r->syscall_return != 0 &&
	    (r->syscall_return < r->entry_text_start || r->syscall_return >= r->entry_text_end))
		return reject(e, "syscall_return 0x%" PRIx64 " not inside entry_text", r->syscall_return);
	if ((r->app_syscall_entry == 0) != (r->app_syscall_return == 0))
		return reject(e, "app_syscall_entry and app_syscall_return must be set together");
	if (r->app_syscall_entry != 0 &&
	    (r->app_syscall_entry < r->entry_text_start || r->app_syscall_entry >= r->entry_text_end ||
	     r->app_syscall_return < r->entry_text_start || r->app_syscall_return >= r->entry_text_end))
		return reject(e, "app_syscall_entry/return 0x%" PRIx64 "/0x%" PRIx64 " not inside entry_text",
			      r->app_syscall_entry, r->app_syscall_return);
	return true;
}

static bool check_selector(uint64_t sel, unsigned rpl, bool nonnull, const char *what, struct verr *e)
{
	if (sel > 0xffff || (sel & 3) != rpl || (nonnull && (sel & ~3ull) == 0))
		return reject(e, "%s 0x%" PRIx64 " is not a%s selector with RPL %u", what, sel,
			      nonnull ? " non-null" : "", rpl);
	return true;
}

/* The rules compare CS/SS against these; a kernel SS may be the null selector
 * (interrupts load it so in 64-bit mode), a CS never. */
static bool check_selectors(const struct ebx_layout *r, struct verr *e)
{
	return check_selector(r->user_cs, 3, true, "user_cs", e) &&
	       check_selector(r->user_ss, 3, true, "user_ss", e) &&
	       check_selector(r->kernel_cs, 0, true, "kernel_cs", e) &&
	       check_selector(r->kernel_ss, 0, false, "kernel_ss", e);
}

static bool check_cpu_addr(uint64_t va, unsigned i, const char *field, struct verr *e)
{
	if (va == 0 || !canonical(va))
		return reject(e, "cpus[%u].%s 0x%" PRIx64 " is null or not canonical", i, field, va);
	return true;
}

static bool check_cpus(const struct ebx_layout *r, struct verr *e)
{
	for (unsigned i = 0; i < r->ncpus; i++) {
		const struct ebx_cpu_desc *c = &r->cpus[i];
		if (!check_cpu_addr(c->percpu_gva, i, "percpu_gva", e) ||
		    !check_cpu_addr(c->tss_gva, i, "tss_gva", e) ||
		    !check_cpu_addr(c->gdt_gva, i, "gdt_gva", e) ||
		    !check_cpu_addr(c->idt_gva, i, "idt_gva", e) ||
		    !check_cpu_addr(c->current_task_gva, i, "current_task_gva", e))
			return false;
		/* Only entry=ukl has an in_user word; 0 means none. */
		if (c->in_user_gva && !check_cpu_addr(c->in_user_gva, i, "in_user_gva", e))
			return false;
	}
	return true;
}

/* A PGD is one page of guest RAM the VMM walks: aligned and wholly backed. */
static bool check_pgd(uint64_t pgd, uint64_t ram, unsigned i, const char *field, struct verr *e)
{
	if (pgd % PAGE)
		return reject(e, "tasks[%u].%s 0x%" PRIx64 " not page aligned", i, field, pgd);
	if (ram < PAGE || pgd > ram - PAGE)
		return reject(e, "tasks[%u].%s 0x%" PRIx64 " outside guest RAM (0x%" PRIx64 " bytes)", i,
			      field, pgd, ram);
	return true;
}

static bool check_task(const struct ebx_layout *r, unsigned i, uint64_t ram, struct verr *e)
{
	const struct ebx_task_desc *t = &r->tasks[i];
	char what[24];

	snprintf(what, sizeof(what), "tasks[%u].name", i);
	if (!check_name(t->name, sizeof(t->name), false, what, e))
		return false;
	if (t->ring != 0 && t->ring != 3)
		return reject(e, "tasks[%u].ring %" PRIu32 " is not 0 or 3", i, t->ring);
	for (unsigned j = 0; j < i; j++)
		if (r->tasks[j].id == t->id)
			return reject(e, "tasks[%u].id %" PRIu32 " duplicates tasks[%u]", i, t->id, j);
	if (!check_pgd(t->kernel_pgd, ram, i, "kernel_pgd", e) ||
	    !check_pgd(t->user_pgd, ram, i, "user_pgd", e))
		return false;
	if (!r->pti && t->user_pgd != t->kernel_pgd)
		return reject(e, "tasks[%u].user_pgd 0x%" PRIx64 " != kernel_pgd 0x%" PRIx64 " with pti=0",
			      i, t->user_pgd, t->kernel_pgd);
	/* KPTI flips CR3 bit 12 to reach the user half, so the pair must be an
	 * 8 KiB-aligned kernel page followed by its user page. */
	if (r->pti && t->kernel_pgd % (2 * PAGE))
		return reject(e, "tasks[%u].kernel_pgd 0x%" PRIx64 " not 8 KiB aligned with pti=1", i,
			      t->kernel_pgd);
	if (r->pti && t->user_pgd != t->kernel_pgd + PAGE)
		return reject(e, "tasks[%u].user_pgd 0x%" PRIx64 " != kernel_pgd + 4096 (0x%" PRIx64
			      ") with pti=1", i, t->user_pgd, t->kernel_pgd + PAGE);
	return true;
}

static bool check_tasks(const struct ebx_layout *r, uint64_t ram, struct verr *e)
{
	for (unsigned i = 0; i < r->ntasks; i++)
		if (!check_task(r, i, ram, e))
			return false;
	return true;
}

static bool task_id_exists(const struct ebx_layout *r, uint32_t id)
{
	for (unsigned i = 0; i < r->ntasks; i++)
		if (r->tasks[i].id == id)
			return true;
	return false;
}

static bool check_stack_owner(const struct ebx_layout *r, unsigned i, struct verr *e)
{
	const struct ebx_stack_desc *s = &r->stacks[i];

	switch (s->owner_kind) {
	case EBX_OWNER_CPU:
	case EBX_OWNER_VCPU:
		if (s->owner_id >= r->ncpus)
			return reject(e, "stacks[%u] (\"%s\") owner_id cpu %" PRIu32 " >= ncpus %" PRIu32,
				      i, s->name, s->owner_id, r->ncpus);
		return true;
	case EBX_OWNER_TASK:
		if (!task_id_exists(r, s->owner_id))
			return reject(e, "stacks[%u] (\"%s\") owner_id task %" PRIu32 " is no tasks[].id",
				      i, s->name, s->owner_id);
		return true;
	default:
		return reject(e, "stacks[%u] (\"%s\") owner_kind %" PRIu32 " unknown", i, s->name,
			      s->owner_kind);
	}
}

static bool check_stack_range(const struct ebx_stack_desc *s, unsigned i, struct verr *e)
{
	uint64_t below = (uint64_t)s->guard_below * PAGE;
	uint64_t above = (uint64_t)s->guard_above * PAGE;

	if (s->size == 0 || s->size % PAGE)
		return reject(e, "stacks[%u] (\"%s\") size 0x%" PRIx64 " not a non-zero multiple of 4096",
			      i, s->name, s->size);
	if (s->base % PAGE)
		return reject(e, "stacks[%u] (\"%s\") base 0x%" PRIx64 " not page aligned", i, s->name,
			      s->base);
	if (s->base + s->size < s->base)
		return reject(e, "stacks[%u] (\"%s\") base + size overflows", i, s->name);
	if (!canonical_range(s->base, s->base + s->size))
		return reject(e, "stacks[%u] (\"%s\") [0x%" PRIx64 ", +0x%" PRIx64 ") not canonical", i,
			      s->name, s->base, s->size);
	/* Guard pages are part of what the rules classify, so they obey the same
	 * arithmetic: no wrap-around and no straddling of the canonical hole. */
	if (below > s->base || s->base + s->size + above < s->base + s->size ||
	    !canonical_range(s->base - below, s->base + s->size + above))
		return reject(e, "stacks[%u] (\"%s\") guard pages (%u below, %u above) leave the canonical"
			      " half", i, s->name, s->guard_below, s->guard_above);
	return true;
}

/* The flags are what the rules go by, so they must say one consistent thing:
 * only kernel stacks land, run C, or are shared; an application stack is no
 * kernel stack; a CPU's stack is shared by every task on it, a task's never. */
static bool check_stack_flags(const struct ebx_stack_desc *s, unsigned i, struct verr *e)
{
	const uint32_t kernel_only = EBX_STACKF_USER_MAPPED | EBX_STACKF_SHARED | EBX_STACKF_LANDING |
				     EBX_STACKF_C_ENTRY;
	bool task_owned = s->owner_kind == EBX_OWNER_TASK;

	if (s->flags & ~EBX_STACKF_ALL)
		return reject(e, "stacks[%u] (\"%s\") flags 0x%" PRIx32 " has unknown bits", i, s->name, s->flags);
	if ((s->flags & EBX_STACKF_APP) && (s->flags & EBX_STACKF_KERNEL))
		return reject(e, "stacks[%u] (\"%s\") is both a kernel and an application stack", i, s->name);
	if (!(s->flags & EBX_STACKF_KERNEL) && (s->flags & kernel_only))
		return reject(e, "stacks[%u] (\"%s\") flags 0x%" PRIx32 " need a kernel stack", i, s->name, s->flags);
	if ((s->flags & EBX_STACKF_SHARED) && task_owned)
		return reject(e, "stacks[%u] (\"%s\") belongs to a task and cannot be shared", i, s->name);
	if ((s->flags & EBX_STACKF_LANDING) && !task_owned && !(s->flags & EBX_STACKF_SHARED))
		return reject(e, "stacks[%u] (\"%s\") is a CPU's landing stack but not shared", i, s->name);
	if (s->ist_index && (s->flags & EBX_STACKF_LANDING))
		return reject(e, "stacks[%u] (\"%s\") is an IST stack and a landing stack", i, s->name);
	return true;
}

static bool check_stack(const struct ebx_layout *r, unsigned i, struct verr *e)
{
	const struct ebx_stack_desc *s = &r->stacks[i];
	char what[24];

	snprintf(what, sizeof(what), "stacks[%u].name", i);
	if (!check_name(s->name, sizeof(s->name), false, what, e))
		return false;
	if (!check_stack_range(s, i, e))
		return false;
	if (s->kind < EBX_STACK_ENTRY || s->kind > EBX_STACK_MODEL)
		return reject(e, "stacks[%u] (\"%s\") kind %" PRIu32 " unknown", i, s->name, s->kind);
	if (!check_stack_owner(r, i, e))
		return false;
	if (s->kind == EBX_STACK_IST && (s->ist_index < 1 || s->ist_index > 7))
		return reject(e, "stacks[%u] (\"%s\") ist_index %" PRIu32 " out of range 1..7", i,
			      s->name, s->ist_index);
	if (s->kind != EBX_STACK_IST && s->ist_index != 0)
		return reject(e, "stacks[%u] (\"%s\") ist_index %" PRIu32 " set on a non-IST stack", i,
			      s->name, s->ist_index);
	return check_stack_flags(s, i, e);
}

static uint64_t lo_of(const struct ebx_stack_desc *s, bool with_guard)
{
	return s->base - (with_guard ? (uint64_t)s->guard_below * PAGE : 0);
}

static uint64_t hi_of(const struct ebx_stack_desc *s, bool with_guard)
{
	return s->base + s->size + (with_guard ? (uint64_t)s->guard_above * PAGE : 0);
}

static bool ranges_meet(const struct ebx_stack_desc *a, bool ga, const struct ebx_stack_desc *b, bool gb)
{
	return lo_of(a, ga) < hi_of(b, gb) && lo_of(b, gb) < hi_of(a, ga);
}

static bool user_stack(const struct ebx_stack_desc *s)
{
	return !(s->flags & (EBX_STACKF_KERNEL | EBX_STACKF_APP));
}

/* User stacks of different tasks live in different address spaces, so the
 * same virtual range may legitimately appear once per task. */
static bool may_share_range(const struct ebx_stack_desc *a, const struct ebx_stack_desc *b)
{
	return user_stack(a) && user_stack(b) && a->owner_kind == EBX_OWNER_TASK && b->owner_kind == EBX_OWNER_TASK &&
	       a->owner_id != b->owner_id;
}

/* Guards may touch guards, but a usable range must never meet another stack's
 * usable or guard range: otherwise an address could not be classified. */
static bool check_overlaps(const struct ebx_layout *r, struct verr *e)
{
	for (unsigned j = 1; j < r->nstacks; j++) {
		const struct ebx_stack_desc *b = &r->stacks[j];
		for (unsigned i = 0; i < j; i++) {
			const struct ebx_stack_desc *a = &r->stacks[i];
			if (may_share_range(a, b))
				continue;
			if (ranges_meet(a, false, b, true) || ranges_meet(a, true, b, false))
				return reject(e, "stacks[%u] (\"%s\") overlaps stacks[%u] (\"%s\")", j, b->name,
					      i, a->name);
		}
	}
	return true;
}

/* Owners of the same kind (a CPU and a vCPU are the same owner). */
static bool same_owner(const struct ebx_stack_desc *a, const struct ebx_stack_desc *b)
{
	return a->owner_id == b->owner_id && (a->owner_kind == EBX_OWNER_TASK) == (b->owner_kind == EBX_OWNER_TASK);
}

/* What the rules look up by owner must be unique per owner, or "the top of
 * this CPU's landing stack" would be ambiguous: the landing stack, an IST
 * index, a task's kernel stack (the hypervisor role of xen hv=vmm). */
static bool duplicate(const struct ebx_stack_desc *a, const struct ebx_stack_desc *b)
{
	if (!same_owner(a, b))
		return false;
	if ((a->flags & b->flags & EBX_STACKF_LANDING) != 0)
		return true;
	if (a->ist_index && a->ist_index == b->ist_index)
		return true;
	return a->kind == EBX_STACK_TASK && b->kind == EBX_STACK_TASK;
}

static bool check_duplicates(const struct ebx_layout *r, struct verr *e)
{
	for (unsigned j = 1; j < r->nstacks; j++) {
		const struct ebx_stack_desc *b = &r->stacks[j];
		for (unsigned i = 0; i < j; i++) {
			const struct ebx_stack_desc *a = &r->stacks[i];
			if (duplicate(a, b))
				return reject(e, "stacks[%u] (\"%s\") duplicates stacks[%u] (same role and owner)",
					      j, b->name, i);
		}
	}
	return true;
}

/* Landing stacks belong all to CPUs or all to tasks: TSS.RSP0 follows one or the other. */
static bool check_landing(const struct ebx_layout *r, struct verr *e)
{
	int per_task = -1;

	for (unsigned i = 0; i < r->nstacks; i++) {
		const struct ebx_stack_desc *s = &r->stacks[i];
		if (!(s->flags & EBX_STACKF_LANDING))
			continue;
		int t = s->owner_kind == EBX_OWNER_TASK;
		if (per_task >= 0 && per_task != t)
			return reject(e, "stacks[%u] (\"%s\") lands per %s, an earlier landing stack per %s", i,
				      s->name, t ? "task" : "CPU", t ? "CPU" : "task");
		per_task = t;
	}
	return true;
}

static bool check_stacks(const struct ebx_layout *r, struct verr *e)
{
	for (unsigned i = 0; i < r->nstacks; i++)
		if (!check_stack(r, i, e))
			return false;
	return check_overlaps(r, e) && check_duplicates(r, e) && check_landing(r, e);
}

static bool check_ist_vectors(const struct ebx_layout *r, struct verr *e)
{
	for (unsigned v = 0; v < sizeof(r->ist_of_vector); v++)
		if (r->ist_of_vector[v] > 7)
			return reject(e, "ist_of_vector[%u] = %u out of range 0..7", v, r->ist_of_vector[v]);
	return true;
}

/* Entries past the counts are never read, but clearing them keeps the copy
 * free of guest leftovers for anyone who dumps it. */
static void clear_unused(struct ebx_layout *r)
{
	memset(&r->cpus[r->ncpus], 0, (EBX_MAX_CPUS - r->ncpus) * sizeof(r->cpus[0]));
	memset(&r->tasks[r->ntasks], 0, (EBX_MAX_TASKS - r->ntasks) * sizeof(r->tasks[0]));
	memset(&r->stacks[r->nstacks], 0, (EBX_MAX_STACKS - r->nstacks) * sizeof(r->stacks[0]));
}

bool layout_validate(const void *bytes, size_t len, uint64_t guest_ram_size, struct layout *out,
		     char *err, size_t errlen)
{
	struct verr e = { err, errlen };
	struct ebx_layout *r = &out->raw;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	if (!bytes || len != sizeof(*r))
		return reject(&e, "length %zu != %zu", len, sizeof(*r));
	memcpy(r, bytes, sizeof(*r));
	out->valid = check_header(r, &e) && check_text(r, &e) && check_selectors(r, &e) &&
		     check_cpus(r, &e) && check_tasks(r, guest_ram_size, &e) && check_stacks(r, &e) &&
		     check_ist_vectors(r, &e);
	if (out->valid)
		clear_unused(r);
	else
		memset(r, 0, sizeof(*r));
	return out->valid;
}

static bool layout_usable(const struct layout *l)
{
	return l && l->valid;
}

const struct ebx_stack_desc *layout_find_stack(const struct layout *l, uint64_t addr, bool *in_guard)
{
	if (in_guard)
		*in_guard = false;
	if (!layout_usable(l))
		return NULL;
	/* Usable ranges never meet any other range, so a usable hit is the answer;
	 * only then are guards (which may touch each other) consulted. */
	for (unsigned i = 0; i < l->raw.nstacks; i++) {
		const struct ebx_stack_desc *s = &l->raw.stacks[i];
		if (addr >= lo_of(s, false) && addr < hi_of(s, false))
			return s;
	}
	for (unsigned i = 0; i < l->raw.nstacks; i++) {
		const struct ebx_stack_desc *s = &l->raw.stacks[i];
		if (addr >= lo_of(s, true) && addr < hi_of(s, true)) {
			if (in_guard)
				*in_guard = true;
			return s;
		}
	}
	return NULL;
}

/* Per-CPU kinds name a CPU (or vCPU) as owner, per-task kinds a task id. */
static bool owner_fits_kind(uint32_t kind, uint32_t owner_kind)
{
	switch (kind) {
	case EBX_STACK_TASK:
	case EBX_STACK_PTI:
	case EBX_STACK_USER:
	case EBX_STACK_UKL:
		return owner_kind == EBX_OWNER_TASK;
	default:
		return owner_kind == EBX_OWNER_CPU || owner_kind == EBX_OWNER_VCPU;
	}
}

uint64_t layout_stack_top(const struct layout *l, uint32_t kind, uint32_t owner_id)
{
	if (!layout_usable(l))
		return 0;
	for (unsigned i = 0; i < l->raw.nstacks; i++) {
		const struct ebx_stack_desc *s = &l->raw.stacks[i];
		if (s->kind == kind && s->owner_id == owner_id && owner_fits_kind(kind, s->owner_kind))
			return s->base + s->size;
	}
	return 0;
}

const struct ebx_stack_desc *layout_landing_stack(const struct layout *l, uint32_t cpu, uint32_t task, bool *per_task)
{
	if (per_task)
		*per_task = false;
	if (!layout_usable(l))
		return NULL;
	for (unsigned i = 0; i < l->raw.nstacks; i++) {
		const struct ebx_stack_desc *s = &l->raw.stacks[i];
		if (!(s->flags & EBX_STACKF_LANDING))
			continue;
		bool task_owned = s->owner_kind == EBX_OWNER_TASK;
		if (per_task)
			*per_task = task_owned;
		if (s->owner_id == (task_owned ? task : cpu))
			return s;
	}
	return NULL;
}

/* Returns the index into tasks[] (not the task id), or -1. */
int layout_task_of_pgd(const struct layout *l, uint64_t pgd, bool *is_user_half)
{
	if (is_user_half)
		*is_user_half = false;
	if (!layout_usable(l))
		return -1;
	/* Kernel halves first: with pti=0 both fields are equal and that PGD is
	 * the task's only (kernel) PGD. */
	for (unsigned i = 0; i < l->raw.ntasks; i++)
		if (l->raw.tasks[i].kernel_pgd == pgd)
			return (int)i;
	for (unsigned i = 0; i < l->raw.ntasks; i++) {
		if (l->raw.tasks[i].user_pgd == pgd) {
			if (is_user_half)
				*is_user_half = true;
			return (int)i;
		}
	}
	return -1;
}

bool layout_in_entry_text(const struct layout *l, uint64_t rip)
{
	return layout_usable(l) && rip >= l->raw.entry_text_start && rip < l->raw.entry_text_end;
}

const struct ebx_stack_desc *layout_stack_of_rsp(const struct layout *l, uint64_t rsp, bool *in_guard)
{
	bool guard = false;
	if (rsp != 0) {
		const struct ebx_stack_desc *below = layout_find_stack(l, rsp - 1, &guard);
		if (below && !guard && rsp == below->base + below->size) {
			if (in_guard)
				*in_guard = false;
			return below;
		}
	}
	return layout_find_stack(l, rsp, in_guard);
}
