/* SPDX-License-Identifier: MIT */
#include "syscalls/hazard.h"
#include "cpu/cea.h"
#include "cpu/cpu.h"
#include "cpu/debug.h"
#include "cpu/espfix.h"
#include "cpu/nmi.h"
#include "entry_model.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "sched/sched.h"
#include "syscalls/stack_probe.h"
#include "sched/task_stats.h"
#include "user/user_abi.h"

#define SELECTOR_MAX    0xffffull
#define ENTRY_STACK_REACH 0x10000   /* larger than any model's entry stack */

/* The probe each CPU runs, if any: the #DF handler resumes only that one. */
static struct stack_probe *armed_probe[EBX_MAX_CPUS];

static uint64_t read_rflags(void)
{
	uint64_t f;
	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

/* As a ptrace poke or sigreturn may: only RIP (RCX stays the SYSCALL's return
 * address, so the fast exit sees RCX != RIP), or RIP and RCX together, where
 * only the canonical-address test stands between SYSRET and a #GP in ring 0. */
static long sys_set_rip(struct task *t, struct ebx_pt_regs *regs)
{
	regs->rip = regs->rdi;
	if (regs->rsi & SET_RIP_WITH_RCX)
		regs->rcx = regs->rdi;
	if (!entry_sysret_allowed(regs))
		task_stats(t->id)->sysret_refused++;
	return 0;
}

/* Like sigreturn: any selector the user names, with RPL forced to 3, so the
 * IRET back to user is the first place a bad one can fail. */
static long sys_set_segs(struct ebx_pt_regs *regs)
{
	if (regs->rdi > SELECTOR_MAX || regs->rsi > SELECTOR_MAX)
		return -EINVAL;
	regs->cs = regs->rdi | SEL_RPL_MASK;
	regs->ss = regs->rsi | SEL_RPL_MASK;
	return 0;
}

static long sys_kflags(struct task *t)
{
	uint64_t f = read_rflags();
	struct task_stats *st = task_stats(t->id);

	st->kflags_calls++;
	if (f & RFLAGS_NT)
		st->kflags_nt++;
	return (long)f;
}

static long sys_overflow_entry_stack(struct task *t)
{
	unsigned cpu = this_cpu()->cpu;
	struct stack_probe probe;

	uint64_t rsp = (uint64_t)__builtin_frame_address(0);
	uint64_t top = this_cpu()->entry_stack_top;

	if (read_rflags() & RFLAGS_IF)
		panic("entry stack probe with interrupts on");
	/* A model that runs syscalls on the entry stack itself (pervcpu) would
	 * have the probe overwrite its own callers. */
	if (rsp < top && top - rsp < ENTRY_STACK_REACH)
		return -EBUSY;
	armed_probe[cpu] = &probe;
	/* One page beyond the stack: the guard must have stopped it by then. */
	long caught = entry_stack_overflow_probe(&probe, (CEA_ENTRY_STACK_SIZE + 4096) / 8);
	armed_probe[cpu] = NULL;
	if (caught)
		task_stats(t->id)->df_caught++;
	else
		kprintf("entrybox: cpu %u: entry stack overflow ran a page past the stack without a fault\n", cpu);
	return caught;
}

/* compat-entry: the frame a 32-bit syscall left must be the 32-bit task's view. */
static long sys_compat_check(const struct ebx_pt_regs *r)
{
	if (r->cs != GDT_USER32_CS || r->ss != GDT_USER_SS)
		return COMPAT_BAD_SEGMENTS;
	if ((r->rip >> 32) || (r->rsp >> 32))
		return COMPAT_BAD_RIP_RSP;
	if (r->rdi != COMPAT_ARG_EDI || r->rsi != COMPAT_ARG_ESI || r->rbx != COMPAT_ARG_EBX)
		return COMPAT_BAD_ARGS;
	if (r->r8 | r->r9 | r->r10 | r->r12 | r->r13 | r->r14 | r->r15)
		return COMPAT_BAD_R8_R15;
	if (r->orig_rax != SYS_COMPAT_CHECK)
		return COMPAT_BAD_NUMBER;
	return 0;
}

static unsigned popcount32(uint32_t v)
{
	unsigned n = 0;
	for (; v; v &= v - 1)
		n++;
	return n;
}

static long sys_task_stat(struct task *t, uint64_t which)
{
	const struct task_stats *st = task_stats(t->id);

	switch (which) {
	case TSTAT_PREEMPTIONS:
		return st->preemptions;
	case TSTAT_NCPUS_SEEN:
		return popcount32(st->cpus_seen);
	case TSTAT_DB_TRAPS:
		return st->db_traps;
	case TSTAT_DB_LAST_RIP:
		return (long)st->db_last_rip;
	case TSTAT_ONLINE_CPUS:
		return sched_cpu_count();
	case TSTAT_PREEMPT_REFUSED:
		return st->preempt_refused;
	case TSTAT_DB_USER_WATCH:
		return st->db_user_watch;
	case TSTAT_DB_KERNEL_WATCH:
		return st->db_kernel_watch;
	case TSTAT_DB_KERNEL_RIP:
		return (long)st->db_kernel_rip;
	case TSTAT_BP_TRAPS:
		return st->bp_traps;
	case TSTAT_FSGSBASE:
		return (read_cr4() & CR4_FSGSBASE) != 0;
	case TSTAT_PERCPU:
		return (long)this_cpu()->self;
	case TSTAT_TASKS:
		return task_count();
	case TSTAT_PREEMPT_KEEPS_CPU:
		return entry_traits_active()->preempt_keeps_cpu;
	default:
		return -EINVAL;
	}
}

/* The task's LDT goes with it: loaded now and at every switch to it. */
static long sys_ldt16(struct task *t, uint64_t on)
{
	if (on > 1)
		return -EINVAL;
	t->ldt16 = on;
	ldt_load(t->ldt16);
	return 0;
}

/* What the task saw of ESP around IRETs to its 16-bit SS, kept for the judge
 * with the kernel stack whose bits a leak would show. */
static long sys_espfix_seen(struct task *t, uint64_t before, uint64_t after, uint64_t path)
{
	if (before > UINT32_MAX || after > UINT32_MAX || path > ESPFIX_PATH_EXCEPTION)
		return -EINVAL;
	t->espfix_reports[path]++;
	if ((before ^ after) & 0xffff0000u) {
		t->espfix_leaks[path]++;
		t->espfix_esp_before = (uint32_t)before;
		t->espfix_esp_after = (uint32_t)after;
		t->espfix_cpu = this_cpu()->cpu;
		t->espfix_leak_path = (unsigned)path;
		/* The stack that exit IRETs from without espfix: the #DB IST, or TSS.RSP0 (the task's own with pertask). */
		const struct x86_tss *tss = (const struct x86_tss *)(cea_base(t->espfix_cpu) + CEA_TSS);
		t->espfix_kernel_stack = path == ESPFIX_PATH_IST ? tss->ist[IST_DB - 1] : tss->rsp[0];
	}
	return 0;
}

long hazard_syscall(struct task *t, struct ebx_pt_regs *regs)
{
	switch (regs->orig_rax) {
	case SYS_SET_RIP:
		return sys_set_rip(t, regs);
	case SYS_SET_SEGS:
		return sys_set_segs(regs);
	case SYS_KFLAGS:
		return sys_kflags(t);
	case SYS_OVERFLOW_ENTRY_STACK:
		return sys_overflow_entry_stack(t);
	case SYS_TASK_STAT:
		return sys_task_stat(t, regs->rdi);
	case SYS_SET_DEBUGREG:
		return debug_set_task_reg(t, regs->rdi, regs->rsi);
	case SYS_COMPAT_CHECK:
		return sys_compat_check(regs);
	case SYS_NMI_NEST:
		return nmi_nest_probe(t);
	case SYS_LDT16:
		return sys_ldt16(t, regs->rdi);
	case SYS_ESPFIX_SEEN:
		return sys_espfix_seen(t, regs->rdi, regs->rsi, regs->rdx);
	default:
		return -ENOSYS;
	}
}

bool hazard_double_fault(struct ebx_pt_regs *regs)
{
	struct percpu *pc = this_cpu();
	uint64_t cr2 = read_cr2();
	uint64_t stack_lo = pc->entry_stack_top - CEA_ENTRY_STACK_SIZE;
	unsigned cpu = pc->cpu;

	/* A push that faults on the guard page leaves its address in CR2; the #PF
	 * the CPU then failed to push on the same stack made it a #DF. */
	if (cr2 < stack_lo - 4096 || cr2 >= stack_lo)
		return false;
	struct stack_probe *p = cpu < EBX_MAX_CPUS ? armed_probe[cpu] : NULL;
	kprintf("@entrybox {\"event\":\"entry-stack-overflow\",\"cpu\":%u,\"rip\":\"0x%llx\",\"rsp\":\"0x%llx\","
		"\"cr2\":\"0x%llx\",\"stack\":\"0x%llx\",\"recovered\":%s}\n",
		cpu, (unsigned long long)regs->rip, (unsigned long long)regs->rsp, (unsigned long long)cr2,
		(unsigned long long)stack_lo, p ? "true" : "false");
	if (!p)
		panic("entry stack overflow on cpu %u at rip 0x%llx", cpu, (unsigned long long)regs->rip);
	regs->rip = p->resume_rip;
	regs->rsp = p->resume_rsp;
	return true;
}

void entry_bad_iret_fixed(const struct ebx_pt_regs *regs, unsigned vector)
{
	struct task *t = current_task();

	kprintf("entrybox: cpu %u: IRET to user faulted in ring 0 (vector %u, error 0x%llx): delivered to task %u "
		"at rip 0x%llx cs 0x%llx ss 0x%llx\n",
		this_cpu()->cpu, vector, (unsigned long long)regs->orig_rax, t ? t->id : PCPU_NO_TASK,
		(unsigned long long)regs->rip, (unsigned long long)regs->cs, (unsigned long long)regs->ss);
	if (t)
		task_stats(t->id)->bad_iret++;
}
