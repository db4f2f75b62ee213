/* SPDX-License-Identifier: MIT */
#include "boot/smp.h"
#include "boot/ap_boot.h"
#include "cpu/cpu.h"
#include "cpu/lapic.h"
#include "lib/lib.h"
#include "mm/mm.h"
#include "mm/palloc.h"
#include "lib/panic.h"
#include "sched/sched.h"
#include "sched/timer.h"

extern const char boot_pml4[];   /* boot.S */

#define STARTUP_VECTOR   (AP_TRAMPOLINE_PHYS >> 12)
#define INIT_DELAY_US    10000
#define STARTUP_DELAY_US 200
#define ONLINE_POLLS     1000
#define ONLINE_POLL_US   1000

_Static_assert(AP_TRAMPOLINE_PHYS % 4096 == 0 && AP_TRAMPOLINE_PHYS < 0x100000, "SIPI reaches pages below 1 MiB");

static const struct smp_setup *setup;   /* read by ap_main on each AP */
static volatile bool online[EBX_MAX_CPUS];

static struct ap_boot_params *params(void)
{
	return phys_to_virt(AP_TRAMPOLINE_PHYS + (uint64_t)(ap_trampoline_params - ap_trampoline));
}

/* Guard pages on both sides, canary at the base, like a task's kernel stack. */
static void create_boot_stack(unsigned cpu, struct cpu_area *ca)
{
	uint64_t base = AP_STACK_AREA + cpu * AP_STACK_SLOT + 4096;

	mm_map(mm_init_pgd(), base, palloc_pages(AP_STACK_SIZE / 4096, 4096), AP_STACK_SIZE, PT_W | PT_NX,
	       PT_PAGE_SIZE, "AP boot stack");
	*(volatile uint64_t *)base = EBX_STACK_CANARY;
	ca->boot_stack = base;
	ca->boot_stack_size = AP_STACK_SIZE;
}

static bool wait_online(unsigned cpu, unsigned polls)
{
	for (unsigned i = 0; i < polls; i++) {
		if (__atomic_load_n(&online[cpu], __ATOMIC_ACQUIRE))
			return true;
		lapic_delay_us(ONLINE_POLL_US);
	}
	return __atomic_load_n(&online[cpu], __ATOMIC_ACQUIRE);
}

static void start_ap(unsigned cpu, const struct cpu_area *ca)
{
	struct ap_boot_params *p = params();

	p->boot_cr3 = (uint64_t)boot_pml4;   /* linked at its physical address */
	p->entry = (uint64_t)ap_start64;
	p->cr3 = mm_init_pgd();
	p->stack = ca->boot_stack + ca->boot_stack_size;
	p->cpu = cpu;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!lapic_send_init(cpu))
		panic("smp: INIT to APIC %u not sent", cpu);
	lapic_delay_us(INIT_DELAY_US);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!lapic_send_startup(cpu, STARTUP_VECTOR))
			panic("smp: STARTUP to APIC %u not sent", cpu);
		if (wait_online(cpu, attempt ? ONLINE_POLLS : STARTUP_DELAY_US / 100))
			return;
	}
	panic("smp: CPU %u (APIC %u) did not come up (does the machine have %u CPUs?)", cpu, cpu,
	      setup->ncpus);
}

void smp_boot_aps(const struct smp_setup *s)
{
	setup = s;
	if (s->ncpus > EBX_MAX_CPUS)
		panic("smp: %u CPUs", s->ncpus);
	if (s->ncpus < 2)
		return;
	memcpy(phys_to_virt(AP_TRAMPOLINE_PHYS), ap_trampoline, (size_t)(ap_trampoline_end - ap_trampoline));
	for (unsigned cpu = 1; cpu < s->ncpus; cpu++) {
		cea_build(cpu, s->model, &s->cpus[cpu]);
		create_boot_stack(cpu, &s->cpus[cpu]);
		start_ap(cpu, &s->cpus[cpu]);
	}
}

__noreturn void ap_main(uint64_t cpu);
__noreturn void ap_main(uint64_t cpu)
{
	const struct smp_setup *s = setup;

	cpu_activate(&s->cpus[cpu], s->variant, s->pcid);
	lapic_enable();
	if (lapic_id() != cpu)
		panic("smp: CPU %llu has APIC ID %u", (unsigned long long)cpu, lapic_id());
	if (s->timer)
		timer_start();
	__atomic_store_n(&online[cpu], true, __ATOMIC_RELEASE);
	sched_ap_loop();
	halt_forever();
}
