/* SPDX-License-Identifier: MIT */
#include "bench/bench_exit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check/layout.h"
#include "check/rules.h"
#include "kvm/kvm.h"
#include "kvm/snapshot.h"

/* Small: the VM holds one page of code and the layout's page tables' places. */
#define BENCH_RAM (2u << 20)
#define BENCH_CODE_GPA 0x1000u
#define BENCH_PORT 0x80
#define BENCH_WARMUP 64u
/* Rule results are not acted on, only counted: a small buffer is enough. */
#define BENCH_MAX_VIOLATIONS 8

/* out %al,$0x80 ; jmp back to the out (EB FC = jmp -4). */
static const uint8_t bench_code[] = { 0xe6, BENCH_PORT, 0xeb, 0xfc };

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void stack(struct ebx_stack_desc *s, uint64_t base, uint32_t kind, uint32_t owner_kind, uint32_t flags,
		  const char *name)
{
	s->flags = flags;
	s->base = base;
	s->size = 0x2000;
	s->kind = kind;
	s->owner_kind = owner_kind;
	s->owner_id = 0;
	s->guard_below = 1;
	s->guard_above = 1;
	snprintf(s->name, sizeof(s->name), "%s", name);
}

/* The smallest layout the validator accepts that still gives every rule
 * something to compare with: one CPU, one ring-3 task with a PGD pair, an
 * entry stack and a task stack, kernel and entry text. */
static void minimal_layout(struct ebx_layout *r)
{
	memset(r, 0, sizeof(*r));
	r->version = EBX_LAYOUT_VERSION;
	r->size = sizeof(*r);
	snprintf(r->model, sizeof(r->model), "kpti");
	r->pti = 1;
	r->traits = EBX_TRAIT_PREEMPT_USER;
	r->ncpus = 1;
	r->ntasks = 1;
	r->nstacks = 2;
	r->kernel_text_start = 0xffffffff81000000ull;
	r->kernel_text_end = 0xffffffff81200000ull;
	r->entry_text_start = 0xffffffff81001000ull;
	r->entry_text_end = 0xffffffff81002000ull;
	r->syscall_entry = r->entry_text_start;
	r->syscall_return = r->entry_text_start + 0x100;
	r->kernel_cs = 0x10;
	r->kernel_ss = 0x18;
	r->user_cs = 0x33;
	r->user_ss = 0x2b;
	r->cpus[0].percpu_gva = 0xffffffff82000000ull;
	r->cpus[0].current_task_gva = 0xffffffff82000100ull;
	r->cpus[0].gdt_gva = 0xfffffe0000000000ull;
	r->cpus[0].tss_gva = 0xfffffe0000001000ull;
	r->cpus[0].idt_gva = 0xffffffff82100000ull;
	r->tasks[0].kernel_pgd = 0x10000;
	r->tasks[0].user_pgd = 0x11000;
	r->tasks[0].id = 0;
	r->tasks[0].ring = 3;
	snprintf(r->tasks[0].name, sizeof(r->tasks[0].name), "task0");
	stack(&r->stacks[0], 0xfffffe0000004000ull, EBX_STACK_ENTRY, EBX_OWNER_CPU,
	      EBX_STACKF_KERNEL | EBX_STACKF_USER_MAPPED | EBX_STACKF_SHARED | EBX_STACKF_LANDING, "cpu0-entry");
	stack(&r->stacks[1], 0xffffc90000002000ull, EBX_STACK_TASK, EBX_OWNER_TASK,
	      EBX_STACKF_KERNEL | EBX_STACKF_C_ENTRY, "task0-kstack");
}

struct bench_vm {
	struct kvm_vm vm;
	struct kvm_vcpu vcpu;
	bool have_vcpu;
};

static int setup(struct bench_vm *b, char *err, size_t errlen)
{
	if (kvm_open_vm(&b->vm, BENCH_RAM, err, errlen) < 0)
		return -1;
	if (kvm_create_vcpu(&b->vm, &b->vcpu, 0, err, errlen) < 0)
		return -1;
	b->have_vcpu = true;
	if (kvm_setup_cpuid(&b->vcpu, err, errlen) < 0)
		return -1;
	if (!gmem_write(&b->vm.mem, BENCH_CODE_GPA, bench_code, sizeof(bench_code))) {
		snprintf(err, errlen, "bench VM: cannot place the code");
		return -1;
	}
	/* The PVH entry state is flat 32-bit protected mode, which is all the two
	 * instructions need; start_info is not read. */
	return kvm_set_pvh_state(&b->vcpu, BENCH_CODE_GPA, 0, err, errlen);
}

static void teardown(struct bench_vm *b)
{
	if (b->have_vcpu)
		kvm_destroy_vcpu(&b->vcpu);
	kvm_close_vm(&b->vm);
}

/* One KVM_RUN that must end at the port-0x80 write. */
static int one_exit(struct kvm_vcpu *v, char *err, size_t errlen)
{
	int rc;
	do
		rc = kvm_run_once(v);
	while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		snprintf(err, errlen, "KVM_RUN: %s", strerror(errno));
		return -1;
	}
	const struct kvm_run *run = v->run;
	if (run->exit_reason != KVM_EXIT_IO || run->io.port != BENCH_PORT) {
		snprintf(err, errlen, "bench VM: unexpected exit %u (port 0x%x)", run->exit_reason,
			 run->exit_reason == KVM_EXIT_IO ? run->io.port : 0);
		return -1;
	}
	return 0;
}

static int check_rules(struct kvm_vcpu *v, const struct layout *l, struct bench_exit_sample *out, char *err,
		       size_t errlen)
{
	struct vcpu_snap snap;
	struct violation viol[BENCH_MAX_VIOLATIONS];
	if (!snapshot_take_for_rules(v, SNAP_PLAIN, l, &snap)) {
		snprintf(err, errlen, "bench VM: cannot take a snapshot");
		return -1;
	}
	size_t nrules = 0;
	rules_table(&nrules);
	out->rule_failures += rules_check_all(&snap, l, viol, BENCH_MAX_VIOLATIONS);
	out->checks += nrules;
	return 0;
}

static int timed_loop(struct bench_vm *b, const struct layout *l, uint64_t exits, struct bench_exit_sample *out,
		      char *err, size_t errlen)
{
	for (unsigned i = 0; i < BENCH_WARMUP; i++)
		if (one_exit(&b->vcpu, err, errlen) < 0)
			return -1;
	double t0 = now_ns();
	for (uint64_t i = 0; i < exits; i++) {
		if (one_exit(&b->vcpu, err, errlen) < 0)
			return -1;
		if (l && check_rules(&b->vcpu, l, out, err, errlen) < 0)
			return -1;
	}
	out->exits = exits;
	out->ns_per_exit = (now_ns() - t0) / (double)exits;
	return 0;
}

bool bench_exit_measure(bool with_rules, uint64_t exits, struct bench_exit_sample *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (exits == 0) {
		snprintf(err, errlen, "bench: zero exits requested");
		return false;
	}
	struct layout layout;
	if (with_rules) {
		struct ebx_layout raw;
		minimal_layout(&raw);
		if (!layout_validate(&raw, sizeof(raw), BENCH_RAM, &layout, err, errlen))
			return false;
	}
	struct bench_vm b;
	memset(&b, 0, sizeof(b));
	int rc = setup(&b, err, errlen);
	if (rc == 0)
		rc = timed_loop(&b, with_rules ? &layout : NULL, exits, out, err, errlen);
	teardown(&b);
	return rc == 0;
}
