/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the VMM as the Xen-style hypervisor (entry=xen hv=vmm):
 * the guest's iret frame, its per-CPU page and its registers at the
 * hypercall are the input; the guest's page tables map a published layout
 * (tests/fixtures/) as the guest maps it.  Whatever the guest supplies, the
 * handler either refuses with one line, or leaves a vCPU state the contract
 * allows: an iret returns to ring 3 at a canonical user RIP with the user
 * selectors and sane RFLAGS on the running task's page tables; a refusal or
 * a bounce resumes inside entry text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check/layout.h"
#include "fake_kvm.h"
#include "fixtures/layout_fixture.h"
#include "fuzz/fuzz_inputs.h"
#include "fuzz/fuzz_target.h"
#include "roles/xen_hv.h"

#define RAM_SIZE      (4ull << 20)
#define TABLES_PA     0x200000ull   /* page-table pages come from here up */
#define PERCPU_PA     0x300000ull   /* one page per CPU */
#define STACKS_PA     0x310000ull   /* one task kernel stack after another */
#define STACK_SIZE    FUZZ_XEN_STACK_SIZE
#define PERCPU_TAKEN  FUZZ_XEN_PERCPU_TAKEN
#define KSTACKS_GVA   FUZZ_XEN_KSTACKS_GVA
#define PERCPU_GVA(c) (0xffffffff82000000ull + (uint64_t)(c) * 0x10000ull)
#define USER_VA_LIMIT (1ull << 47)

static struct {
	uint8_t *ram;
	struct kvm_vm vm;
	struct layout layout[2];   /* [pti] */
	uint64_t next_table;
} w;

static void *phys_page(void *ctx, uint64_t pa)
{
	(void)ctx;
	return pa + 4096 <= RAM_SIZE && pa % 4096 == 0 ? w.ram + pa : NULL;
}

static uint64_t alloc_page(void *ctx)
{
	(void)ctx;
	if (w.next_table >= PERCPU_PA)
		return 0;
	memset(w.ram + w.next_table, 0, 4096);
	uint64_t pa = w.next_table;
	w.next_table += 4096;
	return pa;
}

static void map(uint64_t pgd, uint64_t gva, uint64_t pa, uint64_t size)
{
	struct pt_env env = { .phys_page = phys_page, .alloc_page = alloc_page };
	FUZZ_ASSERT(pt_map(&env, pgd, gva, pa, size, PT_W | PT_NX, PT_PAGE_SIZE) == PT_OK);
}

/* Every task's two PGDs map every per-CPU page and every task's kernel stack. */
static void build_world(void)
{
	w.ram = calloc(1, RAM_SIZE);
	FUZZ_ASSERT(w.ram != NULL);
	w.vm.mem.host = w.ram;
	w.vm.mem.size = RAM_SIZE;
	w.next_table = TABLES_PA;
	for (int pti = 0; pti <= 1; pti++) {
		struct ebx_layout raw;
		fx_build(&raw, pti);
		char err[200];
		FUZZ_ASSERT(layout_validate(&raw, sizeof(raw), RAM_SIZE, &w.layout[pti], err, sizeof(err)));
	}
	for (unsigned t = 0; t < FX_NTASKS; t++) {
		for (uint64_t half = 0; half <= 0x1000; half += 0x1000) {
			uint64_t pgd = 0x100000ull + t * 0x2000ull + half;
			for (unsigned c = 0; c < FX_NCPUS; c++)
				map(pgd, PERCPU_GVA(c), PERCPU_PA + c * 4096ull, 4096);
			for (unsigned s = 0; s < FX_NTASKS; s++)
				map(pgd, KSTACKS_GVA + s * 0x10000ull, STACKS_PA + s * STACK_SIZE, STACK_SIZE);
		}
	}
}

static void set_state(struct kvm_vcpu *v, const struct fuzz_xen_input *in, const struct layout *l)
{
	unsigned cpu = in->flags & FUZZ_XEN_CPU1 ? 1 : 0;
	unsigned task = in->task % FX_NTASKS;
	v->index = cpu;
	v->sregs.cs.dpl = in->flags & FUZZ_XEN_USER_MODE ? 3 : 0;
	v->sregs.gs.base = in->flags & FUZZ_XEN_RAW_GS ? in->raw_gs : l->raw.cpus[cpu].percpu_gva;
	uint64_t pgd = 0x100000ull + task * 0x2000ull + (in->flags & FUZZ_XEN_USER_HALF ? 0x1000 : 0);
	v->sregs.cr3 = in->flags & FUZZ_XEN_RAW_CR3 ? in->raw_cr3 : pgd;
	uint64_t stack = KSTACKS_GVA + task * 0x10000ull;
	v->regs.rsp = in->flags & FUZZ_XEN_RAW_RSP ? in->raw_rsp : stack + in->rsp_off % (STACK_SIZE + 0x100) - 0x80;
	v->regs.rcx = in->rcx;
	v->regs.r11 = in->r11;
	v->regs.rip = 0xdeadbeef;
}

static void fill(uint64_t pa, size_t size, const uint8_t **data, size_t *left)
{
	memset(w.ram + pa, 0, size);
	size_t n = *left < size ? *left : size;
	memcpy(w.ram + pa, *data, n);
	*data += n;
	*left -= n;
}

static bool pgd_of_a_task(const struct layout *l, uint64_t cr3)
{
	for (uint32_t i = 0; i < l->raw.ntasks; i++)
		if ((cr3 & PT_CR3_PGD_MASK) == l->raw.tasks[i].kernel_pgd ||
		    (cr3 & PT_CR3_PGD_MASK) == l->raw.tasks[i].user_pgd)
			return true;
	return false;
}

static void check_iret(const struct kvm_vcpu *v, const struct layout *l)
{
	FUZZ_ASSERT(v->regs.rip < USER_VA_LIMIT);
	FUZZ_ASSERT(v->sregs.cs.dpl == 3 && v->sregs.ss.dpl == 3);
	FUZZ_ASSERT(v->sregs.cs.selector == l->raw.user_cs && v->sregs.ss.selector == l->raw.user_ss);
	FUZZ_ASSERT(v->regs.rflags & (1ull << 9));                 /* IF */
	FUZZ_ASSERT(v->regs.rflags & (1ull << 1));                 /* fixed bit */
	FUZZ_ASSERT(!(v->regs.rflags & ((3ull << 12) | (1ull << 16) | (1ull << 17) | (3ull << 19))));
	FUZZ_ASSERT(pgd_of_a_task(l, v->sregs.cr3));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!w.ram)
		build_world();
	struct fuzz_xen_input in;
	if (size < sizeof(in))
		return 0;
	memcpy(&in, data, sizeof(in));
	data += sizeof(in);
	size -= sizeof(in);
	const struct layout *l = &w.layout[in.flags & FUZZ_XEN_PTI ? 1 : 0];
	unsigned cpu = in.flags & FUZZ_XEN_CPU1 ? 1 : 0;
	/* The per-CPU page first (kernel_cr3, targets, the current task), then the stack. */
	for (unsigned c = 0; c < FX_NCPUS; c++)
		memset(w.ram + PERCPU_PA + c * 4096ull, 0, 4096);
	fill(PERCPU_PA + cpu * 4096ull, PERCPU_TAKEN, &data, &size);
	for (unsigned t = 0; t < FX_NTASKS; t++)
		memset(w.ram + STACKS_PA + t * STACK_SIZE, 0, STACK_SIZE);
	fill(STACKS_PA + (in.task % FX_NTASKS) * STACK_SIZE, STACK_SIZE, &data, &size);

	struct kvm_vcpu v;
	fake_kvm_reset(&v, &w.vm, in.kernel_gs);
	set_state(&v, &in, l);
	uint32_t nr = in.nr % 4;
	struct xen_hv_stats stats = { 0 };
	char err[200];
	err[0] = '\0';
	bool ok = xen_hv_hypercall(&v, l, nr, &stats, err, sizeof(err));
	if (!ok) {
		FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) && err[0] && !strchr(err, '\n'));
		FUZZ_ASSERT(stats.bounces + stats.irets + stats.refused == 0);
		return 0;
	}
	FUZZ_ASSERT(stats.bounces + stats.irets + stats.refused == 1);
	if (stats.irets) {
		check_iret(&v, l);
		/* GS swapped: the user GS the frame's task had is now the MSR's. */
		FUZZ_ASSERT(v.sregs.gs.base == in.kernel_gs);
	} else {
		FUZZ_ASSERT(layout_in_entry_text(l, v.regs.rip));
		FUZZ_ASSERT(v.sregs.cs.dpl == 0);
	}
	if (stats.bounces)
		FUZZ_ASSERT(pgd_of_a_task(l, v.sregs.cr3));
	return 0;
}
