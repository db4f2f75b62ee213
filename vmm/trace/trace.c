/* SPDX-License-Identifier: MIT */
/*
 * Which instructions a trace covers and what its summary says.  One vCPU
 * claims the trace at the first boundary of the chosen path; from then on only
 * that vCPU's thread touches the trace until trace_finish(), which runs after
 * every vCPU thread has been joined.
 */
#include "trace/trace.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run/session.h"
#include "trace_record.h"

#define IDT_VECTORS     32u
#define MAX_SEQUENCE    64u
#define NO_VECTOR       (-1)

enum trace_phase { PHASE_WAITING, PHASE_TRACING, PHASE_BARE, PHASE_DONE };

struct stack_use {
	bool seen;
	uint64_t lowest;
};

/* Where the traced state changed: the CR3 half and the stack region, in order. */
struct transitions {
	unsigned n;
	uint64_t at[MAX_SEQUENCE];
	char what[MAX_SEQUENCE][EBX_NAME_LEN];
};

struct trace {
	struct trace_config cfg;
	FILE *f;
	_Atomic int phase;
	unsigned vcpu;
	unsigned boundaries_seen;     /* of the chosen path, before the claim */
	/* the traced path */
	uint64_t steps, failed_checks, exits_at_start, exits;
	double started, seconds;
	const char *ended;
	bool idt_known;
	uint64_t idt_target[IDT_VECTORS];
	struct stack_use stacks[EBX_MAX_STACKS];
	bool unregistered_seen;
	uint64_t unregistered_lowest;
	struct transitions pgd, stack;
	/* the bare single-step loop over the following round trips */
	bool bare_active;
	unsigned bare_done, bare_lost;
	uint64_t bare_steps, bare_window_steps;
	double bare_started, bare_seconds;
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool trace_path_parse(const char *text, enum trace_path *out, unsigned *occurrence)
{
	size_t name_len = strcspn(text, ":");
	if (name_len == 7 && strncmp(text, "syscall", 7) == 0)
		*out = TRACE_PATH_SYSCALL;
	else if (name_len == 10 && strncmp(text, "user-fault", 10) == 0)
		*out = TRACE_PATH_USER_FAULT;
	else
		return false;
	*occurrence = 1;
	if (text[name_len] == '\0')
		return true;
	const char *num = text + name_len + 1;
	char *end = NULL;
	errno = 0;
	unsigned long n = strtoul(num, &end, 10);
	if (errno || end == num || *end != '\0' || num[0] == '-' || n < 1 || n > TRACE_MAX_OCCURRENCE)
		return false;
	*occurrence = (unsigned)n;
	return true;
}

const char *trace_path_name(enum trace_path p)
{
	return p == TRACE_PATH_USER_FAULT ? "user-fault" : "syscall";
}

struct trace *trace_open(const struct trace_config *cfg, char *err, size_t errlen)
{
	struct trace *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->cfg = *cfg;
	t->f = fopen(cfg->file, "we");
	if (!t->f) {
		snprintf(err, errlen, "--trace %s: %s", cfg->file, strerror(errno));
		free(t);
		return NULL;
	}
	t->phase = PHASE_WAITING;
	t->ended = "no-boundary";
	return t;
}

/* ---- bookkeeping of one recorded step ---------------------------------------------------------- */

static void note_transition(struct transitions *tr, uint64_t at, const char *what)
{
	if (tr->n > 0 && strcmp(tr->what[tr->n - 1], what) == 0)
		return;
	if (tr->n == MAX_SEQUENCE)
		return;
	tr->at[tr->n] = at;
	snprintf(tr->what[tr->n], sizeof(tr->what[0]), "%s", what);
	tr->n++;
}

static void note_step(struct trace *t, const struct layout *l, const struct trace_step_out *o)
{
	if (o->stack_index >= 0) {
		struct stack_use *u = &t->stacks[o->stack_index];
		if (!u->seen || o->rsp < u->lowest)
			u->lowest = o->rsp;
		u->seen = true;
	} else if (!t->unregistered_seen || o->rsp < t->unregistered_lowest) {
		t->unregistered_seen = true;
		t->unregistered_lowest = o->rsp;
	}
	note_transition(&t->pgd, t->steps, o->pgd_kind);
	note_transition(&t->stack, t->steps, o->stack_index >= 0 ? l->raw.stacks[o->stack_index].name : "unregistered");
	t->failed_checks += o->failed;
	t->steps++;
}

/* The IDT as the guest loaded it: a step that lands on a gate target is an exception (or an injection). */
static void read_idt(struct trace *t, struct vcpu_state *v)
{
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	t->idt_known = false;
	if (!sr || sr->idt.limit < IDT_VECTORS * 16 - 1)
		return;
	uint8_t gates[IDT_VECTORS * 16];
	if (!gmem_read_virt(&v->s->vm.mem, sr->cr3, sr->idt.base, gates, sizeof(gates)))
		return;
	for (unsigned i = 0; i < IDT_VECTORS; i++) {
		const uint8_t *g = gates + i * 16;
		uint32_t high;
		memcpy(&high, g + 8, 4);
		t->idt_target[i] = (g[5] & 0x80) ? ((uint64_t)g[0] | (uint64_t)g[1] << 8 | (uint64_t)g[6] << 16 |
						    (uint64_t)g[7] << 24 | (uint64_t)high << 32)
						 : 0;
	}
	t->idt_known = true;
}

static int vector_at(const struct trace *t, uint64_t rip)
{
	if (!t->idt_known)
		return NO_VECTOR;
	for (unsigned i = 0; i < IDT_VECTORS; i++)
		if (t->idt_target[i] && t->idt_target[i] == rip)
			return (int)i;
	return NO_VECTOR;
}

static void stepping(struct vcpu_state *v, bool on)
{
	debugctl_want_step(&v->dbg, DBG_OWNER_TRACE, on);
}

/* ---- the traced path ----------------------------------------------------------------------------- */

static void end_trace(struct trace *t, struct vcpu_state *v, const char *why)
{
	t->ended = why;
	t->seconds = now_seconds() - t->started;
	t->exits = atomic_load(&v->s->exits) - t->exits_at_start + 1;
	stepping(v, false);
	bool bare = t->cfg.path == TRACE_PATH_SYSCALL && t->cfg.bare_round_trips > 0;
	t->phase = bare ? PHASE_BARE : PHASE_DONE;
}

static void record(struct trace *t, struct vcpu_state *v, const char *event, int vector)
{
	struct trace_step_out o;
	if (!trace_record_step(t->f, v, t->steps, event, vector, &o)) {
		end_trace(t, v, "state-unreadable");
		return;
	}
	note_step(t, &v->s->layout, &o);
	/* The return to ring 3 is the last instruction a step is reported for:
	 * SYSRET reloads RFLAGS.TF from R11 (and IRET from its frame). */
	if (o.returns_to_user)
		end_trace(t, v, "returned-to-user");
	else if (t->steps >= TRACE_MAX_STEPS)
		end_trace(t, v, "step-limit");
}

static bool claim(struct trace *t, struct vcpu_state *v, enum trace_path path)
{
	if (t->phase != PHASE_WAITING || t->cfg.path != path || !v->s->layout.valid)
		return false;
	pthread_mutex_lock(&v->s->lock);
	bool mine = t->phase == PHASE_WAITING && ++t->boundaries_seen >= t->cfg.occurrence;
	if (mine) {
		t->vcpu = v->vcpu.index;
		t->phase = PHASE_TRACING;
	}
	pthread_mutex_unlock(&v->s->lock);
	return mine;
}

static void start_trace(struct trace *t, struct vcpu_state *v, const char *event, int vector)
{
	t->started = now_seconds();
	t->exits_at_start = atomic_load(&v->s->exits);
	read_idt(t, v);
	stepping(v, true);
	record(t, v, event, vector);
}

/* ---- the bare loop --------------------------------------------------------------------------- */

static void bare_begin(struct trace *t, struct vcpu_state *v)
{
	if (t->bare_active)
		t->bare_lost++; /* the previous window never reached its sysretq */
	t->bare_active = true;
	t->bare_window_steps = 1; /* the boundary instruction, as in the traced path */
	t->bare_started = now_seconds();
	stepping(v, true);
}

static void bare_step(struct trace *t, struct vcpu_state *v, uint64_t rip)
{
	t->bare_window_steps++;
	if (rip != v->s->layout.raw.syscall_return)
		return;
	t->bare_seconds += now_seconds() - t->bare_started;
	t->bare_steps += t->bare_window_steps;
	t->bare_active = false;
	stepping(v, false);
	if (++t->bare_done >= t->cfg.bare_round_trips)
		t->phase = PHASE_DONE;
}

/* ---- hooks ------------------------------------------------------------------------------------ */

static bool is_tracer(const struct trace *t, const struct vcpu_state *v)
{
	return t->vcpu == v->vcpu.index;
}

static enum exit_decision on_syscall_boundary(void *ctx, struct vcpu_state *v)
{
	struct trace *t = ctx;
	int phase = t->phase;
	if (phase == PHASE_WAITING) {
		if (claim(t, v, TRACE_PATH_SYSCALL))
			start_trace(t, v, "syscall-boundary", NO_VECTOR);
	} else if (phase == PHASE_TRACING && is_tracer(t, v)) {
		/* Stepping was lost before the return: never report a path we did not see whole. */
		end_trace(t, v, "lost-step");
	} else if (phase == PHASE_BARE && is_tracer(t, v)) {
		bare_begin(t, v);
	}
	return EXIT_CONTINUE;
}

static enum exit_decision on_user_fault(void *ctx, struct vcpu_state *v)
{
	struct trace *t = ctx;
	if (t->phase != PHASE_WAITING)
		return EXIT_CONTINUE;
	struct kvm_regs *regs = kvm_regs(&v->vcpu);
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	uint64_t frame_cs = 0;
	/* #PF pushes an error code: the frame's CS sits two slots above RSP. */
	if (!regs || !sr || !gmem_read_virt(&v->s->vm.mem, sr->cr3, regs->rsp + 16, &frame_cs, sizeof(frame_cs)) ||
	    (frame_cs & 3) != 3)
		return EXIT_CONTINUE;
	if (claim(t, v, TRACE_PATH_USER_FAULT))
		start_trace(t, v, "user-fault", 14);
	return EXIT_CONTINUE;
}

static enum exit_decision on_step(void *ctx, struct vcpu_state *v, uint64_t rip)
{
	struct trace *t = ctx;
	if (!is_tracer(t, v))
		return EXIT_CONTINUE;
	int phase = t->phase;
	if (phase == PHASE_BARE && t->bare_active) {
		bare_step(t, v, rip);
		return EXIT_CONTINUE;
	}
	if (phase != PHASE_TRACING)
		return EXIT_CONTINUE;
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	if (!sr) {
		end_trace(t, v, "state-unreadable");
		return EXIT_CONTINUE;
	}
	if ((sr->cs.dpl & 3) == 3) {
		end_trace(t, v, "in-user");
		return EXIT_CONTINUE;
	}
	int vector = vector_at(t, rip);
	record(t, v, vector >= 0 ? "exception" : NULL, vector);
	return EXIT_CONTINUE;
}

const struct exit_observer trace_observer = {
	.name = "trace",
	.owner = DBG_OWNER_TRACE,
	.on_syscall_boundary = on_syscall_boundary,
	.on_user_fault = on_user_fault,
	.on_step = on_step,
};

/* ---- summary ---------------------------------------------------------------------------------- */

static json_object *hex(uint64_t value)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)value);
	return json_object_new_string(buf);
}

static json_object *stacks_json(const struct trace *t, const struct layout *l)
{
	json_object *arr = json_object_new_array();
	for (unsigned i = 0; l->valid && i < l->raw.nstacks; i++) {
		const struct stack_use *u = &t->stacks[i];
		if (!u->seen)
			continue;
		const struct ebx_stack_desc *d = &l->raw.stacks[i];
		uint64_t top = d->base + d->size;
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(d->name));
		json_object_object_add(o, "kind", json_object_new_int((int)d->kind));
		json_object_object_add(o, "top", hex(top));
		json_object_object_add(o, "lowest_rsp", hex(u->lowest));
		json_object_object_add(o, "bytes_used", json_object_new_uint64(top - u->lowest));
		json_object_array_add(arr, o);
	}
	if (t->unregistered_seen) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string("unregistered"));
		json_object_object_add(o, "lowest_rsp", hex(t->unregistered_lowest));
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *transitions_json(const struct transitions *tr)
{
	json_object *arr = json_object_new_array();
	for (unsigned i = 0; i < tr->n; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "i", json_object_new_uint64(tr->at[i]));
		json_object_object_add(o, "to", json_object_new_string(tr->what[i]));
		json_object_array_add(arr, o);
	}
	return arr;
}

static double rate(uint64_t steps, double seconds)
{
	return seconds > 0 ? (double)steps / seconds : 0.0;
}

static json_object *bare_json(const struct trace *t)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "round_trips", json_object_new_int((int)t->bare_done));
	json_object_object_add(o, "lost_round_trips", json_object_new_int((int)t->bare_lost));
	json_object_object_add(o, "instructions", json_object_new_uint64(t->bare_steps));
	json_object_object_add(o, "seconds", json_object_new_double(t->bare_seconds));
	json_object_object_add(o, "steps_per_second", json_object_new_double(rate(t->bare_steps, t->bare_seconds)));
	return o;
}

static const char *ending_note(const struct trace *t)
{
	if (strcmp(t->ended, "returned-to-user") == 0)
		return "the return to ring 3 is the last traced instruction: single-step is not reported across "
		       "SYSRET/IRET into ring 3 (they reload RFLAGS.TF from R11 / the frame)";
	if (strcmp(t->ended, "no-boundary") == 0)
		return "the run never reached the path's first boundary after the layout";
	return "the path was not traced to its return to ring 3";
}

void trace_finish(struct trace *t, struct session *s)
{
	if (!t)
		return;
	if (t->phase == PHASE_TRACING)
		t->ended = "run-ended";
	size_t nrules = 0;
	rules_table(&nrules);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "summary", json_object_new_boolean(true));
	json_object_object_add(o, "path", json_object_new_string(trace_path_name(t->cfg.path)));
	json_object_object_add(o, "backend", json_object_new_string(backend_name(s->backend)));
	json_object_object_add(o, "occurrence", json_object_new_int((int)t->cfg.occurrence));
	json_object_object_add(o, "vcpu", json_object_new_int((int)t->vcpu));
	json_object_object_add(o, "instructions", json_object_new_uint64(t->steps));
	json_object_object_add(o, "exits", json_object_new_uint64(t->exits));
	json_object_object_add(o, "rules_per_step", json_object_new_uint64(nrules));
	json_object_object_add(o, "checks", json_object_new_uint64(t->steps * nrules));
	json_object_object_add(o, "failed_checks", json_object_new_uint64(t->failed_checks));
	json_object_object_add(o, "ended", json_object_new_string(t->ended));
	json_object_object_add(o, "note", json_object_new_string(ending_note(t)));
	json_object_object_add(o, "seconds", json_object_new_double(t->seconds));
	json_object_object_add(o, "steps_per_second", json_object_new_double(rate(t->steps, t->seconds)));
	json_object_object_add(o, "bare", bare_json(t));
	json_object_object_add(o, "stacks", stacks_json(t, &s->layout));
	json_object_object_add(o, "pgd_transitions", transitions_json(&t->pgd));
	json_object_object_add(o, "stack_transitions", transitions_json(&t->stack));
	fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), t->f);
	fputc('\n', t->f);
	json_object_put(o);
	bool bad = ferror(t->f) != 0;
	if (fclose(t->f) != 0 || bad)
		fprintf(stderr, "entrybox: --trace %s: write failed: %s\n", t->cfg.file, strerror(errno));
	free(t);
}
