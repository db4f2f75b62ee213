/* SPDX-License-Identifier: MIT */
/* kmain: from the boot stub's long mode to the scenario's result line. */
#include "cpu/cea.h"
#include "boot/cmdline.h"
#include "lib/console.h"
#include "lib/lib.h"
#include "cpu/cpu.h"
#include "cpu/debug.h"
#include "cpu/espfix.h"
#include "hv/hv.h"
#include "cpu/lapic.h"
#include "hv/layout.h"
#include "mm/mm.h"
#include "entry_model.h"
#include "mm/palloc.h"
#include "lib/panic.h"
#include "cpu/pic.h"
#include "lib/printf.h"
#include "boot/pvh.h"
#include "scenarios/scenario.h"
#include "sched/sched.h"
#include "boot/smp.h"
#include "sched/task.h"
#include "sched/task_stats.h"
#include "sched/timer.h"

extern const char __kernel_phys_end[];
extern const char boot_stack_base[];

struct kernel {
	struct boot_info boot;
	struct boot_options opts;
	const struct entry_model *model;
	struct entry_variant variant;
	struct cpu_area cpus[EBX_MAX_CPUS];
};

static struct kernel kernel;   /* the boot info alone outgrows a comfortable stack frame */

/* Text for a JSON string of the console: the guest's own messages may quote
 * what the command line said, which may hold anything. */
static void json_text(char *dst, size_t len, const char *src)
{
	size_t i = 0;

	for (; src[i] && i + 1 < len; i++) {
		char c = src[i];
		dst[i] = c == '"' || c == '\\' || (unsigned char)c < 0x20 || (unsigned char)c > 0x7e ? '?' : c;
	}
	dst[i] = '\0';
}

/* The guest's reason for not running, for every engine's console reader
 * (abi.h: the "refused" event) and for a person reading the console. */
static __noreturn void refuse_run(const char *what, const char *human, const char *reason, enum ebx_guest_exit code)
{
	char text[200];

	json_text(text, sizeof(text), reason);
	kprintf("entrybox: %s: %s\n", human, reason);
	kprintf("@entrybox {\"event\":\"refused\",\"what\":\"%s\",\"reason\":\"%s\"}\n", what, text);
	guest_exit(code);
}

static __noreturn void bad_cmdline(const char *what)
{
	refuse_run("cmdline", "bad command line", what, EBX_GUEST_EXIT_BAD_CMDLINE);
}

static __noreturn void unsupported(const char *what)
{
	refuse_run("unsupported", "unsupported", what, EBX_GUEST_EXIT_UNSUPPORTED);
}

static void parse_options(struct kernel *k)
{
	char err[160];

	if (k->boot.cmdline_too_long)
		bad_cmdline("longer than 1024 bytes");
	if (!cmdline_parse(k->boot.cmdline, &k->opts, err, sizeof(err)))
		bad_cmdline(err);
}

/* The model's options, then the kernel's keys every model takes where they
 * are not at their defaults: what the run was given beyond its selection. */
static void run_options(const struct kernel *k, char *buf, size_t len)
{
	size_t used;

	cmdline_model_options(&k->opts, buf, len);
	used = strlen(buf);
	if (k->opts.timer && used < len)
		used += (size_t)ksnprintf(buf + used, len - used, "%stimer=on", used ? " " : "");
	if (!k->opts.espfix && used < len)
		used += (size_t)ksnprintf(buf + used, len - used, "%sespfix=off", used ? " " : "");
	if (k->opts.kernel_bug != EBX_KBUG_none && used < len)
		ksnprintf(buf + used, len - used, "%skernel_bug=%s", used ? " " : "",
			  cmdline_kernel_bug_name(k->opts.kernel_bug));
}

/* "n0,n1,...": system calls per task id that came by the 64-bit SYSCALL (or a
 * ring-0 application's call), each a boundary the VMM stops at: its coverage
 * check (abi.h).  The 32-bit gates have no such boundary. */
static void task_syscalls(char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (unsigned id = 0; id < task_count() && at < len; id++)
		at += (size_t)ksnprintf(buf + at, len - at, "%s%u", id ? "," : "", task_stats(id)->syscalls - task_stats(id)->compat_syscalls);
}

static void print_result(const struct kernel *k, enum scenario_outcome outcome, enum scenario_outcome expected,
			 const char *detail)
{
	char options[160], text[200], syscalls[EBX_MAX_TASKS * 11 + 1];

	run_options(k, options, sizeof(options));
	json_text(text, sizeof(text), detail);
	task_syscalls(syscalls, sizeof(syscalls));
	kprintf("@entrybox {\"event\":\"result\",\"model\":\"%s\",\"pti\":\"%s\",\"pcid\":\"%s\",\"vcpus\":%u,"
		"\"tasks\":%u,\"scenario\":\"%s\",\"options\":\"%s\",\"outcome\":\"%s\",\"expected\":\"%s\","
		"\"kernel_db\":%u,\"detail\":\"%s\",\"task_syscalls\":[%s]}\n",
		k->model->name, k->opts.pti ? "on" : "off", k->opts.pcid ? "on" : "off", k->opts.vcpus,
		k->opts.tasks, cmdline_scenario_name(k->opts.scenario), options,
		scenario_outcome_name(outcome), scenario_outcome_name(expected), debug_kernel_count(), text,
		syscalls);
}

/* Everything the selection needs from the CPU and this version of the kernel.
 * A mode the model does not implement is no failure: the run is not
 * applicable, with the model's reason. */
static void check_support(struct kernel *k)
{
	struct entry_mode mode = { .pti = k->opts.pti, .pcid = k->opts.pcid, .opts = &k->opts };
	const char *why = "";
	char detail[200];
	uint32_t r[4];

	if (!entry_table_consistent())
		panic("entry/models.def: an option outside its model's block, or a value apart from its option");
	if (k->opts.vcpus > EBX_MAX_CPUS)
		unsupported("more vCPUs than the layout can describe");
	k->model = entry_model_get(k->opts.model);
	k->variant.traits = k->model->traits;
	switch (k->model->select(&mode, &k->variant, &why)) {
	case ENTRY_SELECTED:
		break;
	case ENTRY_REFUSED:
		ksnprintf(detail, sizeof(detail), "entry=%s refuses this mode: %s", k->model->name, why);
		print_result(k, OUTCOME_NOT_APPLICABLE, OUTCOME_NOT_APPLICABLE, detail);
		guest_exit(EBX_GUEST_EXIT_PASS);
	default:
		unsupported(why);
	}
	/* After the model: a mode it does not implement is n/a on any machine. */
	cpuid(1, 0, r);
	if (k->opts.pcid && !(r[2] & CPUID1_ECX_PCID))
		unsupported("pcid=on but the CPU has no PCID (CPUID.1:ECX[17] clear)");
	entry_model_activate(k->model, &k->variant.traits);
}

/* Every stack with a canary must still have it when the run ends. */
static bool canaries_intact(const struct kernel *k, char *detail, size_t len)
{
	if (*(const uint64_t *)boot_stack_base != EBX_STACK_CANARY) {
		ksnprintf(detail, len, "boot stack canary overwritten");
		return false;
	}
	for (unsigned c = 1; c < k->opts.vcpus; c++) {
		if (*(const uint64_t *)k->cpus[c].boot_stack != EBX_STACK_CANARY) {
			ksnprintf(detail, len, "CPU %u boot stack canary overwritten", c);
			return false;
		}
	}
	for (unsigned i = 0; i < task_count(); i++) {
		if (*(const uint64_t *)task_get(i)->kstack_base != EBX_STACK_CANARY) {
			ksnprintf(detail, len, "task %u kernel stack canary overwritten", i);
			return false;
		}
	}
	return true;
}

/* The timer runs where the scenario needs it or the command line asks. */
static bool uses_timer(const struct kernel *k, const struct scenario *sc)
{
	return sc->uses_timer || k->opts.timer;
}

static void build_system(struct kernel *k, const struct scenario *sc)
{
	struct task_setup ts = {
		.pti = k->opts.pti, .pcid = k->opts.pcid, .scenario = k->opts.scenario,
		.iters = k->opts.iters, .return_to_user = k->variant.return_to_user, .model = k->model,
		.dirty_initial_regs = k->opts.kernel_bug == EBX_KBUG_dirty_initial_regs,
	};
	struct layout_input li = {
		.opts = &k->opts, .model = k->model, .variant = &k->variant, .cpus = k->cpus, .ncpus = k->opts.vcpus,
	};
	struct smp_setup smp = {
		.model = k->model, .variant = &k->variant, .cpus = k->cpus, .ncpus = k->opts.vcpus,
		.pcid = k->opts.pcid, .timer = uses_timer(k, sc),
	};
	struct sched_config sched = {
		.model = k->model, .cpus = k->cpus, .ncpus = k->opts.vcpus, .pcid = k->opts.pcid,
		.pti = k->opts.pti, .preempt = uses_timer(k, sc), .keep_null_ss = k->opts.kernel_bug == EBX_KBUG_sysret_ss_null,
	};

	/* Our VMM models no PIC; every other machine may have one ticking. */
	if (!hv_is_entrybox())
		pic_disable();
	palloc_init(&k->boot, (uint64_t)__kernel_phys_end);
	mm_init(k->boot.ram_end);
	idt_fill(k->variant.idt_stubs);
	cea_build(0, k->model, &k->cpus[0]);
	cpu_activate(&k->cpus[0], &k->variant, k->opts.pcid);
	/* Before any task PGD copies the kernel half's top-level slots. */
	lapic_map();
	lapic_enable();
	/* The APs' delays use the boot CPU's timer: before it ticks. */
	smp_boot_aps(&smp);
	espfix_setup(k->cpus, k->opts.vcpus, k->opts.espfix);
	if (uses_timer(k, sc))
		timer_start();
	tasks_create(k->opts.tasks, &ts);
	sched_init(&sched);
	layout_publish(&li);
}

__noreturn void scenario_failed_now(const char *detail)
{
	struct kernel *k = &kernel;
	const struct scenario *sc = scenario_get(k->opts.scenario);

	print_result(k, OUTCOME_FAIL, scenario_expected(sc, &k->opts, entry_traits_active()), detail);
	guest_exit(EBX_GUEST_EXIT_FAIL);
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
	const struct scenario *sc = scenario_get(k->opts.scenario);
	build_system(k, sc);

	enum scenario_outcome outcome;
	const struct entry_traits *traits = entry_traits_active();
	enum scenario_outcome expected = scenario_expected(sc, &k->opts, traits);
	/* Said before anything runs, so a run that never reaches its result
	 * line (a panic, a triple fault) is still judged against it. */
	kprintf("@entrybox {\"event\":\"expect\",\"expected\":\"%s\"}\n", scenario_outcome_name(expected));
	if (scenario_not_applicable(sc, &k->opts, traits, detail, sizeof(detail))) {
		outcome = OUTCOME_NOT_APPLICABLE;
	} else {
		if (sc->runs_tasks)
			sched_run_all();
		outcome = sc->judge(&k->opts, detail, sizeof(detail));
	}
	if (outcome != OUTCOME_FAIL && !canaries_intact(k, detail, sizeof(detail)))
		outcome = OUTCOME_FAIL;
	print_result(k, outcome, expected, detail);
	/* The machine, not the model: the same status as a CPU feature the selection lacks. */
	if (outcome == OUTCOME_UNSUPPORTED)
		guest_exit(EBX_GUEST_EXIT_UNSUPPORTED);
	guest_exit(outcome == expected ? EBX_GUEST_EXIT_PASS : EBX_GUEST_EXIT_FAIL);
}
