/* SPDX-License-Identifier: MIT */
/*
 * The exit loop fed with scripted exits (tests/fixtures/fake_kvm.h), no
 * /dev/kvm: port dispatch, the decisions that end a run, how debug exits are
 * explained (the VMM's step, the VMM's breakpoint, the guest's own #DB handed
 * back), owners' stepping, and an observer plugged in from outside the loop.
 */
#include <check.h>
#include "check_run.h"
#include <string.h>
#include <sys/mman.h>

#include "entrybox/abi.h"
#include "fixtures/fake_kvm.h"
#include "fixtures/layout_fixture.h"
#include "run/measure.h"
#include "run/ports.h"
#include "run/session.h"

#define DR6_IDLE   0xffff0ff0ull
#define DR6_BS     (1ull << 14)
#define DR6_B(n)   (1ull << (n))
#define USER_RIP   0x401000ull
#define EVENT_GPA  0x100000u
#define STEP_CTL   (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP)

/* ---- an observer from outside the loop: records what it is told ---- */
struct recorder {
	unsigned boundaries, returns, steps, exits, arms, runs, violations, ends, injected;
	char first_violation[32];
	enum run_end end_seen;
	uint64_t step_rip[16];
	bool step_from_exit;      /* asks for stepping at the first exit */
	uint64_t bp_addr;         /* arms a breakpoint there with the layout, 0 none */
	unsigned breakpoints;
	uint64_t bp_rip;
	unsigned end_at_step;     /* ends the run at this step (1-based), 0 never */
};

static enum exit_decision rec_arm(void *ctx, struct vcpu_state *v)
{
	struct recorder *r = ctx;
	r->arms++;
	if (r->bp_addr && debugctl_bp_add(&v->dbg, DBG_OWNER_DEBUGGER, r->bp_addr, 0) < 0)
		return vcpu_end(v, RUN_END_INTERNAL_ERROR, "recorder: no slot");
	return EXIT_CONTINUE;
}

static enum exit_decision rec_breakpoint(void *ctx, struct vcpu_state *v, int slot)
{
	struct recorder *r = ctx;
	r->breakpoints++;
	r->bp_rip = debugctl_bp(&v->dbg, slot)->addr;
	debugctl_bp_remove(&v->dbg, slot);
	return EXIT_REENTER;
}

static enum exit_decision rec_boundary(void *ctx, struct vcpu_state *v)
{
	(void)v;
	((struct recorder *)ctx)->boundaries++;
	return EXIT_CONTINUE;
}

static enum exit_decision rec_return(void *ctx, struct vcpu_state *v)
{
	(void)v;
	((struct recorder *)ctx)->returns++;
	return EXIT_CONTINUE;
}

static enum exit_decision rec_step(void *ctx, struct vcpu_state *v, uint64_t rip)
{
	struct recorder *r = ctx;
	if (r->steps < 16)
		r->step_rip[r->steps] = rip;
	r->steps++;
	if (r->end_at_step && r->steps == r->end_at_step)
		return vcpu_end(v, RUN_END_INTERNAL_ERROR, "recorder stops at step %u", r->steps);
	return EXIT_CONTINUE;
}

static enum exit_decision rec_exit(void *ctx, struct vcpu_state *v)
{
	struct recorder *r = ctx;
	if (r->exits++ == 0 && r->step_from_exit)
		debugctl_want_step(&v->dbg, DBG_OWNER_DEBUGGER, true);
	return EXIT_CONTINUE;
}

static enum exit_decision rec_run(void *ctx, struct vcpu_state *v)
{
	(void)v;
	((struct recorder *)ctx)->runs++;
	return EXIT_CONTINUE;
}

static void rec_violation(void *ctx, struct vcpu_state *v, const struct violation_report *rep)
{
	struct recorder *r = ctx;
	(void)v;
	if (r->violations++ == 0)
		snprintf(r->first_violation, sizeof(r->first_violation), "%s", rep->rule);
}

static enum exit_decision rec_injected(void *ctx, struct vcpu_state *v, const char *what)
{
	(void)v;
	(void)what;
	((struct recorder *)ctx)->injected++;
	return EXIT_CONTINUE;
}

static void rec_end(void *ctx, struct vcpu_state *v)
{
	struct recorder *r = ctx;
	r->ends++;
	r->end_seen = v->ending.end;
}

static const struct exit_observer recorder_observer = {
	.name = "recorder",
	.owner = DBG_OWNER_DEBUGGER,
	.on_arm = rec_arm,
	.on_syscall_boundary = rec_boundary,
	.on_syscall_return = rec_return,
	.on_step = rec_step,
	.on_breakpoint = rec_breakpoint,
	.on_exit = rec_exit,
	.on_run = rec_run,
	.on_violation = rec_violation,
	.on_injected = rec_injected,
	.on_end = rec_end,
};

/* ---- a session over the fake ---- */
static struct fake_kvm fk;
static struct vm_config cfg;
static struct run_result result;
static struct session *s;
static struct recorder rec;
static uint8_t *ram;
static char lines[8][CONSOLE_LINE_MAX];
static unsigned nlines;

static void on_line(void *ctx, const char *line)
{
	(void)ctx;
	if (nlines < 8)
		snprintf(lines[nlines++], CONSOLE_LINE_MAX, "%s", line);
}

static void setup(void)
{
	char err[100];
	ram = mmap(NULL, FX_RAM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert(ram != MAP_FAILED);
	fake_kvm_init(&fk);
	memset(&cfg, 0, sizeof(cfg));
	cfg.no_confine = true;
	memset(&result, 0, sizeof(result));
	memset(&rec, 0, sizeof(rec));
	nlines = 0;
	/* The fixture layout describes two CPUs; only vCPU 0 runs here. */
	s = session_create(&cfg, &result, FX_NCPUS);
	ck_assert_ptr_nonnull(s);
	kvm_open_vm_on(&s->vm, &fake_kvm_ops, &fk, ram, FX_RAM, FAKE_RUN_SIZE);
	for (unsigned i = 0; i < FX_NCPUS; i++)
		ck_assert_int_eq(kvm_create_vcpu(&s->vm, &s->vcpus[i].vcpu, i, err, sizeof(err)), 0);
	s->backend = BACKEND_SVM;
	serial_init(&s->serial, NULL, on_line, NULL);
	ck_assert(measure_setup(s));
	ck_assert(session_observe(s, &recorder_observer, &rec));
}

static void teardown(void)
{
	measure_teardown(s);
	session_destroy(s);
	munmap(ram, FX_RAM);
}

static struct vcpu_state *run_loop(void)
{
	struct vcpu_state *v = &s->vcpus[0];
	vcpu_loop_run(v);
	return v;
}

/* The guest publishes the fixture layout (syscall entry and return at FX_*). */
static void script_layout(void)
{
	struct {
		struct ebx_event hdr;
		struct ebx_layout layout;
	} ev;
	memset(&ev, 0, sizeof(ev));
	ev.hdr = (struct ebx_event){ .magic = EBX_EVENT_MAGIC, .kind = EBX_EV_LAYOUT, .length = sizeof(ev.layout) };
	fx_build(&ev.layout, true);
	memcpy(ram + EVENT_GPA, &ev, sizeof(ev));
	fake_kvm_add_out(&fk, EBX_PORT_CHECKPOINT, 4, EVENT_GPA)->rip = FX_KERNEL_RIP;
}

static void assert_guest_exit(int code)
{
	ck_assert_msg(result.end == RUN_END_GUEST_EXIT, "end %d: %s", result.end, result.end_reason);
	ck_assert_int_eq(result.guest_exit_code, code);
}

/* ---- ports ---- */

START_TEST(ports_dispatch_through_the_table)
{
	for (const char *c = "hi\n"; *c; c++)
		fake_kvm_add_out(&fk, EBX_PORT_COM1, 1, (uint8_t)*c);
	struct fake_exit *in = fake_kvm_add(&fk, KVM_EXIT_IO, 0);
	in->port = 0x60; /* claimed by nothing: reads as a floating bus */
	in->size = 2;
	fake_kvm_add_out(&fk, 0x80, 1, 0x12); /* a write to nothing is dropped */
	fake_kvm_add_out(&fk, EBX_PORT_DEBUG_EXIT, 1, 3);
	run_loop();
	assert_guest_exit(3);
	ck_assert_str_eq(result.end_reason, "guest exited with code 3");
	ck_assert_uint_eq(nlines, 1);
	ck_assert_str_eq(lines[0], "hi");
	ck_assert_uint_eq(s->vcpus[0].n.exits_io, 6);
	ck_assert_uint_eq(fk.runs, 6);
}
END_TEST

START_TEST(port_table_claims_only_what_it_handles)
{
	ck_assert_str_eq(ports_lookup(EBX_PORT_COM1 + 5, false, 1, 1)->name, "com1");
	ck_assert_str_eq(ports_lookup(EBX_PORT_CHECKPOINT, true, 4, 1)->name, "checkpoint");
	ck_assert_ptr_null(ports_lookup(EBX_PORT_CHECKPOINT, true, 1, 1));  /* a byte is no address */
	ck_assert_ptr_null(ports_lookup(EBX_PORT_CHECKPOINT, false, 4, 1)); /* nothing to read */
	ck_assert_ptr_null(ports_lookup(EBX_PORT_HYPERCALL, true, 4, 2));   /* no string hypercalls */
	ck_assert_ptr_nonnull(ports_lookup(EBX_PORT_HYPERCALL, true, 4, 1));
	ck_assert_ptr_null(ports_lookup(0x61, false, 1, 1));
	unsigned n = 0;
	const struct port_handler *t = ports_table(&n);
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++)
			ck_assert(t[i].first + t[i].count <= t[j].first || t[j].first + t[j].count <= t[i].first);
}
END_TEST

/* ---- decisions ---- */

START_TEST(a_hostile_record_ends_the_run_at_once)
{
	fake_kvm_add_out(&fk, EBX_PORT_COM1, 1, 'x');
	fake_kvm_add_out(&fk, EBX_PORT_CHECKPOINT, 4, 0xfffffff0u);
	fake_kvm_add_out(&fk, EBX_PORT_DEBUG_EXIT, 1, 0);
	run_loop();
	ck_assert_int_eq(result.end, RUN_END_HOSTILE);
	ck_assert_ptr_nonnull(strstr(result.end_reason, "outside guest RAM"));
	/* Nothing ran after the exit that decided the end. */
	ck_assert_uint_eq(fk.runs, 2);
	ck_assert_int_eq(result.guest_exit_code, 0);
}
END_TEST

START_TEST(an_observer_ends_the_run_with_its_reason)
{
	rec.step_from_exit = true;
	rec.end_at_step = 2;
	fake_kvm_add_out(&fk, EBX_PORT_COM1, 1, 'x');
	fake_kvm_add_debug(&fk, 0x1001, DR6_IDLE | DR6_BS);
	fake_kvm_add_debug(&fk, 0x1002, DR6_IDLE | DR6_BS);
	fake_kvm_add_debug(&fk, 0x1003, DR6_IDLE | DR6_BS);
	run_loop();
	ck_assert_int_eq(result.end, RUN_END_INTERNAL_ERROR);
	ck_assert_str_eq(result.end_reason, "recorder stops at step 2");
	ck_assert_uint_eq(fk.runs, 3);
}
END_TEST

START_TEST(the_script_end_is_a_guest_exit)
{
	run_loop();
	assert_guest_exit(FAKE_SCRIPT_END_CODE);
}
END_TEST

START_TEST(unknown_exits_and_floods_end_the_run)
{
	fake_kvm_add(&fk, KVM_EXIT_HYPERCALL, 0);
	run_loop();
	ck_assert_int_eq(result.end, RUN_END_INTERNAL_ERROR);
	ck_assert_ptr_nonnull(strstr(result.end_reason, "unexpected KVM exit reason"));
}
END_TEST

/* ---- debug exits ---- */

START_TEST(the_guests_own_debug_trap_goes_back_to_it)
{
	/* The guest single-steps itself with TF while the VMM steps nothing. */
	fake_kvm_add_debug(&fk, USER_RIP + 1, DR6_IDLE | DR6_BS)->cpl = 3;
	fake_kvm_add_out(&fk, EBX_PORT_DEBUG_EXIT, 1, 0);
	struct vcpu_state *v = run_loop();
	assert_guest_exit(0);
	ck_assert_uint_eq(v->n.guest_debug, 1);
	ck_assert_uint_eq(fk.nqueued, 1);
	const struct kvm_vcpu_events *ev = &fk.queued[0];
	ck_assert_uint_eq(ev->exception.nr, 1);
	ck_assert_uint_eq(ev->exception.pending, 1);
	ck_assert_uint_eq(ev->exception.injected, 0);
	ck_assert_uint_eq(ev->exception_has_payload, 1);
	ck_assert_uint_eq(ev->exception_payload, DR6_BS);
	ck_assert(ev->flags & KVM_VCPUEVENT_VALID_PAYLOAD);
	ck_assert_uint_eq(rec.steps, 0);
}
END_TEST

START_TEST(a_step_the_vmm_asked_for_is_its_own)
{
	rec.step_from_exit = true;
	fake_kvm_add_out(&fk, EBX_PORT_COM1, 1, 'x');
	fake_kvm_add_debug(&fk, 0x1003, DR6_IDLE | DR6_BS);
	fake_kvm_add_debug(&fk, 0x1007, DR6_IDLE | DR6_BS);
	fake_kvm_add_out(&fk, EBX_PORT_DEBUG_EXIT, 1, 0);
	struct vcpu_state *v = run_loop();
	assert_guest_exit(0);
	ck_assert_uint_eq(rec.steps, 2);
	ck_assert_uint_eq(rec.step_rip[0], 0x1003);
	ck_assert_uint_eq(rec.step_rip[1], 0x1007);
	ck_assert_uint_eq(v->n.guest_debug, 0);
	ck_assert_uint_eq(fk.nqueued, 0);
	ck_assert_uint_eq(fk.debug[fk.ndebug - 1].control, STEP_CTL);
}
END_TEST

START_TEST(syscall_boundary_breakpoints_step_over_and_park)
{
	script_layout();
	/* SYSCALL from ring 3 stops on the entry breakpoint (slot 0), ... */
	fake_kvm_add_debug(&fk, FX_SYSCALL_ENTRY, DR6_IDLE | DR6_B(0));
	/* ... which is passed by one step with every breakpoint off, ... */
	fake_kvm_add_debug(&fk, FX_SYSCALL_ENTRY + 3, DR6_IDLE | DR6_BS);
	/* ... then the sysretq breakpoint (slot 1) fires and is parked. */
	fake_kvm_add_debug(&fk, FX_SYSCALL_RETURN, DR6_IDLE | DR6_B(1));
	fake_kvm_add_out(&fk, EBX_PORT_DEBUG_EXIT, 1, 0)->rip = USER_RIP;
	struct vcpu_state *v = run_loop();
	assert_guest_exit(0);
	ck_assert(s->layout.valid);
	ck_assert_uint_eq(rec.arms, 1);
	ck_assert_uint_eq(rec.boundaries, 1);
	ck_assert_uint_eq(rec.returns, 1);
	ck_assert_uint_eq(rec.steps, 0); /* the step-over is nobody's step */
	ck_assert_uint_eq(v->n.syscall_boundaries, 1);
	ck_assert_uint_eq(v->n.guest_debug, 0);
	/* What KVM was given before each run after the layout. */
	const struct fake_debug_call *armed = NULL, *over = NULL, *parked = NULL;
	for (unsigned i = 0; i < fk.ndebug; i++) {
		if (fk.debug[i].rip == FX_KERNEL_RIP)
			armed = &fk.debug[i];
		else if (fk.debug[i].rip == FX_SYSCALL_ENTRY)
			over = &fk.debug[i];
		else if (fk.debug[i].rip == FX_SYSCALL_RETURN)
			parked = &fk.debug[i];
	}
	ck_assert_ptr_nonnull(armed);
	ck_assert_uint_eq(armed->addr[0], FX_SYSCALL_ENTRY);
	ck_assert_uint_eq(armed->addr[1], FX_SYSCALL_RETURN);
	ck_assert_uint_eq(armed->dr7 & 0xf, 0x5);
	ck_assert_ptr_nonnull(over);
	/* Passing the entry breakpoint: a step with that breakpoint (slot 0) off. */
	ck_assert_uint_eq(over->control & STEP_CTL, STEP_CTL);
	ck_assert_uint_eq(over->dr7 & 0x3, 0);
	ck_assert_ptr_nonnull(parked);
	ck_assert_uint_eq(parked->dr7 & 0xf, 0x1);
	ck_assert_uint_eq(parked->control & KVM_GUESTDBG_SINGLESTEP, 0);
	ck_assert_uint_gt(v->n.checks, 0);
}
END_TEST

START_TEST(a_step_over_that_lands_on_a_breakpoint_stops_there)
{
	/* As --inject nmi@entry_SYSCALL_64+3 where SYSCALL stops on LSTAR: the
	 * step over the entry breakpoint ends on the next one's address. */
	rec.bp_addr = FX_SYSCALL_ENTRY + 3;
	script_layout();
	fake_kvm_add_debug(&fk, FX_SYSCALL_ENTRY, DR6_IDLE | DR6_B(0));
	fake_kvm_add_debug(&fk, FX_SYSCALL_ENTRY + 3, DR6_IDLE | DR6_BS);
	fake_kvm_add_out(&fk, EBX_PORT_DEBUG_EXIT, 1, 0)->rip = USER_RIP;
	run_loop();
	assert_guest_exit(0);
	ck_assert_uint_eq(rec.breakpoints, 1);
	ck_assert_uint_eq(rec.bp_rip, FX_SYSCALL_ENTRY + 3);
	ck_assert_uint_eq(rec.steps, 0);
	/* Its handler removed it and re-entered: nothing left to step over. */
	ck_assert_uint_eq(fake_kvm_last_debug(&fk)->control & KVM_GUESTDBG_SINGLESTEP, 0);
}
END_TEST

START_TEST(measurement_counts_the_steps_it_asked_for)
{
	script_layout();
	struct {
		struct ebx_event hdr;
		struct ebx_ev_measure m;
	} begin = { { EBX_EVENT_MAGIC, EBX_EV_MEASURE_BEGIN, 0, sizeof(struct ebx_ev_measure) }, { 0, "null" } },
	  end = { { EBX_EVENT_MAGIC, EBX_EV_MEASURE_END, 0, sizeof(struct ebx_ev_measure) }, { 1, "null" } };
	memcpy(ram + EVENT_GPA + 0x10000, &begin, sizeof(begin));
	memcpy(ram + EVENT_GPA + 0x20000, &end, sizeof(end));
	fake_kvm_add_out(&fk, EBX_PORT_CHECKPOINT, 4, EVENT_GPA + 0x10000)->rip = FX_KERNEL_RIP;
	/* The return half of the marking syscall, stepped: two steps, the sysretq. */
	fake_kvm_add_debug(&fk, FX_KERNEL_RIP + 2, DR6_IDLE | DR6_BS);
	fake_kvm_add_debug(&fk, FX_SYSCALL_RETURN, DR6_IDLE | DR6_BS);
	/* One round trip: SYSCALL, 3 kernel instructions, SYSRET = 5. */
	fake_kvm_add_debug(&fk, FX_SYSCALL_ENTRY, DR6_IDLE | DR6_B(0))->rax = 0;
	fake_kvm_add_debug(&fk, FX_SYSCALL_ENTRY + 3, DR6_IDLE | DR6_BS);
	fake_kvm_add_debug(&fk, FX_SYSCALL_ENTRY + 6, DR6_IDLE | DR6_BS);
	fake_kvm_add_debug(&fk, FX_SYSCALL_RETURN, DR6_IDLE | DR6_BS);
	fake_kvm_add_out(&fk, EBX_PORT_CHECKPOINT, 4, EVENT_GPA + 0x20000)->rip = FX_KERNEL_RIP;
	fake_kvm_add_out(&fk, EBX_PORT_DEBUG_EXIT, 1, 0);
	run_loop();
	assert_guest_exit(0);
	ck_assert_str_eq(result.measure_name, "null");
	ck_assert_uint_eq(result.measure_trips, 1);
	ck_assert_uint_eq(result.measure_trip_median, 5);
	ck_assert_uint_eq(result.measure_iterations, 1);
	/* Before the trip: the begin checkpoint's OUT, which kvm_amd finishes
	 * in the first step after its exit, the rest of the return half and the
	 * SYSRET (2 steps + 1); 5 in the trip; the end checkpoint's OUT closes
	 * the region.  (kvm_pvm retires the OUT before its exit: it counts there,
	 * vcpu_port_io_retired_at_exit.) */
	ck_assert_uint_eq(result.measure_instructions, 8);
	ck_assert_uint_eq(rec.steps, 0); /* the recorder asked for none */
}
END_TEST

START_TEST(a_rewound_vcpu_handles_its_boundary_again)
{
	script_layout();
	fake_kvm_add_debug(&fk, FX_SYSCALL_ENTRY, DR6_IDLE | DR6_B(0));
	fake_kvm_add_out(&fk, EBX_PORT_DEBUG_EXIT, 1, 0)->rip = USER_RIP;
	struct vcpu_state *v = run_loop();
	ck_assert_uint_eq(rec.boundaries, 1);
	struct vcpu_rewind saved;
	vcpu_save_rewind(v, &saved);
	ck_assert_int_eq(saved.via, BOUNDARY_BY_BREAKPOINT);
	/* As after a VM snapshot restore: the vCPU stands on the entry again. */
	atomic_store(&s->done, false);
	fk.regs.rip = FX_SYSCALL_ENTRY;
	fk.next = fk.nexits;
	fake_kvm_add_debug(&fk, FX_SYSCALL_ENTRY + 3, DR6_IDLE | DR6_BS);
	fake_kvm_add_out(&fk, EBX_PORT_DEBUG_EXIT, 1, 0)->rip = USER_RIP;
	unsigned before = fk.ndebug;
	vcpu_rewind(v, &saved);
	run_loop();
	ck_assert_uint_eq(rec.arms, 2);
	ck_assert_uint_eq(rec.boundaries, 2);
	/* Armed again and passing the entry breakpoint it stands on. */
	ck_assert_uint_gt(fk.ndebug, before);
	ck_assert_uint_eq(fk.debug[before].rip, FX_SYSCALL_ENTRY);
	ck_assert_uint_eq(fk.debug[before].control & STEP_CTL, STEP_CTL);
	for (int i = 0; i < 4; i++)
		if (fk.debug[before].addr[i] == FX_SYSCALL_ENTRY)
			ck_assert_uint_eq(fk.debug[before].dr7 & (3u << (2 * i)), 0);
	ck_assert_uint_eq(v->n.syscall_boundaries, 2);
}
END_TEST

START_TEST(a_debugger_sees_every_run_each_new_violation_and_the_end)
{
	script_layout();
	/* The same boundary twice: the same violations at the same instruction. */
	fake_kvm_add_debug(&fk, FX_SYSCALL_ENTRY, DR6_IDLE | DR6_B(0));
	fake_kvm_add_debug(&fk, FX_SYSCALL_ENTRY + 3, DR6_IDLE | DR6_BS);
	fake_kvm_add_debug(&fk, FX_SYSCALL_ENTRY, DR6_IDLE | DR6_B(0));
	fake_kvm_add_debug(&fk, FX_SYSCALL_ENTRY + 3, DR6_IDLE | DR6_BS);
	fake_kvm_add(&fk, KVM_EXIT_SHUTDOWN, FX_KERNEL_RIP);
	struct vcpu_state *v = run_loop();
	/* Before every KVM_RUN, and only then. */
	ck_assert_uint_eq(rec.runs, fk.runs);
	/* Each violation the run reports, once. */
	ck_assert_uint_gt(result.nviolations, 0);
	ck_assert_uint_eq(rec.violations, result.nviolations);
	ck_assert_uint_gt(result.violation_occurrences, result.nviolations);
	ck_assert_str_eq(rec.first_violation, result.violations[0].rule);
	/* The vCPU that ends the run, as it ends it. */
	ck_assert_uint_eq(rec.ends, 1);
	ck_assert_int_eq(rec.end_seen, RUN_END_TRIPLE_FAULT);
	ck_assert_int_eq(result.end, RUN_END_TRIPLE_FAULT);
	/* An injection's delivery is told to the observers. */
	ck_assert_int_eq(vcpu_note_injected(v, "nmi@entry"), EXIT_CONTINUE);
	ck_assert_uint_eq(rec.injected, 1);
}
END_TEST

/* A kernel whose KVM never returns from KVM_RUN: the run still ends at its
 * time limit, says which vCPU was left behind, and touches it no more. */
START_TEST(a_vcpu_stuck_in_kvm_run_does_not_hold_the_run)
{
	cfg.timeout_seconds = 0.2;
	atomic_store(&fk.wedged, true);
	double start = session_now();
	session_run_threads(s);
	double took = session_now() - start;
	ck_assert_msg(took < 8.0, "the run took %.1f s", took);
	ck_assert(s->vcpus[0].stuck);
	ck_assert(session_any_stuck(s));
	ck_assert_int_eq(result.end, RUN_END_TIMEOUT);
	ck_assert_msg(strstr(result.end_reason, "did not leave KVM_RUN") != NULL, "%s", result.end_reason);
	/* Let the threads go so the fixture can free what they use. */
	atomic_store(&fk.wedged, false);
	for (unsigned i = 0; i < FX_NCPUS; i++)
		if (s->vcpus[i].stuck)
			pthread_join(s->vcpus[i].thread, NULL);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("exit-loop");
	TCase *tc = tcase_create("all");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ports_dispatch_through_the_table);
	tcase_add_test(tc, port_table_claims_only_what_it_handles);
	tcase_add_test(tc, a_hostile_record_ends_the_run_at_once);
	tcase_add_test(tc, an_observer_ends_the_run_with_its_reason);
	tcase_add_test(tc, the_script_end_is_a_guest_exit);
	tcase_add_test(tc, unknown_exits_and_floods_end_the_run);
	tcase_add_test(tc, the_guests_own_debug_trap_goes_back_to_it);
	tcase_add_test(tc, a_step_the_vmm_asked_for_is_its_own);
	tcase_add_test(tc, syscall_boundary_breakpoints_step_over_and_park);
	tcase_add_test(tc, a_step_over_that_lands_on_a_breakpoint_stops_there);
	tcase_add_test(tc, measurement_counts_the_steps_it_asked_for);
	tcase_add_test(tc, a_rewound_vcpu_handles_its_boundary_again);
	tcase_add_test(tc, a_debugger_sees_every_run_each_new_violation_and_the_end);
	tcase_add_test(tc, a_vcpu_stuck_in_kvm_run_does_not_hold_the_run);
	suite_add_tcase(su, tc);
	return check_run(su);
}
