/* SPDX-License-Identifier: MIT */
#include "roles/xen_hv.h"

#include <stdio.h>
#include <string.h>

#include "entrybox/abi.h"
#include "entrybox/x86.h"

#define USER_VA_LIMIT  (1ull << 47)
#define BOUNCE_WORDS   7
/* The iret hypercall frame: [RAX][R11][RCX][RIP][CS][RFLAGS][RSP][SS]. */
enum { F_RAX, F_R11, F_RCX, F_RIP, F_CS, F_RFLAGS, F_RSP, F_SS };

struct hv_ctx {
	struct kvm_vcpu *vcpu;
	const struct layout *l;
	struct kvm_regs *r;
	struct kvm_sregs *s;
	uint64_t percpu;
	char *err;
	size_t errlen;
};

static bool broke(struct hv_ctx *c, const char *what)
{
	snprintf(c->err, c->errlen, "hypercall on cpu %u: %s", c->vcpu->index, what);
	return false;
}

static bool read_percpu(struct hv_ctx *c, unsigned offset, uint64_t *val)
{
	return gmem_read_virt(&c->vcpu->vm->mem, c->s->cr3, c->percpu + offset, val, sizeof(*val));
}

static bool write_virt(struct hv_ctx *c, uint64_t cr3, uint64_t gva, const void *src, size_t len)
{
	struct pt_env env = gmem_pt_env_for_writes(&c->vcpu->vm->mem);
	size_t done = 0;
	return pt_write_virt(&env, cr3 & PT_CR3_PGD_MASK, gva, src, len, &done) == PT_OK && done == len;
}

static uint32_t current_task(struct hv_ctx *c, bool *ok)
{
	uint32_t id = 0;
	*ok = gmem_read_virt(&c->vcpu->vm->mem, c->s->cr3, c->l->raw.cpus[c->vcpu->index].current_task_gva, &id,
			     sizeof(id));
	return id;
}

static void ring3_segments(struct kvm_sregs *s, uint16_t cs, uint16_t ss)
{
	kvm_flat_segment(&s->cs, cs, 0xb, 3, KVM_FLAT_CODE64);
	kvm_flat_segment(&s->ss, ss, 0x3, 3, KVM_FLAT_DATA);
}

/* The kernel CR3 the guest parked in its per-CPU page must be the running task's kernel PGD. */
static bool kernel_cr3_of_task(struct hv_ctx *c, uint64_t *kernel_cr3)
{
	bool ok;
	uint32_t id = current_task(c, &ok);
	if (!ok || !read_percpu(c, EBX_PCPU_OFF_KERNEL_CR3, kernel_cr3))
		return broke(c, "per-CPU page unreadable");
	for (uint32_t i = 0; i < c->l->raw.ntasks; i++)
		if (c->l->raw.tasks[i].id == id && c->l->raw.tasks[i].kernel_pgd == (*kernel_cr3 & PT_CR3_PGD_MASK))
			return true;
	return broke(c, "per-CPU kernel_cr3 is not the running task's kernel PGD");
}

static bool entry_target(struct hv_ctx *c, unsigned offset, uint64_t *rip)
{
	if (!read_percpu(c, offset, rip))
		return broke(c, "per-CPU page unreadable");
	if (!layout_in_entry_text(c->l, *rip))
		return broke(c, "resume address outside entry text");
	return true;
}

static bool syscall_bounce(struct hv_ctx *c)
{
	uint64_t kernel_cr3, top, entry, rax, rdx;
	bool ok;
	if (!kernel_cr3_of_task(c, &kernel_cr3) || !entry_target(c, EBX_PCPU_OFF_HC_SYSCALL_ENTRY, &entry))
		return false;
	uint32_t id = current_task(c, &ok);
	if (!read_percpu(c, EBX_PCPU_OFF_TOP_OF_STACK, &top) || !read_percpu(c, EBX_PCPU_OFF_HC_RAX, &rax) ||
	    !read_percpu(c, EBX_PCPU_OFF_HC_RDX, &rdx))
		return broke(c, "per-CPU page unreadable");
	if (!ok || top != layout_stack_top(c->l, EBX_STACK_TASK, id))
		return broke(c, "per-CPU top_of_stack is not the running task's kernel stack top");
	/* Highest address first: SS, RSP, RFLAGS, CS, RIP, then R11 and RCX on top. */
	uint64_t frame[BOUNCE_WORDS] = { c->r->rcx, c->r->r11, c->r->rcx, c->l->raw.user_cs, c->r->r11, c->r->rsp,
					 c->l->raw.user_ss };
	if (!write_virt(c, kernel_cr3, top - sizeof(frame), frame, sizeof(frame)))
		return broke(c, "the task's kernel stack is not mapped under its kernel PGD");
	c->s->cr3 = kernel_cr3;
	c->r->rsp = top - sizeof(frame);
	c->r->rax = rax;
	c->r->rdx = rdx;
	c->r->rip = entry;
	return true;
}

const char *xen_hv_iret_frame_problem(const uint64_t f[8], const struct layout *l)
{
	if (f[F_CS] != l->raw.user_cs)
		return "CS is not the user code selector";
	if (f[F_SS] != l->raw.user_ss)
		return "SS is not the user stack selector";
	if (f[F_RIP] >= USER_VA_LIMIT)
		return "RIP is not a canonical user address";
	if (!(f[F_RFLAGS] & RFLAGS_FIXED))
		return "RFLAGS bit 1 is clear";
	if (f[F_RFLAGS] & (RFLAGS_IOPL | RFLAGS_VM | RFLAGS_VIF | RFLAGS_VIP))
		return "RFLAGS has IOPL, VM, VIF or VIP set";
	return NULL;
}

static bool iret(struct hv_ctx *c, struct xen_hv_stats *stats)
{
	uint64_t f[8], kernel_cr3, rdx, refused;
	if (!kernel_cr3_of_task(c, &kernel_cr3) || !entry_target(c, EBX_PCPU_OFF_HC_IRET_REFUSED, &refused))
		return false;
	if (!read_percpu(c, EBX_PCPU_OFF_HC_RDX, &rdx))
		return broke(c, "per-CPU page unreadable");
	bool guard;
	const struct ebx_stack_desc *st = layout_find_stack(c->l, c->r->rsp, &guard);
	if (!st || guard || st->kind != EBX_STACK_TASK || c->r->rsp + sizeof(f) > st->base + st->size)
		return broke(c, "iret frame is not on a task's kernel stack");
	if (!gmem_read_virt(&c->vcpu->vm->mem, c->s->cr3, c->r->rsp, f, sizeof(f)))
		return broke(c, "iret frame unreadable");
	if (xen_hv_iret_frame_problem(f, c->l)) {
		/* Refused: the kernel kills the task; the guest goes on. */
		stats->refused++;
		c->r->rdi = c->r->rsp;
		c->r->rip = refused;
		return true;
	}
	uint64_t kernel_gs;
	if (!kvm_get_msr(c->vcpu, MSR_KERNEL_GS_BASE, &kernel_gs) ||
	    !kvm_set_msr(c->vcpu, MSR_KERNEL_GS_BASE, c->s->gs.base))
		return broke(c, "cannot swap GS");
	c->s->gs.base = kernel_gs;
	c->s->cr3 = c->l->raw.pti ? (kernel_cr3 | PT_CR3_USER_BIT) : kernel_cr3;
	ring3_segments(c->s, (uint16_t)f[F_CS], (uint16_t)f[F_SS]);
	c->r->rax = f[F_RAX];
	c->r->r11 = f[F_R11];
	c->r->rcx = f[F_RCX];
	c->r->rdx = rdx;
	c->r->rip = f[F_RIP];
	c->r->rflags = (f[F_RFLAGS] | RFLAGS_IF) & ~RFLAGS_RF;
	c->r->rsp = f[F_RSP];
	stats->irets++;
	return true;
}

bool xen_hv_hypercall(struct kvm_vcpu *vcpu, const struct layout *l, uint32_t nr, struct xen_hv_stats *stats,
		      char *err, size_t errlen)
{
	struct hv_ctx c = { .vcpu = vcpu, .l = l, .err = err, .errlen = errlen };
	if (!l->valid)
		return broke(&c, "before the layout was published");
	if (kvm_settle(vcpu) < 0)
		return broke(&c, "cannot complete the OUT");
	c.r = kvm_regs(vcpu);
	c.s = kvm_sregs(vcpu);
	if (!c.r || !c.s)
		return broke(&c, "cannot read registers");
	c.percpu = l->raw.cpus[vcpu->index].percpu_gva;
	if (c.s->cs.dpl != 0 || c.s->gs.base != c.percpu)
		return broke(&c, "not from kernel mode with this CPU's GS base");
	bool ok;
	switch (nr) {
	case EBX_HC_SYSCALL_BOUNCE:
		ok = syscall_bounce(&c);
		stats->bounces += ok;
		break;
	case EBX_HC_IRET:
		ok = iret(&c, stats);
		break;
	default:
		return broke(&c, "unknown hypercall number");
	}
	if (ok) {
		kvm_mark_regs_dirty(vcpu);
		kvm_mark_sregs_dirty(vcpu);
	}
	return ok;
}
