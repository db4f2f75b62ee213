/* SPDX-License-Identifier: MIT */
#include "kvm/vmsnap.h"
#include "entrybox/x86.h"
#include "kvm/dirty_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MSRS 512

struct vcpu_snap_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
	struct kvm_debugregs debugregs;
	struct kvm_xcrs xcrs;
	struct kvm_xsave xsave;
	struct kvm_mp_state mp;
	bool has_xcrs;
	struct kvm_msrs *msrs;     /* only the MSRs KVM would read back */
};

struct vmsnap {
	unsigned nvcpus;
	struct vcpu_snap_state *vcpu;
	uint8_t *ram;
	uint64_t ram_size;
	struct dirty_reader *dirty;
	uint64_t *tables;          /* bit per RAM page: a page table of the guest at the snapshot */
	bool shadow_paging;
	size_t restored_pages;
	bool table_changed, reloaded;
};

#define PAGE_BYTES 4096u
#define PTE_AD     0x60ull     /* accessed and dirty: the CPU's own writes */

struct table_map {
	uint64_t *bits;
	uint64_t npages;
};

static bool note_table(void *ctx, uint64_t table_pa)
{
	struct table_map *t = ctx;
	uint64_t page = table_pa / PAGE_BYTES;
	if (page >= t->npages || (t->bits[page / 64] & (1ull << (page % 64))))
		return false;
	t->bits[page / 64] |= 1ull << (page % 64);
	return true;
}

static bool map_tables(struct vmsnap *s, struct kvm_vm *vm, const struct vmsnap_options *opt)
{
	uint64_t npages = s->ram_size / PAGE_BYTES;
	s->tables = calloc((npages + 63) / 64, sizeof(uint64_t));
	if (!s->tables)
		return false;
	struct table_map t = { s->tables, npages };
	struct pt_env env = gmem_pt_env(&vm->mem);
	for (unsigned i = 0; i < opt->npt_roots; i++)
		pt_visit_tables(&env, opt->pt_roots[i], note_table, &t);
	return true;
}

/* A table differs in more than the bits the CPU sets on its own. */
static bool table_differs(const uint8_t *a, const uint8_t *b)
{
	const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;
	for (unsigned i = 0; i < PAGE_BYTES / 8; i++)
		if ((x[i] ^ y[i]) & ~PTE_AD)
			return true;
	return false;
}

static bool fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, strerror(errno));
	return false;
}

/* The MSR index list includes MSRs this vCPU model refuses; keep the ones that read. */
static struct kvm_msrs *read_msrs(struct kvm_vcpu *vcpu)
{
	struct kvm_msr_list *list = calloc(1, sizeof(*list) + MAX_MSRS * sizeof(uint32_t));
	struct kvm_msrs *m = calloc(1, sizeof(*m) + MAX_MSRS * sizeof(struct kvm_msr_entry));
	if (!list || !m)
		goto fail;
	list->nmsrs = MAX_MSRS;
	if (kvm_system_request(vcpu->vm, KVM_GET_MSR_INDEX_LIST, list) < 0)
		goto fail;
	for (uint32_t i = 0; i < list->nmsrs; i++) {
		struct {
			struct kvm_msrs hdr;
			struct kvm_msr_entry e;
		} one;
		memset(&one, 0, sizeof(one));
		one.hdr.nmsrs = 1;
		one.e.index = list->indices[i];
		if (kvm_vcpu_request(vcpu, KVM_GET_MSRS, &one) == 1)
			m->entries[m->nmsrs++] = one.e;
	}
	free(list);
	return m;
fail:
	free(list);
	free(m);
	return NULL;
}

/* KVM_SET_* requests read their argument only. */
static int put(struct kvm_vcpu *vcpu, unsigned long request, const void *arg)
{
	return kvm_vcpu_request(vcpu, request, (void *)(uintptr_t)arg);
}

static int get(struct kvm_vcpu *vcpu, unsigned long request, void *arg)
{
	return kvm_vcpu_request(vcpu, request, arg);
}

static bool take_vcpu(struct kvm_vcpu *vcpu, struct vcpu_snap_state *s, char *err, size_t errlen)
{
	kvm_invalidate_regs(vcpu);
	struct kvm_regs *r = kvm_regs(vcpu);
	struct kvm_sregs *sr = kvm_sregs(vcpu);
	if (!r || !sr)
		return fail(err, errlen, "KVM_GET_REGS/SREGS");
	s->regs = *r;
	s->sregs = *sr;
	if (get(vcpu, KVM_GET_LAPIC, &s->lapic) < 0 || get(vcpu, KVM_GET_VCPU_EVENTS, &s->events) < 0 ||
	    get(vcpu, KVM_GET_DEBUGREGS, &s->debugregs) < 0 || get(vcpu, KVM_GET_XSAVE, &s->xsave) < 0 ||
	    get(vcpu, KVM_GET_MP_STATE, &s->mp) < 0)
		return fail(err, errlen, "reading vCPU state");
	s->has_xcrs = get(vcpu, KVM_GET_XCRS, &s->xcrs) == 0;
	s->msrs = read_msrs(vcpu);
	if (!s->msrs)
		return fail(err, errlen, "KVM_GET_MSR_INDEX_LIST");
	return true;
}

struct vmsnap *vmsnap_take(struct kvm_vm *vm, struct kvm_vcpu *const vcpus[], unsigned n,
			   const struct vmsnap_options *opt, char *err, size_t errlen)
{
	struct vmsnap *s = calloc(1, sizeof(*s));
	if (s)
		s->vcpu = calloc(n, sizeof(*s->vcpu));
	if (!s || !s->vcpu) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->nvcpus = n;
	s->shadow_paging = opt->shadow_paging;
	for (unsigned i = 0; i < n; i++)
		if (!take_vcpu(vcpus[i], &s->vcpu[i], err, errlen))
			goto out;
	/* From here on the log holds what the guest writes after the copy. */
	s->dirty = dirty_log_join(vm, err, errlen);
	if (!s->dirty)
		goto out;
	s->ram_size = vm->mem.size;
	s->ram = malloc(s->ram_size);
	if (!s->ram || dirty_log_take(vm, s->dirty, NULL, NULL) < 0) {
		snprintf(err, errlen, "out of memory for a %llu MiB RAM copy, or no dirty log",
			 (unsigned long long)(s->ram_size >> 20));
		goto out;
	}
	memcpy(s->ram, vm->mem.host, s->ram_size);
	if (!map_tables(s, vm, opt)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	return s;
out:
	vmsnap_free(vm, s);
	return NULL;
}

struct restore_ctx {
	struct vmsnap *snap;
	uint8_t *host;
};

static void restore_page(void *ctx, size_t page)
{
	struct restore_ctx *c = ctx;
	struct vmsnap *s = c->snap;
	uint8_t *now = c->host + page * PAGE_BYTES;
	const uint8_t *then = s->ram + page * PAGE_BYTES;
	if ((s->tables[page / 64] & (1ull << (page % 64))) && table_differs(now, then))
		s->table_changed = true;
	memcpy(now, then, PAGE_BYTES);
	s->restored_pages++;
}

/* KVM resets a vCPU's MMU context when KVM_SET_SREGS changes CR4, and
 * flushes its TLB when it loads the context again. */
static bool reset_mmu(const struct vcpu_snap_state *s, struct kvm_vcpu *vcpu, char *err, size_t errlen)
{
	struct kvm_sregs other = s->sregs;
	other.cr4 ^= CR4_PGE;
	if (put(vcpu, KVM_SET_SREGS, &other) < 0)
		return fail(err, errlen, "KVM_SET_SREGS (TLB flush)");
	return true;
}

/* Order: MSRs (EFER and friends) and sregs before the registers that
 * depend on the mode; events and the LAPIC last, on a settled vCPU. */
static bool restore_vcpu(const struct vcpu_snap_state *s, struct kvm_vcpu *vcpu, char *err, size_t errlen)
{
	if (!reset_mmu(s, vcpu, err, errlen))
		return false;
	if (put(vcpu, KVM_SET_MSRS, s->msrs) != (int)s->msrs->nmsrs)
		return fail(err, errlen, "KVM_SET_MSRS");
	if (put(vcpu, KVM_SET_SREGS, &s->sregs) < 0 || put(vcpu, KVM_SET_REGS, &s->regs) < 0)
		return fail(err, errlen, "KVM_SET_SREGS/REGS");
	if (put(vcpu, KVM_SET_XSAVE, &s->xsave) < 0 || (s->has_xcrs && put(vcpu, KVM_SET_XCRS, &s->xcrs) < 0))
		return fail(err, errlen, "KVM_SET_XSAVE/XCRS");
	if (put(vcpu, KVM_SET_DEBUGREGS, &s->debugregs) < 0 || put(vcpu, KVM_SET_LAPIC, &s->lapic) < 0)
		return fail(err, errlen, "KVM_SET_DEBUGREGS/LAPIC");
	struct kvm_vcpu_events ev = s->events;
	ev.flags &= KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR | KVM_VCPUEVENT_VALID_SHADOW |
		    KVM_VCPUEVENT_VALID_PAYLOAD;
	if (put(vcpu, KVM_SET_VCPU_EVENTS, &ev) < 0 || put(vcpu, KVM_SET_MP_STATE, &s->mp) < 0)
		return fail(err, errlen, "KVM_SET_VCPU_EVENTS/MP_STATE");
	vcpu->regs_valid = vcpu->sregs_valid = false;
	vcpu->regs_dirty = vcpu->sregs_dirty = false;
	return true;
}

bool vmsnap_restore(struct vmsnap *s, struct kvm_vm *vm, struct kvm_vcpu *const vcpus[], unsigned n, char *err,
		    size_t errlen)
{
	if (s->ram_size != vm->mem.size || n != s->nvcpus) {
		snprintf(err, errlen, "snapshot of another VM (RAM size or vCPU count differs)");
		return false;
	}
	struct restore_ctx c = { s, vm->mem.host };
	s->restored_pages = 0;
	s->table_changed = s->reloaded = false;
	if (dirty_log_take(vm, s->dirty, restore_page, &c) < 0)
		return fail(err, errlen, "KVM_GET_DIRTY_LOG");
	if (s->table_changed && s->shadow_paging) {
		if (kvm_forget_translations(vm) < 0)
			return fail(err, errlen, "reloading the memory slot");
		s->reloaded = true;
	}
	for (unsigned i = 0; i < n; i++)
		if (!restore_vcpu(&s->vcpu[i], vcpus[i], err, errlen))
			return false;
	return true;
}

size_t vmsnap_restored_pages(const struct vmsnap *s)
{
	return s ? s->restored_pages : 0;
}

bool vmsnap_reloaded(const struct vmsnap *s)
{
	return s && s->reloaded;
}

void vmsnap_free(struct kvm_vm *vm, struct vmsnap *s)
{
	if (!s)
		return;
	for (unsigned i = 0; s->vcpu && i < s->nvcpus; i++)
		free(s->vcpu[i].msrs);
	free(s->vcpu);
	dirty_log_leave(vm, s->dirty);
	free(s->tables);
	free(s->ram);
	free(s);
}
