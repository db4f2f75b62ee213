/* SPDX-License-Identifier: MIT */
#include "cpu/cea.h"
#include "cpu/cpu.h"
#include "mm/mm.h"
#include "mm/palloc.h"
#include "lib/panic.h"

#define RW_DATA (PT_W | PT_NX)

extern const char entry_ignore_sysret[];   /* entry/compat.S */

/* Maps fresh pages; returns the physical address of the first. */
static uint64_t map_new(uint64_t va, uint64_t size, uint64_t flags, const char *what)
{
	uint64_t pa = palloc_pages((unsigned)(size / 4096), 4096);
	mm_map(mm_init_pgd(), va, pa, size, flags, PT_PAGE_SIZE, what);
	return pa;
}

static void init_tss(struct x86_tss *tss, const struct cpu_area *ca, const struct entry_model *model)
{
	tss->iomap_base = sizeof(*tss);  /* beyond the limit: no I/O bitmap, user IN/OUT raise #GP */
	(void)model;
	if (entry_traits_active()->landing == ENTRY_LANDS_ON_CPU_ENTRY_STACK)
		tss->rsp[0] = ca->entry_stack + CEA_ENTRY_STACK_SIZE;
	for (unsigned i = 0; i < IST_COUNT; i++)
		tss->ist[i] = ca->ist_stack[i] + CEA_IST_SIZE;
}

void cea_build(unsigned cpu, const struct entry_model *model, struct cpu_area *ca)
{
	uint64_t base = cea_base(cpu);

	ca->base = base;
	ca->gdt = base + CEA_GDT;
	ca->idt = base + CEA_IDT;
	ca->percpu = (struct percpu *)(base + CEA_PERCPU);
	ca->tss = (struct x86_tss *)(base + CEA_TSS);
	ca->entry_stack = base + CEA_ENTRY_STACK;
	for (unsigned i = 0; i < IST_COUNT; i++)
		ca->ist_stack[i] = base + CEA_IST_FIRST + i * CEA_IST_STRIDE;

	/* The GDT must be writable: LTR sets the busy bit in the TSS descriptor. */
	map_new(ca->gdt, 4096, RW_DATA, "CEA GDT");
	mm_map(mm_init_pgd(), ca->idt, idt_phys(), 4096, PT_NX, PT_PAGE_SIZE, "CEA IDT");
	map_new((uint64_t)ca->percpu, 4096, RW_DATA, "CEA percpu");
	map_new((uint64_t)ca->tss, 4096, RW_DATA, "CEA TSS");
	map_new(ca->entry_stack, CEA_ENTRY_STACK_SIZE, RW_DATA, "CEA entry stack");
	for (unsigned i = 0; i < IST_COUNT; i++)
		map_new(ca->ist_stack[i], CEA_IST_SIZE, RW_DATA, "CEA IST stack");

	gdt_fill((uint64_t *)ca->gdt, (uint64_t)ca->tss);
	init_tss(ca->tss, ca, model);
	ca->percpu->self = (uint64_t)ca->percpu;
	ca->percpu->entry_stack_top = ca->entry_stack + CEA_ENTRY_STACK_SIZE;
	ca->percpu->cpu = cpu;
	ca->percpu->current_task = PCPU_NO_TASK;
	ca->percpu->kernel_cr3 = mm_init_pgd();   /* what the CPU runs on until its first task */
	if (model->cpu_setup)
		model->cpu_setup(cpu, ca->percpu, ca->tss);
}

struct __attribute__((packed)) dtr {
	uint16_t limit;
	uint64_t base;
};

static void load_descriptors(const struct cpu_area *ca)
{
	struct dtr gdtr = { GDT_ENTRIES * 8 - 1, ca->gdt };
	struct dtr idtr = { IDT_ENTRIES * GATE_SIZE - 1, ca->idt };

	__asm__ volatile("lgdt %0" : : "m"(gdtr));
	/* A far return is the way to reload CS in 64-bit mode. */
	__asm__ volatile("pushq %0\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl %1, %%eax\n\t"
			 "movl %%eax, %%ss\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%fs\n\t"
			 "movl %%eax, %%gs\n\t"
			 : : "i"((uint64_t)GDT_KERNEL_CS), "i"(GDT_KERNEL_SS) : "rax", "memory");
	__asm__ volatile("ltr %w0" : : "r"(GDT_TSS));
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void cpu_activate(const struct cpu_area *ca, const struct entry_variant *v, bool pcid)
{
	const uint64_t sfmask = RFLAGS_TF | RFLAGS_DF | RFLAGS_IF | RFLAGS_IOPL | RFLAGS_AC | RFLAGS_NT;

	load_descriptors(ca);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE | EFER_NXE);
	/* SYSCALL: CS = STAR[47:32] (0x10), SS = +8 (0x18).
	 * SYSRET:  CS = STAR[63:48] + 16 (0x33), SS = STAR[63:48] + 8 (0x2b). */
	wrmsr(MSR_STAR, ((uint64_t)GDT_USER32_CS << STAR_SYSRET_CS_SHIFT) | ((uint64_t)GDT_KERNEL_CS << STAR_SYSCALL_CS_SHIFT));
	wrmsr(MSR_LSTAR, v->syscall_entry);
	/* Never 0: a SYSCALL from a 32-bit code segment would run ring 0 at address 0. */
	wrmsr(MSR_CSTAR, v->syscall32_entry ? v->syscall32_entry : (uint64_t)entry_ignore_sysret);
	wrmsr(MSR_SFMASK, sfmask);
	/* Loading GS above zeroed its base: set both halves after it. */
	wrmsr(MSR_GS_BASE, (uint64_t)ca->percpu);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	if (pcid)
		write_cr4(read_cr4() | CR4_PCIDE);   /* CR3's PCID is 0 here, as the SDM requires */
	/* As Linux does where the CPU has them: user mode may then write its own
	 * FS and GS bases, any value, which every paranoid entry must survive. */
	if (cpu_has_fsgsbase())
		write_cr4(read_cr4() | CR4_FSGSBASE);
}
