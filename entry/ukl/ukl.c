/* SPDX-License-Identifier: MIT */
/*
 * The ukl model's table row and the C glue of ukl.S.  With entry=ukl the
 * first ukl_tasks tasks (all of them when ukl_tasks=0) are ring-0
 * applications (guest/ukl/ukl_app.c) on their task's stack VMA, published as
 * EBX_STACK_UKL; the others stay ring-3 tasks beside them.  pti=off only: a
 * UKL application shares the kernel's address space, so there is no user
 * page table to switch to.
 */
#include "entry_model.h"
#include "glue.h"
#include "cpu/cea.h"
#include "cpu/cpu.h"
#include "hv/layout.h"
#include "mm/mm.h"
#include "mm/palloc.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "sched/sched.h"
#include "sched/task.h"
#include "ukl/ukl_app.h"

#define CALL_FRAME 16                /* the application's pushfq; call below its RSP */
#define PF_IST 5                     /* ukl_df=ist: #PF's own IST slot */
#define PF_IST_OFFSET 0x38000        /* in the CPU's cpu_entry_area, guard pages around */
#define PF_IST_SIZE   0x2000
_Static_assert(PF_IST_OFFSET + PF_IST_SIZE + 0x1000 <= CEA_STRIDE, "#PF IST outside its CEA");

/* ukl_df= */
enum ukl_df {
	UKL_DF_WORKAROUND = ENTRY_VAL(ukl, ukl_df, workaround),
	UKL_DF_IST = ENTRY_VAL(ukl, ukl_df, ist),
	UKL_DF_NONE = ENTRY_VAL(ukl, ukl_df, none),
};

struct ukl_state {
	enum ukl_df df;
	unsigned napps;              /* task ids below this are applications */
	bool trust_app_rsp;          /* bug=ukl-trust-app-rsp */
};

static struct ukl_state state;

extern const uint64_t ukl_idt_nopti[IDT_ENTRIES], ukl_idt_pfist[IDT_ENTRIES];
extern const entry_ist_bug_table ukl_ist_bugs_nopti;
extern const char ukl_syscall_nopti[], ukl_syscall_nopti_sysretq[], ukl_first_return[];
extern const char ukl_entry_SYSCALL_64[], ukl_return_to_app_ret[], ukl_syscall32_nopti[];

static bool is_app(const struct task *t)
{
	return t && t->id < state.napps;
}

static enum entry_select ukl_select(const struct entry_mode *mode, struct entry_variant *v, const char **why)
{
	unsigned long apps = ENTRY_OPT(mode->opts, ukl, ukl_tasks);

	if (mode->pti || mode->pcid) {
		*why = "entry=ukl runs applications in the kernel's address space: pti=off and pcid=off only";
		return ENTRY_REFUSED;
	}
	if (apps > mode->opts->tasks) {
		*why = "ukl_tasks= is more than tasks=";
		return ENTRY_REFUSED;
	}
	state.trust_app_rsp = ENTRY_OPT_IS(mode->opts, ukl, bug, trust_app_rsp);
	state.df = (enum ukl_df)ENTRY_OPT(mode->opts, ukl, ukl_df);
	state.napps = apps ? (unsigned)apps : mode->opts->tasks;
	v->traits.ring0_tasks = state.napps;
	v->traits.app_fault = state.df == UKL_DF_IST ? ENTRY_APP_FAULT_IST
			    : state.df == UKL_DF_NONE ? ENTRY_APP_FAULT_FATAL : ENTRY_APP_FAULT_DF_FIXUP;
	v->syscall_entry = (uint64_t)ukl_syscall_nopti;
	v->syscall32_entry = (uint64_t)ukl_syscall32_nopti;
	v->syscall_return = (uint64_t)ukl_syscall_nopti_sysretq;
	v->app_syscall_entry = (uint64_t)ukl_entry_SYSCALL_64;
	v->app_syscall_return = (uint64_t)ukl_return_to_app_ret;
	v->idt_stubs = state.df == UKL_DF_IST ? ukl_idt_pfist : ukl_idt_nopti;
	entry_apply_ist_bug(v, mode, &ukl_ist_bugs_nopti);
	v->return_to_user = (uint64_t)ukl_first_return;
	ukl_app_kernel_entry = (uint64_t)ukl_entry_SYSCALL_64;
	return ENTRY_SELECTED;
}

static uint64_t pf_ist_base(unsigned cpu)
{
	return cea_base(cpu) + PF_IST_OFFSET;
}

/* ukl_df=ist: #PF gets a stack of its own, so a fault on the application's
 * stack can push its frame. */
static void ukl_cpu_setup(unsigned cpu, struct percpu *pc, struct x86_tss *tss)
{
	pc->ukl_in_user = UKL_KERNEL;
	if (state.df == UKL_DF_NONE) {
		/* Nothing gives #DF a known-good stack: the fault the application
		 * stack cannot take becomes a #DF that cannot be delivered either. */
		idt_set_ist(VEC_DF, 0);
		return;
	}
	if (state.df != UKL_DF_IST)
		return;
	uint64_t base = pf_ist_base(cpu);
	mm_map(mm_init_pgd(), base, palloc_pages(PF_IST_SIZE / 4096, 4096), PF_IST_SIZE, PT_W | PT_NX, PT_PAGE_SIZE,
	       "ukl #PF IST stack");
	tss->ist[PF_IST - 1] = base + PF_IST_SIZE;
	idt_set_ist(VEC_PF, PF_IST);
}

/* Where each application's stack lies, by its kernel stack (switch_task is
 * handed the latter): the bounds its syscalls' RSP is checked against. */
struct app_stack {
	uint64_t kstack_top, rsp_lo, rsp_hi;
};

static struct app_stack app_stacks[EBX_MAX_TASKS];

/* An application's first exit goes to ukl_app_entry in ring 0 on its stack. */
static void ukl_task_setup(struct task *t, bool pti)
{
	struct ebx_pt_regs *regs = (struct ebx_pt_regs *)(t->kstack_top - sizeof(*regs));

	(void)pti;
	if (!is_app(t))
		return;
	/* The RSP it had before `pushfq; call`: room for those 16 bytes below it. */
	app_stacks[t->id] = (struct app_stack){ t->kstack_top, t->ustack_lo + CALL_FRAME, t->ustack_top };
	regs->rip = (uint64_t)ukl_app_entry;
	regs->cs = GDT_KERNEL_CS;
	regs->ss = GDT_KERNEL_SS;
}

static void set_app_rsp_bounds(struct percpu *pc, uint64_t kstack_top)
{
	pc->ukl_app_rsp_lo = ~0ull;   /* nothing passes: a ring-3 task never enters here */
	pc->ukl_app_rsp_hi = 0;
	for (unsigned i = 0; i < state.napps && i < EBX_MAX_TASKS; i++) {
		if (app_stacks[i].kstack_top == kstack_top) {
			pc->ukl_app_rsp_lo = state.trust_app_rsp ? 0 : app_stacks[i].rsp_lo;
			pc->ukl_app_rsp_hi = state.trust_app_rsp ? ~0ull : app_stacks[i].rsp_hi;
		}
	}
}

/* Ring-3 tasks enter on their kernel stack directly (TSS.RSP0); applications
 * find it in the per-CPU page. */
static void ukl_switch_task(struct percpu *pc, struct x86_tss *tss, uint64_t kstack_top)
{
	set_app_rsp_bounds(pc, kstack_top);
	tss->rsp[0] = kstack_top;
	pc->entry_stack_top = kstack_top;
	pc->top_of_stack = kstack_top;
	pc->ukl_in_user = UKL_KERNEL;
	pc->ukl_app_event = 0;
}

static void publish_app(struct ebx_layout *l, unsigned i)
{
	struct ebx_task_desc *td = &l->tasks[i];

	if (td->id >= state.napps)
		return;
	td->ring = 0;
	for (unsigned s = 0; s < l->nstacks; s++) {
		struct ebx_stack_desc *st = &l->stacks[s];
		if (st->kind == EBX_STACK_USER && st->owner_kind == EBX_OWNER_TASK && st->owner_id == td->id) {
			st->kind = EBX_STACK_UKL;
			st->flags = EBX_STACKF_APP;
			ksnprintf(st->name, sizeof(st->name), "ukl-%s", td->name);
		}
	}
}

static void ukl_publish(struct ebx_layout *l)
{
	for (unsigned c = 0; c < l->ncpus; c++) {
		l->cpus[c].in_user_gva = l->cpus[c].percpu_gva + PCPU_UKL_IN_USER;
		if (state.df != UKL_DF_IST)
			continue;
		struct ebx_stack_desc *s = layout_add_stack(l, EBX_STACK_IST, EBX_OWNER_CPU, c, pf_ist_base(c), PF_IST_SIZE,
							    EBX_STACKF_KERNEL | EBX_STACKF_USER_MAPPED |
							    EBX_STACKF_SHARED | EBX_STACKF_C_ENTRY);
		s->guard_below = s->guard_above = 1;
		s->ist_index = PF_IST;
		ksnprintf(s->name, sizeof(s->name), "ist-pf%u", c);
	}
	for (unsigned i = 0; i < l->ntasks; i++)
		publish_app(l, i);
}

/* Set by the C entry points while they handle an event taken in application code. */
static bool ukl_user_context(const struct ebx_pt_regs *regs)
{
	(void)regs;
	return this_cpu()->ukl_app_event != 0;
}

/* The kernel handles the event (in_user 0) and, if the application lives on,
 * hands the CPU back to it as it was. */
static void as_app_event(struct ebx_pt_regs *regs, unsigned vector)
{
	uint32_t in_user = this_cpu()->ukl_in_user;

	this_cpu()->ukl_in_user = UKL_KERNEL;
	this_cpu()->ukl_app_event = 1;
	trap_dispatch(regs, vector);
	/* A tick may have switched tasks: this may be another CPU by now. */
	this_cpu()->ukl_app_event = 0;
	this_cpu()->ukl_in_user = in_user;
}

static bool in_stack_vma(const struct task *t, uint64_t a)
{
	return a >= t->ustack_lo && a < t->ustack_top;
}

static bool map_if_absent(struct task *t, uint64_t a)
{
	if (!in_stack_vma(t, a) || mm_user_range_ok(t->kernel_pgd, ALIGN_DOWN(a, 4096), 1))
		return false;
	return task_grow_stack(t, a, 0);
}

static void note_fixup(struct task *t, const struct ebx_pt_regs *regs, uint64_t cr2)
{
	t->fixup_rip = regs->rip;
	t->fixup_rsp = regs->rsp;
	t->fixup_cr2 = cr2;
}

/* ukl_df=workaround: a #DF whose frame says application code -- the
 * application itself, or entry/exit code still on its stack (in_user 1 or 2)
 * -- with RSP in the application's stack VMA, is the #PF the CPU could not
 * deliver on that very stack.  Map the page(s) it needed (RSP's and CR2's, the failed push) and
 * resume: the frame's RIP is the faulting instruction on the CPUs this runs
 * on (the SDM leaves it undefined for #DF; UKL relies on the same). */
static bool df_workaround(struct ebx_pt_regs *regs)
{
	struct task *t = current_task();
	uint64_t cr2 = read_cr2();
	bool mapped;

	if (state.df != UKL_DF_WORKAROUND || this_cpu()->ukl_in_user == UKL_KERNEL || !is_app(t) ||
	    regs->cs != GDT_KERNEL_CS || !in_stack_vma(t, regs->rsp))
		return false;
	mapped = map_if_absent(t, regs->rsp);
	mapped |= map_if_absent(t, cr2);
	if (!mapped)
		return false;
	t->df_stack_fixups++;
	note_fixup(t, regs, cr2);
	return true;
}

/* Called from ukl.S (kernel CR3 and GS). */

/* The application's stack pointer is its own business until it enters the
 * kernel with one outside its stack (PCPU_UKL_APP_RSP_LO/HI, which
 * ukl_entry_SYSCALL_64 compares): the exit's writes below it would land
 * wherever it points, so the application dies instead -- as a ring-3 task
 * dies of a push on a bad RSP -- and the kernel lives. */
__attribute__((noreturn)) void ukl_app_bad_rsp_c(struct ebx_pt_regs *regs);
__attribute__((noreturn)) void ukl_app_bad_rsp_c(struct ebx_pt_regs *regs)
{
	as_app_event(regs, VEC_SS);
	panic("ukl: task killed for its stack pointer ran on");
}

/* An event in application code, already moved to the kernel stack. */
void ukl_app_exception_c(struct ebx_pt_regs *regs, uint64_t vector);
void ukl_app_exception_c(struct ebx_pt_regs *regs, uint64_t vector)
{
	as_app_event(regs, (unsigned)vector);
}

/* Everything else: ring-3 events, kernel events, and the IST vectors from
 * anywhere (in_user says whether the application was running). */
void ukl_exception_c(struct ebx_pt_regs *regs, uint64_t vector);
void ukl_exception_c(struct ebx_pt_regs *regs, uint64_t vector)
{
	struct task *t = current_task();
	/* Entry/exit code on the application stack faults there as the application does. */
	bool app = this_cpu()->ukl_in_user != UKL_KERNEL && (regs->cs & SEL_RPL_MASK) == 0;
	unsigned v = entry_vector(regs, vector);

	if (v == VEC_DF && df_workaround(regs))
		return;
	if (v == VEC_DF && app) {
		/* The application's own push faulted on a stack pointer that is no
		 * stack of its own (no fixup applies): it dies, the kernel lives. */
		as_app_event(regs, VEC_DF);
		return;
	}
	/* The kernel writing an application's stack (the return frame of
	 * ukl_return_to_app) takes an ordinary #PF on its own stack; the page
	 * is the application's memory, mapped as the application's own touch
	 * would map it -- as Linux resolves a kernel access to a user VMA. */
	if (v == VEC_PF && !app && is_app(t) && (regs->cs & SEL_RPL_MASK) == 0 && map_if_absent(t, read_cr2()))
		return;
	if (v == VEC_PF && app && state.df == UKL_DF_IST && is_app(t)) {
		/* On the #PF IST: the frame was pushed, the ordinary handler decides. */
		t->ist_pf_fixups++;
		note_fixup(t, regs, read_cr2());
		as_app_event(regs, VEC_PF);
		return;
	}
	trap_dispatch(regs, v);
}

const struct entry_model entry_model_ukl = {
	.name = "ukl",
	.traits = {
		.landing = ENTRY_LANDS_ON_TASK_STACK,
		.c_on_landing = true,
		.block_in_entry = ENTRY_BLOCK_REFUSED,
		.preempt_from_user = true,
		.compat_entry = true,           /* its ring-3 tasks */
	},
	.select = ukl_select,
	.switch_task = ukl_switch_task,
	.cpu_setup = ukl_cpu_setup,
	.task_setup = ukl_task_setup,
	.publish = ukl_publish,
	.user_context = ukl_user_context,
};
