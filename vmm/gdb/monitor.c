/* SPDX-License-Identifier: MIT */
/*
 * `monitor ...` at gdb's prompt: what the VMM knows and gdb does not -- the
 * rules and what they found, the layout the guest published, which stack an
 * RSP is on -- plus injecting an event at the instruction the VM is stopped
 * at.  Runs on the connection thread while the VM is stopped.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check/layout.h"
#include "check/rules.h"
#include "inject/inject.h"
#include "stub_internal.h"

#define LINE_MAX_LEN 512

static const char help[] =
	"entrybox monitor commands:\n"
	"  rules                          the rules checked at every exit and the violations so far\n"
	"  layout                         the layout the guest published (tasks, page tables, stacks)\n"
	"  stack                          the stack region this vCPU's RSP is in\n"
	"  inject nmi|irq[:VEC]|db|pf[:CR2]|gp\n"
	"                                 deliver an event before this vCPU's next instruction\n"
	"  inject pf-user-stack[@TASK]    unmap the page below the user RSP when the scenario asks\n"
	"  explain                        why the VM stopped, in full (a triple fault: its exception chain)\n";

static void say(struct gdb_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct gdb_conn *c, const char *fmt, ...)
{
	char line[LINE_MAX_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	gdb_conn_console(c, line);
}

static void print_violation(struct gdb_conn *c, const struct violation_report *v)
{
	say(c, "VIOLATION %s at %s: %s -- %s (stack %s, cr3 0x%" PRIx64 ", gs 0x%" PRIx64 "%s%s, cpu %u, cpl %u)\n",
	    v->rule, v->symbol, v->insn, v->detail, v->stack, v->cr3, v->gs_base, v->source[0] ? ", " : "", v->source,
	    v->cpu, v->cpl);
}

static void rules(struct gdb_stub *g, struct gdb_conn *c)
{
	size_t n = 0;
	const struct rule *t = rules_table(&n);
	say(c, "%zu rules, checked at every exit:\n", n);
	for (size_t i = 0; i < n; i++)
		say(c, "  %-22s %s\n", t[i].name, t[i].summary);
	struct session *s = g->s;
	pthread_mutex_lock(&s->lock);
	size_t found = s->r->nviolations;
	uint64_t occurrences = s->r->violation_occurrences;
	say(c, "%zu violation%s so far (%" PRIu64 " failed checks):\n", found, found == 1 ? "" : "s", occurrences);
	for (size_t i = 0; i < found; i++)
		print_violation(c, &s->r->violations[i]);
	pthread_mutex_unlock(&s->lock);
}

static const char *stack_kind(uint32_t kind)
{
	static const char *const names[] = { "?", "entry", "task", "ist", "user", "pti", "vcpu", "ukl", "boot" };
	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

static void layout(struct gdb_stub *g, struct gdb_conn *c)
{
	const struct layout *l = &g->s->layout;
	if (!l->valid) {
		say(c, "the guest has not published its layout yet\n");
		return;
	}
	const struct ebx_layout *r = &l->raw;
	say(c, "model %s, pti %s, pcid %s, %u cpus, %u tasks, %u stacks\n", r->model, r->pti ? "on" : "off",
	    r->pcid ? "on" : "off", r->ncpus, r->ntasks, r->nstacks);
	say(c, "syscall entry 0x%" PRIx64 ", sysretq 0x%" PRIx64 ", entry text [0x%" PRIx64 ", 0x%" PRIx64 ")\n",
	    r->syscall_entry, r->syscall_return, r->entry_text_start, r->entry_text_end);
	for (uint32_t i = 0; i < r->ncpus; i++)
		say(c, "cpu %u: percpu 0x%" PRIx64 ", tss 0x%" PRIx64 ", idt 0x%" PRIx64 "\n", i, r->cpus[i].percpu_gva,
		    r->cpus[i].tss_gva, r->cpus[i].idt_gva);
	for (uint32_t i = 0; i < r->ntasks; i++)
		say(c, "task %u %-16s ring %u, kernel pgd 0x%" PRIx64 ", user pgd 0x%" PRIx64 "\n", r->tasks[i].id,
		    r->tasks[i].name, r->tasks[i].ring, r->tasks[i].kernel_pgd, r->tasks[i].user_pgd);
	for (uint32_t i = 0; i < r->nstacks; i++) {
		const struct ebx_stack_desc *st = &r->stacks[i];
		say(c, "stack %-20s %-5s [0x%" PRIx64 ", 0x%" PRIx64 ") guard %u/%u pages\n", st->name,
		    stack_kind(st->kind), st->base, st->base + st->size, st->guard_below, st->guard_above);
	}
}

static void stack(struct gdb_stub *g, unsigned cpu, struct gdb_conn *c)
{
	struct gdb_cpu *state = target_cpu(g, cpu);
	if (!state) {
		say(c, "cannot read vCPU %u\n", cpu);
		return;
	}
	uint64_t rsp = state->regs.rsp;
	if (!g->s->layout.valid) {
		say(c, "rsp 0x%" PRIx64 ": the guest has not published its stacks yet\n", rsp);
		return;
	}
	bool guard = false;
	const struct ebx_stack_desc *st = layout_stack_of_rsp(&g->s->layout, rsp, &guard);
	if (!st) {
		say(c, "rsp 0x%" PRIx64 " is on no registered stack\n", rsp);
		return;
	}
	uint64_t top = st->base + st->size;
	if (guard)
		say(c, "rsp 0x%" PRIx64 " is in a guard page of stack %s [0x%" PRIx64 ", 0x%" PRIx64 ")\n", rsp,
		    st->name, st->base, top);
	else
		say(c, "rsp 0x%" PRIx64 " is on stack %s (%s) [0x%" PRIx64 ", 0x%" PRIx64 "): %" PRIu64
		       " of %" PRIu64 " bytes in use\n",
		    rsp, st->name, stack_kind(st->kind), st->base, top, top - rsp, st->size);
}

static bool task_exists(const struct layout *l, uint32_t id)
{
	for (uint32_t i = 0; l->valid && i < l->raw.ntasks; i++)
		if (l->raw.tasks[i].id == id)
			return true;
	return false;
}

static void inject(struct gdb_stub *g, unsigned cpu, const char *what, struct gdb_conn *c)
{
	char text[INJECT_SPEC_MAX], err[200];
	struct inject_spec spec;
	bool user_stack = strncmp(what, "pf-user-stack", 13) == 0;
	/* The --inject grammar, at the instruction the vCPU stands on. */
	const char *arg = strchr(what, ':');
	if (user_stack)
		snprintf(text, sizeof(text), "%s", what);
	else
		snprintf(text, sizeof(text), "%.*s@0x0%s", (int)(arg ? arg - what : (long)strlen(what)), what,
			 arg ? arg : "");
	if (!inject_spec_parse(text, &spec, err, sizeof(err))) {
		say(c, "inject: %s\n", err);
		return;
	}
	if (user_stack) {
		if (spec.has_task && !task_exists(&g->s->layout, spec.task))
			say(c, "inject: no task %u in the guest's layout\n", spec.task);
		else if (inject_add_user_stack(g->s, &spec, err, sizeof(err)))
			say(c, "%s: the page below the task's user RSP goes when the scenario asks for it\n", what);
		else
			say(c, "inject: %s\n", err);
		return;
	}
	if (!inject_deliver(&g->s->vcpus[cpu], spec.kind, spec.arg, err, sizeof(err))) {
		say(c, "inject: %s\n", err);
		return;
	}
	g->vcpu[cpu].event_vector = inject_last_vector(g->s);
	say(c, "%s queued on vCPU %u: it is taken before the next instruction (stepi enters its handler)%s%s\n",
	    inject_kind_name(spec.kind), cpu, err[0] ? "; " : "", err);
}

static void explain(struct gdb_stub *g, struct gdb_conn *c)
{
	const struct gdb_stop *last = &g->last;
	if (last->message[0]) {
		gdb_conn_console(c, last->message);
		return;
	}
	static const char *const why[] = {
		[GDB_WHY_ATTACH] = "gdb attached", [GDB_WHY_STEP] = "a step ended",
		[GDB_WHY_SWBREAK] = "a breakpoint", [GDB_WHY_HWBREAK] = "a hardware breakpoint",
		[GDB_WHY_WATCH] = "a watchpoint", [GDB_WHY_AWATCH] = "an access watchpoint",
		[GDB_WHY_INTERRUPT] = "gdb interrupted it", [GDB_WHY_EVENT] = "the VMM", [GDB_WHY_EXITED] = "the run ended",
	};
	say(c, "vCPU %u stopped for gdb (%s); nothing the VMM found\n", last->cpu,
	    (unsigned)last->why < sizeof(why) / sizeof(why[0]) ? why[last->why] : "?");
}

bool monitor_run(struct gdb_stub *g, unsigned cpu, const char *cmd, struct gdb_conn *c)
{
	while (*cmd == ' ')
		cmd++;
	if (!control_wait_stopped(g)) {
		say(c, "the run is over\n");
		return true;
	}
	if (strcmp(cmd, "help") == 0 || cmd[0] == '\0')
		gdb_conn_console(c, help);
	else if (strcmp(cmd, "rules") == 0)
		rules(g, c);
	else if (strcmp(cmd, "layout") == 0)
		layout(g, c);
	else if (strcmp(cmd, "stack") == 0)
		stack(g, cpu, c);
	else if (strncmp(cmd, "inject ", 7) == 0)
		inject(g, cpu, cmd + 7, c);
	else if (strcmp(cmd, "explain") == 0)
		explain(g, c);
	else
		return false;
	return true;
}
