/* SPDX-License-Identifier: MIT */
#include "sched/task.h"
#include "sched/switch.h"
#include "entrybox/x86.h"
#include "lib/lib.h"
#include "mm/mm.h"
#include "mm/palloc.h"
#include "lib/panic.h"
#include "percpu.h"
#include "lib/printf.h"

extern const char __entry_text_start[], __entry_text_end[];
extern const char __user_start[], __user_text_end[], __user_end[], __user_lma[];
extern const char user_entry[];

static struct task tasks[CMDLINE_MAX_TASKS];
static unsigned ntasks;

unsigned task_count(void) { return ntasks; }

struct task *task_get(unsigned id)
{
	return id < ntasks ? &tasks[id] : NULL;
}

/* Kernel stack in the vmalloc-like area: unmapped guard pages on both sides,
 * canary at the base so an overflow that skips the guard is still seen. */
static void create_kernel_stack(struct task *t)
{
	uint64_t base = KSTACK_AREA + t->id * KSTACK_SLOT + 4096;
	uint64_t pa = palloc_pages(KSTACK_SIZE / 4096, 4096);

	mm_map(mm_init_pgd(), base, pa, KSTACK_SIZE, PT_W | PT_NX, PT_PAGE_SIZE, "task kernel stack");
	t->kstack_base = base;
	t->kstack_top = base + KSTACK_SIZE;
	*(volatile uint64_t *)base = EBX_STACK_CANARY;
}

/* The entry text aliased at its own address, supervisor-only RX: the one
 * piece of kernel text a user PGD maps.  Built once; every user PGD shares
 * its PML4 slot. */
static uint64_t build_entry_alias(void)
{
	uint64_t pgd = palloc_page();
	uint64_t start = (uint64_t)__entry_text_start;
	uint64_t size = (uint64_t)__entry_text_end - start;

	mm_map(pgd, start, kimage_to_phys(__entry_text_start), size, 0, PT_PAGE_SIZE, "entry text alias");
	return pgd;
}

static void map_user_half(struct task *t)
{
	uint64_t text_size = (uint64_t)__user_text_end - (uint64_t)__user_start;
	uint64_t ro_size = (uint64_t)__user_end - (uint64_t)__user_text_end;
	uint64_t lma = (uint64_t)__user_lma;

	mm_map(t->kernel_pgd, (uint64_t)__user_start, lma, text_size, PT_U, PT_PAGE_SIZE, "user text");
	if (ro_size)
		mm_map(t->kernel_pgd, (uint64_t)__user_text_end, lma + text_size, ro_size, PT_U | PT_NX,
		       PT_PAGE_SIZE, "user rodata");
	/* Only the top page: the rest of the VMA arrives by #PF (stack growth). */
	mm_map(t->kernel_pgd, t->ustack_top - 4096, palloc_page(), 4096, PT_U | PT_W | PT_NX, PT_PAGE_SIZE,
	       "user stack");
	t->stack_pages = 1;
	/* The page 32-bit code runs its stack on (compat-entry, sysret-ss-attrs). */
	mm_map(t->kernel_pgd, USER_COMPAT_STACK0 + t->id * USER_COMPAT_STRIDE, palloc_page(), USER_COMPAT_STACK_SIZE,
	       PT_U | PT_W | PT_NX, PT_PAGE_SIZE, "user compat stack");
}

/* PML4 slots of the init PGD's kernel half that hold anything: found once,
 * so each new PGD copies a handful of slots instead of scanning 256. */
struct kernel_slots {
	unsigned slot[PML4_LAST - PML4_KERNEL_FIRST + 1];
	unsigned n;
};

static void find_kernel_slots(struct kernel_slots *ks)
{
	const uint64_t *init = phys_to_virt(mm_init_pgd());

	ks->n = 0;
	for (unsigned i = PML4_KERNEL_FIRST; i <= PML4_LAST; i++) {
		if (init[i] & PT_P)
			ks->slot[ks->n++] = i;
	}
}

static void create_pgds(struct task *t, bool pti, uint64_t entry_alias, const struct kernel_slots *ks)
{
	uint64_t init = mm_init_pgd();

	/* A KPTI pair: kernel half at the even page, user half at +4096, so CR3
	 * bit 12 alone selects between them. */
	t->kernel_pgd = palloc_pages(pti ? 2 : 1, pti ? 8192 : 4096);
	t->user_pgd = pti ? t->kernel_pgd + 4096 : t->kernel_pgd;
	for (unsigned i = 0; i < ks->n; i++)
		mm_share(t->kernel_pgd, init, ks->slot[i], ks->slot[i], "kernel half");
	map_user_half(t);
	if (!pti)
		return;
	/* User PGD: the user regions (same lower tables, so stack growth shows
	 * in both), the cpu_entry_area and the entry text, nothing else.  The
	 * user half holds only user text and the stack VMA, both mapped above. */
	mm_share(t->user_pgd, t->kernel_pgd, pt_index(USER_TEXT_VMA, 4), pt_index(USER_TEXT_VMA, 4), "user text");
	mm_share(t->user_pgd, t->kernel_pgd, pt_index(t->ustack_lo, 4), pt_index(t->ustack_top - 1, 4), "user stack");
	mm_share(t->user_pgd, init, PML4_CEA, PML4_CEA, "cpu_entry_area");
	mm_share(t->user_pgd, entry_alias, PML4_KIMAGE, PML4_KIMAGE, "entry text");
}

/* The first switch to the task "returns" into the model's IRET path with RSP
 * at a pt_regs that enters user_entry (user/user_regs.S) with every general
 * register zero and RFLAGS = IF | bit 1, as a new Linux process starts: the
 * task asks for its id, scenario and iterations (SYS_TASK_INFO). */
static void prepare_first_entry(struct task *t, const struct task_setup *s)
{
	struct ebx_pt_regs *regs = (struct ebx_pt_regs *)(t->kstack_top - sizeof(*regs));
	struct switch_frame *frame = (struct switch_frame *)regs - 1;

	memset(regs, 0, sizeof(*regs));
	regs->rip = (uint64_t)user_entry;
	regs->cs = GDT_USER_CS;
	regs->rflags = RFLAGS_IF | RFLAGS_FIXED;
	regs->rsp = t->ustack_top - 8;         /* as after a call: rsp + 8 is 16-aligned */
	regs->ss = GDT_USER_SS;
	if (s->dirty_initial_regs)
		regs->rbx = t->kstack_top;         /* the leak the knob shows being caught */
	regs->orig_rax = (uint64_t)-1;
	*frame = (struct switch_frame){ .ret = s->return_to_user };
	t->saved_rsp = (uint64_t)frame;
}

void tasks_create(unsigned n, const struct task_setup *s)
{
	if (n > CMDLINE_MAX_TASKS)
		panic("tasks: %u tasks (at most %u)", n, CMDLINE_MAX_TASKS);
	ntasks = n;
	/* Every kernel-half mapping exists before the first PGD copies the
	 * kernel half's PML4 slots. */
	for (unsigned i = 0; i < n; i++) {
		struct task *t = &tasks[i];
		t->id = i;
		t->state = TASK_READY;
		t->scenario = s->scenario;
		t->iters = s->iters;
		t->ustack_top = USER_STACK_TOP0 - (uint64_t)i * USER_STACK_STRIDE;
		t->ustack_lo = t->ustack_top - USER_STACK_SIZE;
		ksnprintf(t->name, sizeof(t->name), "task%u", i);
		create_kernel_stack(t);
	}
	uint64_t entry_alias = s->pti ? build_entry_alias() : 0;
	struct kernel_slots ks;
	find_kernel_slots(&ks);
	for (unsigned i = 0; i < n; i++) {
		create_pgds(&tasks[i], s->pti, entry_alias, &ks);
		prepare_first_entry(&tasks[i], s);
		if (s->model && s->model->task_setup)
			s->model->task_setup(&tasks[i], s->pti);
	}
}

uint64_t task_kernel_cr3(struct task *t, bool pcid)
{
	if (!pcid)
		return t->kernel_pgd;
	/* PCID 0 belongs to the init PGD; the first load of a PCID flushes it,
	 * later loads keep its TLB entries (NOFLUSH). */
	uint64_t cr3 = t->kernel_pgd | (t->id + 1);
	if (t->started)
		cr3 |= PT_CR3_NOFLUSH;
	return cr3;
}

bool task_grow_stack(struct task *t, uint64_t addr, uint64_t error)
{
	if (error & PF_ERR_PRESENT)
		return false;   /* a protection fault, not a missing page */
	if (addr < t->ustack_lo || addr >= t->ustack_top)
		return false;
	uint64_t page = ALIGN_DOWN(addr, 4096);
	/* A page the VMM took with its contents (pf-user-stack at an instruction,
	 * abi.h) comes back as it was, as a kernel brings back a page whose PTE
	 * it had made not present. */
	if (pt_give_back(mm_env(), t->kernel_pgd, page) == PT_OK) {
		t->stack_pages_returned++;
		return true;
	}
	/* The lower tables were created with the top page and are shared by the
	 * user PGD, so one mapping serves both halves of the pair. */
	mm_map(t->kernel_pgd, page, palloc_page(), 4096, PT_U | PT_W | PT_NX, PT_PAGE_SIZE, "user stack growth");
	t->stack_pages++;
	return true;
}
