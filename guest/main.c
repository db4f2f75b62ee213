/* SPDX-License-Identifier: MIT */
/* kmain: from the boot stub's long mode to the scenario's result line. */
#include "cea.h"
#include "cmdline.h"
#include "console.h"
#include "cpu.h"
#include "hv.h"
#include "layout.h"
#include "mm.h"
#include "models.h"
#include "palloc.h"
#include "panic.h"
#include "pic.h"
#include "printf.h"
#include "pvh.h"
#include "scenario.h"
#include "sched.h"
#include "task.h"

extern const char __kernel_phys_end[];
extern const char boot_stack_base[];

#define CPUID1_ECX_PCID (1u << 17)

struct kernel {
	struct boot_info boot;
	struct boot_options opts;
	const struct entry_model *model;
	struct entry_variant variant;
	struct cpu_area cpu0;
};

static struct kernel kernel;   /* the boot info alone outgrows a comfortable stack frame */

static __noreturn void bad_cmdline(const char *what)
{
	kprintf("entrybox: bad command line: %s\n", what);
	guest_exit(EBX_GUEST_EXIT_BAD_CMDLINE);
}

static __noreturn void unsupported(const char *what)
{
	kprintf("entrybox: unsupported: %s\n", what);
	guest_exit(EBX_GUEST_EXIT_UNSUPPORTED);
}

static void parse_options(struct kernel *k)
{
	char err[160];

	if (k->boot.cmdline_too_long)
		bad_cmdline("longer than 1024 bytes");
	if (!cmdline_parse(k->boot.cmdline, &k->opts, err, sizeof(err)))
		bad_cmdline(err);
}

/* Everything the selection needs from the CPU and this version of the kernel. */
static void check_support(struct kernel *k)
{
	struct entry_mode mode = { .pti = k->opts.pti, .pcid = k->opts.pcid, .bug = k->opts.bug };
	const char *why = "";
	uint32_t r[4];

	if (k->opts.vcpus > 1)
		unsupported("vcpus > 1: this kernel brings up only the boot CPU");
	cpuid(1, 0, r);
	if (k->opts.pcid && !(r[2] & CPUID1_ECX_PCID))
		unsupported("pcid=on but the CPU has no PCID (CPUID.1:ECX[17] clear)");
	k->model = entry_model_get(k->opts.model);
	if (!k->model->select(&mode, &k->variant, &why))
		unsupported(why);
}

static void print_result(const struct kernel *k, bool pass, const char *detail)
{
	kprintf("@entrybox {\"event\":\"result\",\"model\":\"%s\",\"pti\":\"%s\",\"pcid\":\"%s\",\"vcpus\":%u,"
		"\"tasks\":%u,\"scenario\":\"%s\",\"bug\":\"%s\",\"outcome\":\"%s\",\"expected\":\"pass\","
		"\"detail\":\"%s\"}\n",
		k->model->name, k->opts.pti ? "on" : "off", k->opts.pcid ? "on" : "off", k->opts.vcpus,
		k->opts.tasks, cmdline_scenario_name(k->opts.scenario), cmdline_bug_name(k->opts.bug),
		pass ? "pass" : "fail", detail);
}

/* Every stack with a canary must still have it when the run ends. */
static bool canaries_intact(char *detail, size_t len)
{
	if (*(const uint64_t *)boot_stack_base != EBX_STACK_CANARY) {
		ksnprintf(detail, len, "boot stack canary overwritten");
		return false;
	}
	for (unsigned i = 0; i < task_count(); i++) {
		if (*(const uint64_t *)task_get(i)->kstack_base != EBX_STACK_CANARY) {
			ksnprintf(detail, len, "task %u kernel stack canary overwritten", i);
			return false;
		}
	}
	return true;
}

static void build_system(struct kernel *k)
{
	struct task_setup ts = {
		.pti = k->opts.pti, .pcid = k->opts.pcid, .scenario = k->opts.scenario,
		.iters = k->opts.iters, .return_to_user = k->variant.return_to_user,
	};
	struct layout_input li = {
		.opts = &k->opts, .model = k->model, .variant = &k->variant, .cpus = &k->cpu0, .ncpus = 1,
	};

	/* Our VMM models no PIC; every other machine may have one ticking. */
	if (!hv_is_entrybox())
		pic_disable();
	palloc_init(&k->boot, (uint64_t)__kernel_phys_end);
	mm_init(k->boot.ram_end);
	idt_fill(k->variant.idt_stubs);
	cea_build(0, k->model, &k->cpu0);
	cpu_activate(&k->cpu0, &k->variant, k->opts.pcid);
	tasks_create(k->opts.tasks, &ts);
	sched_init(k->model, &k->cpu0, k->opts.pcid, k->opts.pti);
	layout_publish(&li);
}

__noreturn void kmain(uint32_t start_info_pa);
__noreturn void kmain(uint32_t start_info_pa)
{
	struct kernel *k = &kernel;
	char detail[160];

	*(volatile uint64_t *)boot_stack_base = EBX_STACK_CANARY;
	pvh_read(start_info_pa, &k->boot);
	parse_options(k);
	hv_detect();
	check_support(k);
	build_system(k);

	const struct scenario *sc = scenario_get(k->opts.scenario);
	if (sc->runs_tasks)
		sched_run_all();
	bool pass = sc->judge(&k->opts, detail, sizeof(detail));
	if (pass && !canaries_intact(detail, sizeof(detail)))
		pass = false;
	print_result(k, pass, detail);
	guest_exit(pass ? EBX_GUEST_EXIT_PASS : EBX_GUEST_EXIT_FAIL);
}
