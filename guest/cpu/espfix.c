/* SPDX-License-Identifier: MIT */
#include "cpu/espfix.h"
#include "mm/mm.h"
#include "mm/palloc.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "frames.h"
#include "sched/sched.h"
#include "sched/task_stats.h"

/* 4 KiB pages per 64 KiB stride: the page a CPU owns in every stride. */
#define ESPFIX_STRIDE_PAGES 16
#define ESPFIX_PUDS         (ESPFIX_SIZE / PT_HUGE_SIZE)

_Static_assert(PT_INDEX(ESPFIX_BASE, 4) == PT_INDEX(CEA_BASE, 4), "the espfix area shares the CEA's PML4 slot");
_Static_assert(CEA_BASE + EBX_MAX_CPUS * CEA_STRIDE <= ESPFIX_BASE, "the espfix area lies above every CPU's CEA");
_Static_assert((ESPFIX_BASE & (ESPFIX_SIZE - 1)) == 0, "bits 31:16 of an espfix address are free");
_Static_assert(EBX_MAX_CPUS <= ESPFIX_MAX_CPUS, "one ministack page per CPU in each 64 KiB");
_Static_assert(ESPFIX_FRAME_OFF + 6 * 8 <= 4096, "RAX and the IRET frame fit in the page");

/*
 * Linux's trick, at a smaller scale: the area is 4 GiB, and at every address
 * A in it, (A >> 12) & 15 names the CPU whose ministack page A maps, whatever
 * A's bits 31:16.  So one page of PTEs (every 16th entry per CPU) serves
 * every 2 MiB, one page of PMDs pointing at it serves every 1 GiB, and four
 * PUD entries of the CEA's PUD page point at that.  Upper levels are
 * writable; the leaves are not: the ministack is only ever written through
 * its direct-map address.
 */
void espfix_setup(const struct cpu_area *cpus, unsigned ncpus, bool on)
{
	if (!on)
		return;
	if (ncpus > ESPFIX_MAX_CPUS)
		panic("espfix: %u CPUs, at most %u", ncpus, ESPFIX_MAX_CPUS);

	uint64_t pte_pa = palloc_page(), pmd_pa = palloc_page();
	uint64_t *pte = phys_to_virt(pte_pa), *pmd = phys_to_virt(pmd_pa);
	const uint64_t *pml4 = phys_to_virt(mm_init_pgd());
	uint64_t pml4e = pml4[PML4_CEA];

	if (!(pml4e & PT_P))
		panic("espfix: the cpu_entry_area is not mapped yet");
	uint64_t *pud = phys_to_virt(pml4e & PT_ADDR_MASK);

	for (unsigned cpu = 0; cpu < ncpus; cpu++) {
		uint64_t page = palloc_page();
		for (unsigned i = cpu; i < 512; i += ESPFIX_STRIDE_PAGES)
			pte[i] = page | PT_P | PT_A | PT_NX;
		struct percpu *pc = cpus[cpu].percpu;
		pc->espfix_waddr = (uint64_t)phys_to_virt(page) + ESPFIX_FRAME_OFF;
		pc->espfix_stack = ESPFIX_BASE + ((uint64_t)cpu << 12) + ESPFIX_FRAME_OFF;
	}
	for (unsigned i = 0; i < 512; i++)
		pmd[i] = pte_pa | PT_P | PT_W | PT_A;
	for (unsigned i = 0; i < ESPFIX_PUDS; i++) {
		unsigned slot = (unsigned)PT_INDEX(ESPFIX_BASE, 3) + i;
		if (pud[slot] & PT_P)
			panic("espfix: PUD slot %u is in use", slot);
		pud[slot] = pmd_pa | PT_P | PT_W | PT_A;
	}
}

static bool on_ministack(uint64_t rsp)
{
	return rsp >= ESPFIX_BASE && rsp - ESPFIX_BASE < ESPFIX_SIZE;
}

bool espfix_double_fault(struct ebx_pt_regs *regs)
{
	const uint8_t *insn = (const uint8_t *)regs->rip;

	if (regs->cs != GDT_KERNEL_CS || !on_ministack(regs->rsp) || !on_ministack(regs->rsp + IRET_FRAME_SIZE - 1))
		return false;
	/* Only the exit's iretq runs there (REX.W + 0xcf). */
	if (regs->rip < KERNEL_VMA || insn[0] != 0x48 || insn[1] != 0xcf)
		return false;

	const struct x86_iret_frame *failed = (const struct x86_iret_frame *)regs->rsp;
	const struct x86_tss *tss = (const struct x86_tss *)(cea_base(this_cpu()->cpu) + CEA_TSS);
	struct entry_stub_frame *gp = (struct entry_stub_frame *)(tss->rsp[0] - sizeof(struct entry_stub_frame));
	struct task *t = current_task();

	/* The #GP stub pushes the vector itself: RSP at the error code. */
	gp->error = 0;
	gp->hw = *failed;
	kprintf("entrybox: cpu %u: IRET on the espfix ministack faulted (#DF at rip 0x%llx): a #GP of task %u at rip "
		"0x%llx cs 0x%llx ss 0x%llx\n", this_cpu()->cpu, (unsigned long long)regs->rip, t ? t->id : PCPU_NO_TASK,
		(unsigned long long)failed->rip, (unsigned long long)failed->cs, (unsigned long long)failed->ss);
	if (t)
		task_stats(t->id)->espfix_df++;
	regs->rip = idt_gate_target(VEC_GP);
	regs->rsp = (uint64_t)&gp->error;
	return true;
}

void ldt_load(bool task_has_ldt)
{
	uint16_t sel = task_has_ldt ? GDT_LDT : 0;
	__asm__ volatile("lldt %w0" : : "r"(sel) : "memory");
}
