/* SPDX-License-Identifier: MIT */
/* The syscall table (user/user_abi.h) behind every entry model. */
#include "entry_model.h"
#include "lib/console.h"
#include "hv/hv.h"
#include "lib/lib.h"
#include "mm/mm.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "cpu/cpu.h"
#include "sched/sched.h"
#include "sched/task_stats.h"
#include "syscalls/hazard.h"
#include "user/user_abi.h"

#define WRITE_MAX 512

static long sys_write(struct task *t, uint64_t buf, uint64_t len)
{
	char tmp[WRITE_MAX];

	if (len > WRITE_MAX)
		len = WRITE_MAX;
	/* Walk the task's own tables: a pointer into the kernel half, or to an
	 * unmapped page, is refused before it is touched. */
	if (!mm_user_range_ok(t->kernel_pgd, buf, len))
		return -EFAULT;
	memcpy(tmp, (const void *)buf, len);
	console_write(tmp, len);
	return (long)len;
}

static __attribute__((noreturn)) void sys_exit(struct task *t, long status)
{
	t->state = TASK_EXITED;
	t->exit_status = status;
	schedule();
	panic("task %u ran after exit", t->id);
}

/* Under our VMM, `--inject pf-user-stack` takes the page the task's next push
 * lands in away at exactly this point; elsewhere the request changes nothing. */
static long sys_inject_point(struct task *t, const struct ebx_pt_regs *regs)
{
	struct ebx_ev_inject_point p = { .task = t->id, .user_rsp = regs->rsp };
	strlcpy_k(p.what, "pf-user-stack", sizeof(p.what));
	struct pt_walk before, after;
	bool was_mapped = pt_walk(mm_env(), t->kernel_pgd, regs->rsp - 8, &before) == PT_OK;
	hv_checkpoint(this_cpu()->cpu, EBX_EV_INJECT_POINT, &p, sizeof(p));
	if (was_mapped && pt_walk(mm_env(), t->kernel_pgd, regs->rsp - 8, &after) != PT_OK)
		t->stack_pages_taken++; /* stack growth will map it again: one page more */
	/* The VMM may have cleared the PTE of the page holding user_rsp - 8 (abi.h);
	 * only the guest can drop what its TLB (or the hypervisor's shadow of its
	 * tables) still caches, as a kernel does after changing a mapping. */
	invlpg(regs->rsp - 8);
	sched_flush_user_pcid(t);
	return 0;
}

static long sys_measure(uint64_t phase, uint64_t iterations)
{
	struct ebx_ev_measure m = { .iterations = phase ? iterations : 0 };

	if (phase > 1)
		return -EINVAL;
	strlcpy_k(m.name, "syscall-null", sizeof(m.name));
	hv_checkpoint(this_cpu()->cpu, phase ? EBX_EV_MEASURE_END : EBX_EV_MEASURE_BEGIN, &m, sizeof(m));
	return 0;
}

/* regs-roundtrip: the saved frame must hold exactly what user_regs_syscall
 * loaded (user_abi.h), and what SYSCALL itself put in RCX/R11. */
static long regs_verdict(const struct ebx_pt_regs *r)
{
	static const struct {
		unsigned reg;
		size_t off;
	} checked[] = {
		{ 2, offsetof(struct ebx_pt_regs, rdx) }, { 3, offsetof(struct ebx_pt_regs, rbx) },
		{ 5, offsetof(struct ebx_pt_regs, rbp) }, { 6, offsetof(struct ebx_pt_regs, rsi) },
		{ 8, offsetof(struct ebx_pt_regs, r8) },  { 9, offsetof(struct ebx_pt_regs, r9) },
		{ 10, offsetof(struct ebx_pt_regs, r10) }, { 12, offsetof(struct ebx_pt_regs, r12) },
		{ 13, offsetof(struct ebx_pt_regs, r13) }, { 14, offsetof(struct ebx_pt_regs, r14) },
		{ 15, offsetof(struct ebx_pt_regs, r15) },
	};
	uint64_t seed = r->rdi;

	if (r->orig_rax != SYS_REGS_CHECK)
		return REG_EXIT_BASE + 0;
	if (r->rcx != r->rip)
		return REG_EXIT_BASE + 1;
	if (r->r11 != r->rflags)
		return REG_EXIT_BASE + 11;
	for (size_t i = 0; i < ARRAY_SIZE(checked); i++) {
		uint64_t v = *(const uint64_t *)((const char *)r + checked[i].off);
		if (v != regs_pattern(seed, checked[i].reg))
			return REG_EXIT_BASE + checked[i].reg;
	}
	return 0;
}

static long sys_regs_check(struct task *t, struct ebx_pt_regs *regs)
{
	struct ebx_ev_syscall_regs ev = { .pt_regs_gva = (uint64_t)regs, .task = t->id };
	long verdict = regs_verdict(regs);

	t->regs_checks++;
	if (verdict)
		t->regs_bad++;
	hv_checkpoint(this_cpu()->cpu, EBX_EV_SYSCALL_REGS, &ev, sizeof(ev));
	return verdict;
}

static long yield_wait(void *arg)
{
	(void)arg;
	schedule();
	return 0;
}

static long sleep_wait(void *arg)
{
	struct task *t = arg;

	t->sleeps++;
	sched_sleep();
	return 0;
}

static long sys_wake(uint64_t id)
{
	struct task *t = task_get((unsigned)id);

	if (!t || id > 0xffffffffu)
		return -EINVAL;
	if (!sched_wake(t))
		return 0;
	t->woken++;
	return 1;
}

void syscall_dispatch_compat(struct ebx_pt_regs *regs)
{
	struct task *t = current_task();

	if (t)
		task_stats(t->id)->compat_syscalls++;
	syscall_dispatch(regs);
}

void syscall_dispatch(struct ebx_pt_regs *regs)
{
	struct task *t = current_task();
	long ret;

	if (!t)
		panic("syscall %llu with no current task", (unsigned long long)regs->orig_rax);
	task_stats(t->id)->syscalls++;
	switch (regs->orig_rax) {
	case SYS_NULL:
		ret = 0;
		break;
	case SYS_WRITE:
		ret = sys_write(t, regs->rdi, regs->rsi);
		break;
	case SYS_YIELD:
		ret = entry_block(regs, false, yield_wait, NULL);
		break;
	case SYS_SLEEP:
		ret = entry_block(regs, true, sleep_wait, t);
		break;
	case SYS_WAKE:
		ret = sys_wake(regs->rdi);
		break;
	case SYS_EXIT:
		sys_exit(t, (long)regs->rdi);
	case SYS_MEASURE:
		ret = sys_measure(regs->rdi, regs->rsi);
		break;
	case SYS_REGS_CHECK:
		ret = sys_regs_check(t, regs);
		break;
	case SYS_INJECT_POINT:
		ret = sys_inject_point(t, regs);
		break;
	case SYS_TASK_INFO:
		ret = regs->rdi == TINFO_ID ? (long)t->id : regs->rdi == TINFO_SCENARIO ? (long)t->scenario
		    : regs->rdi == TINFO_ITERS ? (long)t->iters : -EINVAL;
		break;
	default:
		if (regs->orig_rax >= SYS_HAZARD_FIRST && regs->orig_rax <= SYS_HAZARD_LAST)
			ret = hazard_syscall(t, regs);
		else
			ret = -ENOSYS;
		break;
	}
	regs->rax = (uint64_t)ret;
}
