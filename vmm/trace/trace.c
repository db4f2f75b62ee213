/* SPDX-License-Identifier: MIT */
/*
 * Which instructions a trace covers, how each recorded step is checked, and
 * what its summary says.  One vCPU claims the trace at the first boundary of
 * the chosen path; from then on only that vCPU's thread touches the trace
 * until trace_finish(), which runs after every vCPU thread has been joined.
 */
#include "trace/trace.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "result/result_coverage.h"
#include "run/session.h"
#include "trace_check.h"
#include "trace_record.h"

#define MAX_SEQUENCE    256u
#define NO_VECTOR       (-1)

enum trace_phase {
	PHASE_WAITING,   /* for the path's first boundary */
	PHASE_TRACING,   /* stepping and recording a round trip */
	PHASE_BETWEEN,   /* a round trip ended, the next one is to be traced on the same vCPU */
	PHASE_BARE,      /* stepping the following round trips without rules */
	PHASE_DONE,
};

/* How a trace, or one of its round trips, ended.  The names are the JSON
 * "ended" values that tools and tests read. */
enum trace_end {
	TRACE_END_OPEN,              /* still being traced */
	TRACE_END_RETURNED,
	TRACE_END_NO_BOUNDARY,
	TRACE_END_LOST_STEP,
	TRACE_END_STEP_LIMIT,
	TRACE_END_STATE_UNREADABLE,
	TRACE_END_IN_USER,
	TRACE_END_RUN_ENDED,
};

static const struct {
	const char *name;
	const char *note;
} trace_ends[] = {
	[TRACE_END_OPEN] = { "open", "the trace was still recording" },
	[TRACE_END_RETURNED] = { "returned-to-user",
		"the return to ring 3 is the last traced instruction: single-step is not reported across "
		"SYSRET/IRET into ring 3 (they reload RFLAGS.TF from R11 / the frame)" },
	[TRACE_END_NO_BOUNDARY] = { "no-boundary",
		"the run never reached the path's first boundary after the layout" },
	[TRACE_END_LOST_STEP] = { "lost-step",
		"a step arrived where the instruction before it cannot go: the trace stops there (lost_step)" },
	[TRACE_END_STEP_LIMIT] = { "step-limit",
		"the trace reached --trace-max-steps before its return to ring 3" },
	[TRACE_END_STATE_UNREADABLE] = { "state-unreadable",
		"the vCPU's segment registers could not be read at a step: the path was not traced to its return" },
	[TRACE_END_IN_USER] = { "in-user",
		"a step landed in ring 3 before the path's return was seen: the path was not traced to its return" },
	[TRACE_END_RUN_ENDED] = { "run-ended",
		"the run ended while the path was being traced: it was not traced to its return to ring 3" },
};

static const char *trace_end_name(enum trace_end e)
{
	return trace_ends[e].name;
}

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

struct trip {
	uint64_t syscall;             /* RAX at the boundary */
	uint64_t first, instructions; /* its first step's index; its instructions (REP iterations once) */
	enum trace_end ended;
};

/* Where the trace stopped matching what the instructions allow. */
struct lost_step {
	bool set;
	uint64_t index;               /* the step that arrived where it should not */
	uint64_t after;               /* the instruction before it */
	char after_insn[16];
	uint64_t expected[FLOW_MAX_NEXT];
	unsigned nexpected;
	uint64_t got;
};

struct trace {
	struct trace_config cfg;
	FILE *f;
	_Atomic int phase;
	unsigned vcpu;
	unsigned boundaries_seen;     /* of the chosen path, before the claim */
	/* the traced round trips */
	struct trip trips[TRACE_MAX_TRIPS];
	unsigned ntrips;
	uint64_t steps, instructions;   /* recorded steps; instructions, each REP string instruction once */
	uint64_t failed_checks, exits_at_start, exits, unvalidated;
	double trip_started, seconds;
	enum trace_end ended;
	bool dropped;                 /* --trace-drop-step did its work */
	struct idt_targets idt;
	struct step_check check;
	struct lost_step lost;
	struct stack_use stacks[EBX_MAX_STACKS];
	bool unregistered_seen;
	uint64_t unregistered_lowest;
	struct transitions pgd, stack;
	/* the bare single-step loop over the following round trips of the same syscall */
	bool bare_active;
	unsigned bare_done, bare_lost;
	uint64_t bare_steps, bare_window_steps, bare_min, bare_max;
	double bare_started, bare_seconds;
};

bool trace_path_parse(const char *text, enum trace_path *out, unsigned *occurrence)
{
	static const struct { const char *name; enum trace_path path; } paths[] = {
		{ "syscall", TRACE_PATH_SYSCALL },
		{ "null-syscall", TRACE_PATH_NULL_SYSCALL },
		{ "user-fault", TRACE_PATH_USER_FAULT },
	};
	size_t name_len = strcspn(text, ":");
	size_t i = 0;
	while (i < sizeof(paths) / sizeof(paths[0]) &&
	       (strlen(paths[i].name) != name_len || strncmp(text, paths[i].name, name_len) != 0))
		i++;
	if (i == sizeof(paths) / sizeof(paths[0]))
		return false;
	*out = paths[i].path;
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
	switch (p) {
	case TRACE_PATH_NULL_SYSCALL: return "null-syscall";
	case TRACE_PATH_USER_FAULT: return "user-fault";
	default: return "syscall";
	}
}

struct trace *trace_open(const struct trace_config *cfg, char *err, size_t errlen)
{
	struct trace *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->cfg = *cfg;
	if (t->cfg.trips == 0)
		t->cfg.trips = 1;
	if (t->cfg.max_steps == 0)
		t->cfg.max_steps = TRACE_DEFAULT_MAX_STEPS;
	t->f = fopen(cfg->file, "we");
	if (!t->f) {
		snprintf(err, errlen, "--trace %s: %s", cfg->file, strerror(errno));
		free(t);
		return NULL;
	}
	t->phase = PHASE_WAITING;
	t->ended = TRACE_END_NO_BOUNDARY;
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

static void note_step(struct trace *t, const struct layout *l, const struct trace_step_out *o, bool repeat,
		      bool past_gate)
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
	if (!repeat) {
		t->trips[t->ntrips - 1].instructions += 1 + past_gate;
		t->instructions += 1 + past_gate;
	}
	t->steps++;
}

static void stepping(struct vcpu_state *v, bool on)
{
	debugctl_want_step(&v->dbg, DBG_OWNER_TRACE, on);
}

static bool is_tracer(const struct trace *t, const struct vcpu_state *v)
{
	return t->vcpu == v->vcpu.index;
}

/* The syscall number at a boundary: RAX, as SYSCALL and a UKL call leave it. */
static uint64_t syscall_number(struct vcpu_state *v)
{
	struct kvm_regs *regs = kvm_regs(&v->vcpu);
	return regs ? regs->rax : UINT64_MAX;
}

/* ---- the traced path ----------------------------------------------------------------------------- */

static void end_trace(struct trace *t, struct vcpu_state *v, enum trace_end why)
{
	t->ended = why;
	if (t->phase == PHASE_TRACING)
		t->seconds += session_now() - t->trip_started;
	t->exits = atomic_load(&v->s->exits) - t->exits_at_start + 1;
	stepping(v, false);
	bool syscalls = t->cfg.path != TRACE_PATH_USER_FAULT;
	t->phase = syscalls && t->cfg.bare_round_trips > 0 ? PHASE_BARE : PHASE_DONE;
}

/* A round trip returned to ring 3: the next one, or the end of the trace. */
static void end_trip(struct trace *t, struct vcpu_state *v)
{
	t->trips[t->ntrips - 1].ended = TRACE_END_RETURNED;
	if (t->ntrips >= t->cfg.trips) {
		end_trace(t, v, TRACE_END_RETURNED);
		return;
	}
	t->seconds += session_now() - t->trip_started;
	stepping(v, false);
	t->phase = PHASE_BETWEEN;
}

static void lose_step(struct trace *t, struct vcpu_state *v, uint64_t rip)
{
	struct lost_step *l = &t->lost;
	l->set = true;
	l->index = t->steps;
	l->after = t->check.after;
	snprintf(l->after_insn, sizeof(l->after_insn), "%s", t->check.mnemonic);
	l->nexpected = t->check.nnext;
	memcpy(l->expected, t->check.next, sizeof(l->expected));
	l->got = rip;
	t->trips[t->ntrips - 1].ended = TRACE_END_LOST_STEP;
	end_trace(t, v, TRACE_END_LOST_STEP);
}

static void record(struct trace *t, struct vcpu_state *v, const struct trace_step_in *in)
{
	struct trace_step_out o;
	if (!trace_record_step(t->f, v, in, &o)) {
		end_trace(t, v, TRACE_END_STATE_UNREADABLE);
		return;
	}
	note_step(t, &v->s->layout, &o, in->repeat, in->past_gate);
	step_check_expect(&t->check, &o, &v->s->vm.mem, v->s->lstar ? v->s->lstar : v->s->layout.raw.syscall_entry);
	/* The return to ring 3 is the last instruction a step is reported for:
	 * SYSRET reloads RFLAGS.TF from R11 (and IRET from its frame). */
	if (o.returns_to_user)
		end_trip(t, v);
	else if (t->steps >= t->cfg.max_steps)
		end_trace(t, v, TRACE_END_STEP_LIMIT);
}

static bool path_starts_here(const struct trace *t, struct vcpu_state *v, enum trace_path boundary)
{
	if (t->cfg.path == TRACE_PATH_NULL_SYSCALL)
		return boundary == TRACE_PATH_SYSCALL && syscall_number(v) == 0;
	return t->cfg.path == boundary;
}

static bool claim(struct trace *t, struct vcpu_state *v, enum trace_path boundary)
{
	if (t->phase != PHASE_WAITING || !path_starts_here(t, v, boundary) || !v->s->layout.valid)
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

static void start_trip(struct trace *t, struct vcpu_state *v, const char *event, int vector)
{
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	if (t->ntrips == 0) {
		t->exits_at_start = atomic_load(&v->s->exits);
		if (sr)
			idt_targets_read(&t->idt, &v->s->vm.mem, sr->cr3, sr->idt.base, sr->idt.limit);
	}
	struct trip *trip = &t->trips[t->ntrips++];
	trip->syscall = syscall_number(v);
	trip->first = t->steps;
	trip->ended = TRACE_END_RUN_ENDED;
	t->phase = PHASE_TRACING;
	t->trip_started = session_now();
	memset(&t->check, 0, sizeof(t->check));
	stepping(v, true);
	/* A ring-0 application's call changes no privilege: nothing of user mode to judge. */
	bool from_user = v->boundary_via != BOUNDARY_BY_APP_CALL || vector >= 0;
	struct trace_step_in in = { .index = t->steps, .trip = t->ntrips - 1, .boundary = from_user, .event = event,
				    .vector = vector };
	record(t, v, &in);
}

/* A step arrived at rip: check it against what the last instruction allows. */
static void traced_step(struct trace *t, struct vcpu_state *v, uint64_t rip)
{
	if (t->cfg.drop_step && t->steps == t->cfg.drop_step && !t->dropped) {
		t->dropped = true; /* the checker's self-test: as if the backend had lost this step */
		return;
	}
	struct trace_step_in in = { .index = t->steps, .trip = t->ntrips - 1, .vector = NO_VECTOR,
				    .repeat = v->step_repeats };
	if (in.repeat)
		in.event = "repeat";
	if (!step_check_allows(&t->check, rip)) {
		int vector = idt_targets_vector(&t->idt, rip);
		if (vector < 0 && (vector = idt_targets_vector_past_gate(&t->idt, rip)) >= 0)
			in.past_gate = true;
		if (vector >= 0) {
			in.vector = vector;
			in.event = v->delivered_vector == vector ? "injected"
				   : vector < X86_EXCEPTIONS  ? "exception"
							      : "interrupt";
		} else if (v->moved_by_vmm) {
			in.event = "hypercall";
		} else if (t->check.known) {
			lose_step(t, v, rip);
			return;
		} else {
			t->unvalidated++;
		}
	}
	v->delivered_vector = NO_VECTOR;
	record(t, v, &in);
}

/* ---- the bare loop --------------------------------------------------------------------------- */

static void bare_begin(struct trace *t, struct vcpu_state *v)
{
	if (t->bare_active)
		t->bare_lost++; /* the previous window never reached its return */
	t->bare_active = syscall_number(v) == t->trips[0].syscall;
	if (!t->bare_active)
		return;
	t->bare_window_steps = 1; /* the boundary instruction, as in the traced path */
	t->bare_started = session_now();
	stepping(v, true);
}

static void bare_end(struct trace *t, struct vcpu_state *v)
{
	t->bare_seconds += session_now() - t->bare_started;
	t->bare_steps += t->bare_window_steps;
	if (t->bare_done == 0 || t->bare_window_steps < t->bare_min)
		t->bare_min = t->bare_window_steps;
	if (t->bare_window_steps > t->bare_max)
		t->bare_max = t->bare_window_steps;
	t->bare_active = false;
	stepping(v, false);
	if (++t->bare_done >= t->cfg.bare_round_trips)
		t->phase = PHASE_DONE;
}

/* ---- hooks ------------------------------------------------------------------------------------ */

static enum exit_decision on_syscall_boundary(void *ctx, struct vcpu_state *v)
{
	struct trace *t = ctx;
	int phase = t->phase;
	if (phase == PHASE_WAITING) {
		if (claim(t, v, TRACE_PATH_SYSCALL))
			start_trip(t, v, "syscall-boundary", NO_VECTOR);
	} else if (!is_tracer(t, v)) {
		return EXIT_CONTINUE;
	} else if (phase == PHASE_TRACING) {
		/* Stepping was lost before the return: never report a path we did not see whole. */
		struct kvm_regs *regs = kvm_regs(&v->vcpu);
		lose_step(t, v, regs ? regs->rip : 0);
	} else if (phase == PHASE_BETWEEN) {
		if (path_starts_here(t, v, TRACE_PATH_SYSCALL))
			start_trip(t, v, "syscall-boundary", NO_VECTOR);
	} else if (phase == PHASE_BARE) {
		bare_begin(t, v);
	}
	return EXIT_CONTINUE;
}

static enum exit_decision on_user_fault(void *ctx, struct vcpu_state *v)
{
	struct trace *t = ctx;
	if (t->phase != PHASE_WAITING && !(t->phase == PHASE_BETWEEN && is_tracer(t, v)))
		return EXIT_CONTINUE;
	struct kvm_regs *regs = kvm_regs(&v->vcpu);
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	uint64_t frame_cs = 0;
	/* #PF pushes an error code: the frame's CS sits two slots above RSP. */
	if (!regs || !sr || !gmem_read_virt(&v->s->vm.mem, sr->cr3, regs->rsp + 16, &frame_cs, sizeof(frame_cs)) ||
	    (frame_cs & 3) != 3)
		return EXIT_CONTINUE;
	if (t->phase == PHASE_BETWEEN ? t->cfg.path == TRACE_PATH_USER_FAULT : claim(t, v, TRACE_PATH_USER_FAULT))
		start_trip(t, v, "user-fault", VEC_PF);
	return EXIT_CONTINUE;
}

static enum exit_decision on_step(void *ctx, struct vcpu_state *v, uint64_t rip)
{
	struct trace *t = ctx;
	if (!is_tracer(t, v))
		return EXIT_CONTINUE;
	int phase = t->phase;
	if (phase == PHASE_BARE && t->bare_active) {
		t->bare_window_steps += !v->step_repeats;
		return EXIT_CONTINUE;
	}
	if (phase != PHASE_TRACING)
		return EXIT_CONTINUE;
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	if (!sr)
		end_trace(t, v, TRACE_END_STATE_UNREADABLE);
	else if ((sr->cs.dpl & 3) == 3)
		end_trace(t, v, TRACE_END_IN_USER);
	else
		traced_step(t, v, rip);
	return EXIT_CONTINUE;
}

/* The return a step or a hypercall made: sysretq, a UKL `ret`, the iret hypercall. */
static enum exit_decision on_syscall_return(void *ctx, struct vcpu_state *v)
{
	struct trace *t = ctx;
	if (!is_tracer(t, v))
		return EXIT_CONTINUE;
	if (t->phase == PHASE_TRACING)
		end_trip(t, v);
	else if (t->phase == PHASE_BARE && t->bare_active)
		bare_end(t, v);
	return EXIT_CONTINUE;
}

/* A trace asked for and not recorded whole is a check that did not run. */
static void on_finish(void *ctx, struct session *s)
{
	struct trace *t = ctx;
	enum trace_end ended = t->phase == PHASE_TRACING ? TRACE_END_RUN_ENDED : t->ended;
	unsigned whole = 0;
	for (unsigned i = 0; i < t->ntrips; i++)
		whole += t->trips[i].ended == TRACE_END_RETURNED;
	char what[160];
	snprintf(what, sizeof(what), "%s round trips traced whole, from the boundary to the return (ended: %s)",
		 trace_path_name(t->cfg.path), trace_end_name(ended));
	result_coverage_add(s->r, "trace", t->cfg.trips, whole, what);
}

const struct exit_observer trace_observer = {
	.name = "trace",
	.owner = DBG_OWNER_TRACE,
	.on_syscall_boundary = on_syscall_boundary,
	.on_syscall_return = on_syscall_return,
	.on_user_fault = on_user_fault,
	.on_step = on_step,
	.on_finish = on_finish,
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

static json_object *trips_json(const struct trace *t)
{
	json_object *arr = json_object_new_array();
	for (unsigned i = 0; i < t->ntrips; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "syscall", json_object_new_uint64(t->trips[i].syscall));
		json_object_object_add(o, "first", json_object_new_uint64(t->trips[i].first));
		json_object_object_add(o, "instructions", json_object_new_uint64(t->trips[i].instructions));
		json_object_object_add(o, "ended", json_object_new_string(trace_end_name(t->trips[i].ended)));
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *describe(struct session *s, uint64_t rip)
{
	char sym[96];
	if (s->syms)
		symtab_describe(s->syms, rip, sym, sizeof(sym));
	else
		snprintf(sym, sizeof(sym), "0x%llx", (unsigned long long)rip);
	return json_object_new_string(sym);
}

static json_object *lost_json(const struct lost_step *l, struct session *s)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "i", json_object_new_uint64(l->index));
	json_object_object_add(o, "after", hex(l->after));
	json_object_object_add(o, "after_sym", describe(s, l->after));
	json_object_object_add(o, "after_insn", json_object_new_string(l->after_insn));
	json_object *exp = json_object_new_array();
	for (unsigned i = 0; i < l->nexpected; i++)
		json_object_array_add(exp, hex(l->expected[i]));
	json_object_object_add(o, "expected", exp);
	json_object_object_add(o, "got", hex(l->got));
	json_object_object_add(o, "got_sym", describe(s, l->got));
	return o;
}

static double rate(uint64_t steps, double seconds)
{
	return seconds > 0 ? (double)steps / seconds : 0.0;
}

static json_object *bare_json(const struct trace *t)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "syscall", t->ntrips ? json_object_new_uint64(t->trips[0].syscall) : NULL);
	json_object_object_add(o, "round_trips", json_object_new_int((int)t->bare_done));
	json_object_object_add(o, "lost_round_trips", json_object_new_int((int)t->bare_lost));
	json_object_object_add(o, "instructions", json_object_new_uint64(t->bare_steps));
	json_object_object_add(o, "min", json_object_new_uint64(t->bare_min));
	json_object_object_add(o, "max", json_object_new_uint64(t->bare_max));
	json_object_object_add(o, "seconds", json_object_new_double(t->bare_seconds));
	json_object_object_add(o, "steps_per_second", json_object_new_double(rate(t->bare_steps, t->bare_seconds)));
	return o;
}

static const char *ending_note(const struct trace *t)
{
	return trace_ends[t->ended].note;
}

void trace_finish(struct trace *t, struct session *s)
{
	if (!t)
		return;
	if (t->phase == PHASE_TRACING)
		t->ended = TRACE_END_RUN_ENDED;
	size_t nrules = 0;
	rules_table(&nrules);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "summary", json_object_new_boolean(true));
	json_object_object_add(o, "path", json_object_new_string(trace_path_name(t->cfg.path)));
	json_object_object_add(o, "backend", json_object_new_string(backend_name(s->backend)));
	json_object_object_add(o, "occurrence", json_object_new_int((int)t->cfg.occurrence));
	json_object_object_add(o, "vcpu", json_object_new_int((int)t->vcpu));
	json_object_object_add(o, "instructions", json_object_new_uint64(t->instructions));
	json_object_object_add(o, "steps", json_object_new_uint64(t->steps));
	json_object_object_add(o, "trips", trips_json(t));
	json_object_object_add(o, "exits", json_object_new_uint64(t->exits));
	json_object_object_add(o, "rules_per_step", json_object_new_uint64(nrules));
	json_object_object_add(o, "checks", json_object_new_uint64(t->steps * nrules));
	json_object_object_add(o, "failed_checks", json_object_new_uint64(t->failed_checks));
	json_object_object_add(o, "unvalidated", json_object_new_uint64(t->unvalidated));
	json_object_object_add(o, "ended", json_object_new_string(trace_end_name(t->ended)));
	if (t->lost.set)
		json_object_object_add(o, "lost_step", lost_json(&t->lost, s));
	if (t->dropped)
		json_object_object_add(o, "dropped_step", json_object_new_uint64(t->cfg.drop_step));
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
		session_say(s, "--trace %s: write failed: %s", t->cfg.file, strerror(errno));
	free(t);
}
