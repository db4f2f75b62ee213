/* SPDX-License-Identifier: MIT */
/*
 * A run under our VMM: load the guest, create the vCPUs, run one thread per
 * vCPU (vcpu_loop.c), keep a watchdog, and turn the end into a result.
 */
#include "run/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "explain/deviations.h"
#include "gdb/stub.h"
#include "host/confine.h"
#include "inject/inject.h"
#include "inject/sweep.h"
#include "machine/loader.h"
#include "kvm/ram_journal.h"
#include "result/result_coverage.h"
#include "run/fault_watch.h"
#include "run/measure.h"
#include "run/switch_watch.h"
#include "run/session.h"
#include "trace/trace.h"

#define DEFAULT_RAM        (64ull << 20)
#define GUEST_FILE_MAX     (64u << 20)

/* ---- results from the command line, until the guest reports its own ---------------------- */

static void cmdline_value(const char *cmdline, const char *key, char *dst, size_t len)
{
	size_t klen = strlen(key);
	for (const char *p = cmdline; p && *p;) {
		while (*p == ' ')
			p++;
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			const char *v = p + klen + 1;
			size_t n = strcspn(v, " ");
			snprintf(dst, len, "%.*s", (int)n, v);
			return;
		}
		p = strchr(p, ' ');
	}
}

static void preset_result(struct session *s)
{
	struct run_result *r = s->r;
	snprintf(r->engine, sizeof(r->engine), "kvm");
	snprintf(r->backend, sizeof(r->backend), "%s", backend_name(s->backend));
	snprintf(r->model, sizeof(r->model), "kpti");
	snprintf(r->scenario, sizeof(r->scenario), "boot");
	snprintf(r->pti, sizeof(r->pti), "on");
	snprintf(r->pcid, sizeof(r->pcid), "off");
	snprintf(r->expected, sizeof(r->expected), "pass");
	cmdline_value(s->cfg->cmdline, "entry", r->model, sizeof(r->model));
	cmdline_value(s->cfg->cmdline, "scenario", r->scenario, sizeof(r->scenario));
	cmdline_value(s->cfg->cmdline, "pti", r->pti, sizeof(r->pti));
	cmdline_value(s->cfg->cmdline, "pcid", r->pcid, sizeof(r->pcid));
	char num[16] = "";
	cmdline_value(s->cfg->cmdline, "tasks", num, sizeof(num));
	r->tasks = num[0] ? (unsigned)strtoul(num, NULL, 10) : 2;
	r->vcpus = s->nvcpus;
	r->guest_exit_code = -1;
}

static void on_serial_line(void *ctx, const char *line)
{
	struct session *s = ctx; /* called with s->lock held (serial_access) */
	result_parse_serial_line(line, s->r);
}

/* ---- set-up ----------------------------------------------------------------------------------- */

static void *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || (uint64_t)st.st_size > GUEST_FILE_MAX) {
		snprintf(err, errlen, "%s: not a regular file of 1 byte to %u MiB", path, GUEST_FILE_MAX >> 20);
		close(fd);
		return NULL;
	}
	uint8_t *buf = malloc((size_t)st.st_size);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!buf || got != (size_t)st.st_size) {
		snprintf(err, errlen, "%s: short read", path);
		free(buf);
		return NULL;
	}
	*len = got;
	return buf;
}

static enum run_verdict create_vcpus(struct session *s, const struct loaded_guest *lg)
{
	char err[256];
	for (unsigned i = 0; i < s->nvcpus; i++) {
		struct vcpu_state *v = &s->vcpus[i];
		if (kvm_create_vcpu(&s->vm, &v->vcpu, i, err, sizeof(err)) < 0 ||
		    kvm_setup_cpuid(&v->vcpu, err, sizeof(err)) < 0) {
			session_say(s, "vCPU %u: %s", i, err);
			return RUN_VERDICT_ENVIRONMENT;
		}
	}
	/* Only the BSP starts at the PVH entry; the APs wait in KVM's
	 * wait-for-SIPI state until the guest's INIT/SIPI/SIPI, as on hardware. */
	if (kvm_set_pvh_state(&s->vcpus[0].vcpu, lg->pvh_entry, (uint32_t)lg->start_info_gpa, err, sizeof(err)) < 0) {
		session_say(s, "%s", err);
		return RUN_VERDICT_ENVIRONMENT;
	}
	return RUN_VERDICT_OK;
}

static bool backend_resets_at_shutdown(enum kvm_backend b)
{
	return b == BACKEND_SVM;
}

static enum run_verdict boot_guest(struct session *s)
{
	char err[256];
	size_t elf_len = 0;
	void *elf = read_file(s->cfg->guest_path, &elf_len, err, sizeof(err));
	if (!elf) {
		session_say(s, "%s", err);
		return RUN_VERDICT_BAD_INPUT;
	}
	if (kvm_open_vm(&s->vm, s->cfg->ram_bytes ? s->cfg->ram_bytes : DEFAULT_RAM, err, sizeof(err)) < 0) {
		bool missing = errno == ENOENT || errno == EACCES || errno == ENODEV || errno == EPERM;
		session_say(s, "%s", err);
		free(elf);
		return missing ? RUN_VERDICT_ENVIRONMENT : RUN_VERDICT_MISMATCH;
	}
	struct loaded_guest lg;
	bool loaded = loader_load_pvh(&s->vm.mem, elf, elf_len, s->cfg->cmdline, &lg, err, sizeof(err));
	free(elf);
	if (!loaded) {
		session_say(s, "%s: %s", s->cfg->guest_path, err);
		return RUN_VERDICT_BAD_INPUT;
	}
	s->syms = symtab_open(s->cfg->guest_path, err, sizeof(err));
	if (!s->syms && s->cfg->echo_serial)
		session_say(s, "warning: no symbols: %s", err);
	if (backend_resets_at_shutdown(s->backend) && ram_journal_start(&s->vm, err, sizeof(err)) < 0 &&
	    s->cfg->echo_serial)
		session_say(s, "warning: a triple fault will not be replayed: %s", err);
	enum run_verdict v = create_vcpus(s, &lg);
	/* The first entry is a replay point: a guest may triple-fault at once. */
	for (unsigned i = 0; i < s->nvcpus && s->vm.journal; i++)
		atomic_store(&s->vcpus[i].vcpu.replay_point_wanted, true);
	return v;
}

static enum run_verdict open_trace(struct session *s)
{
	char err[300];
	s->trace = trace_open(s->cfg->trace, err, sizeof(err));
	if (s->trace)
		return RUN_VERDICT_OK;
	session_say(s, "%s", err);
	return RUN_VERDICT_BAD_INPUT;
}

static enum run_verdict setup_injection(struct session *s, struct sweep **sweep)
{
	char err[300] = "";
	if (!inject_setup(s, err, sizeof(err))) {
		session_say(s, "%s", err);
		return RUN_VERDICT_BAD_INPUT;
	}
	if (!sweep_prepare(s, sweep, err, sizeof(err))) {
		session_say(s, "%s", err);
		return RUN_VERDICT_BAD_INPUT;
	}
	return RUN_VERDICT_OK;
}

/* ---- confinement ------------------------------------------------------------------------------ */

/* From here on the run needs no new file, socket or process: the whole
 * process is confined (host/confine.h).  A reboot sweep boots a fresh VM per
 * point, which opens /dev/kvm and the image again: there, and in those point
 * runs, only the vCPU threads are. */
static enum run_verdict confine_after_setup(struct session *s, const struct sweep *sweep)
{
	const struct vm_config *cfg = s->cfg;
	const char *how = cfg->no_confine ? "off" : "vcpu-threads";
	if (!cfg->no_confine && !cfg->point && !(sweep && cfg->sweep_reboot)) {
		char err[160];
		if (!confine_process(cfg->gdb != NULL, err, sizeof(err))) {
			session_say(s, "%s", err);
			return RUN_VERDICT_ENVIRONMENT;
		}
		how = "process";
		confine_selftest();
	}
	snprintf(s->r->confinement, sizeof(s->r->confinement), "%s", how);
	return RUN_VERDICT_OK;
}

/* Where each vCPU stood when a run ended other than by the guest's own exit. */
static void describe_end_state(struct session *s)
{
	struct run_result *r = s->r;
	if (r->end == RUN_END_GUEST_EXIT)
		return;
	for (unsigned i = 0; i < s->nvcpus; i++) {
		struct kvm_vcpu *vc = &s->vcpus[i].vcpu;
		if (s->vcpus[i].stuck)
			continue;
		vc->regs_valid = vc->sregs_valid = false;
		struct kvm_regs *regs = kvm_regs(vc);
		struct kvm_sregs *sr = kvm_sregs(vc);
		if (!regs || !sr)
			continue;
		char where[96] = "?";
		if (s->syms)
			symtab_describe(s->syms, regs->rip, where, sizeof(where));
		size_t len = strlen(r->end_reason);
		snprintf(r->end_reason + len, sizeof(r->end_reason) - len,
			 "; vCPU %u at %s (rip 0x%llx cpl %u rsp 0x%llx cr3 0x%llx)", i, where,
			 (unsigned long long)regs->rip, sr->cs.dpl, (unsigned long long)regs->rsp,
			 (unsigned long long)sr->cr3);
	}
}

/* What kind of PGD a CR3 names, for a reader of the panic report. */
static void cr3_kind(const struct layout *l, uint64_t cr3, char *buf, size_t len)
{
	bool user_half;
	int t = layout_task_of_pgd(l, cr3 & PT_CR3_PGD_MASK, &user_half);
	if (t >= 0)
		snprintf(buf, len, "%s PGD of task %u", user_half && l->raw.pti ? "user" : "kernel", l->raw.tasks[t].id);
	else
		snprintf(buf, len, "no task's PGD (the kernel's own)");
}

/* The guest's panic report completed with what the VMM knows: where RIP is,
 * the stack RSP was on, and the CR3 the exception was taken on -- from the
 * fault watch, which saw the exception before the guest's handler ran. */
static void describe_panic(struct session *s)
{
	struct guest_panic *p = &s->r->panic;
	if (!p->exception)
		return;
	if (s->syms) {
		symtab_describe(s->syms, p->rip, p->symbol, sizeof(p->symbol));
		symtab_source_line(s->syms, p->rip, p->source, sizeof(p->source));
	}
	bool guard = false;
	const struct ebx_stack_desc *st = s->layout.valid ? layout_stack_of_rsp(&s->layout, p->rsp, &guard) : NULL;
	if (st)
		snprintf(p->stack, sizeof(p->stack), "%s%s", st->name, guard ? " (guard page)" : "");
	for (unsigned i = 0; i < s->nvcpus; i++) {
		struct fault_seen f;
		if (fault_watch_last(s, i, &f) && f.vector == p->vector && f.rip == p->rip) {
			p->cr3 = f.cr3;
			p->cr3_known = true;
			cr3_kind(&s->layout, f.cr3, p->cr3_kind, sizeof(p->cr3_kind));
			return;
		}
	}
	if (strstr(s->r->faults_unwatched, result_vector_name(p->vector)))
		snprintf(p->cr3_kind, sizeof(p->cr3_kind), "not known: no breakpoint was left to watch %s (that check did not run)",
			 result_vector_name(p->vector));
	else
		snprintf(p->cr3_kind, sizeof(p->cr3_kind), "not known: the VMM did not see this exception");
}

/* The guest's own count of its syscalls against the boundaries the VMM stopped
 * at: where breakpoints do not fire, no boundary check ran.  Ring-0 tasks make
 * syscalls only where the model has ring-0 applications (entry=ukl). */
static void boundary_coverage(struct session *s)
{
	struct run_result *r = s->r;
	if (!s->layout.valid || r->ntask_syscalls == 0)
		return;
	uint64_t expected = 0;
	for (unsigned t = 0; t < s->layout.raw.ntasks && t < EBX_MAX_TASKS; t++) {
		const struct ebx_task_desc *d = &s->layout.raw.tasks[t];
		bool seen = d->ring == 3 || s->layout.raw.app_syscall_entry != 0;
		if (seen && d->id < r->ntask_syscalls)
			expected += r->task_syscalls[d->id];
	}
	result_coverage_add(r, "syscall-boundary", expected, r->syscall_boundaries,
			    "syscalls the guest counted, each to be stopped at its entry by a VMM breakpoint or the kvm_pvm repair");
}

/* Every step the backend would not report had its breakpoint: a step caught
 * by nothing is a step the trace, the measure or gdb never saw. */
static void step_catch_coverage(struct session *s)
{
	uint64_t wanted = 0, lost = 0;
	for (unsigned i = 0; i < s->nvcpus; i++) {
		wanted += s->vcpus[i].n.step_catches;
		lost += s->vcpus[i].n.step_catches_lost;
	}
	if (wanted)
		result_coverage_add(s->r, "step-catch", wanted, wanted - lost,
				    "breakpoints standing in for steps the backend does not report, each with a debug-register slot");
}

/* What the run itself saw, before a sweep reuses the session for its points. */
static void close_run(struct session *s)
{
	struct run_result *r = s->r;
	serial_flush(&s->serial);
	result_reject_repeated_verdicts(r);
	r->exits = atomic_load(&s->exits);
	for (unsigned i = 0; i < s->nvcpus; i++) {
		const struct vcpu_state *v = &s->vcpus[i];
		r->checks += v->n.checks;
		r->hv_bounces += v->hv.bounces;
		r->hv_irets += v->hv.irets;
		r->hv_refused += v->hv.refused;
		r->exits_io += v->n.exits_io;
		r->exits_debug += v->n.exits_debug;
		r->exits_mmio += v->n.exits_mmio;
		r->exits_intr += v->n.exits_intr;
		r->exits_other += v->n.exits_other;
		r->syscall_repairs += v->pvm.repairs;
		r->syscall_boundaries += v->n.syscall_boundaries;
	}
	boundary_coverage(s);
	step_catch_coverage(s);
	for (unsigned i = 0; i < s->nobservers; i++) {
		const struct observer_entry *e = &s->observers[i];
		if (e->o->on_finish)
			e->o->on_finish(e->ctx, s);
	}
	fault_watch_finish(s);
	describe_panic(s);
}

/* mov-ss-trap needs the guest's own data breakpoint.  With KVM_GUESTDBG_USE_HW_BP
 * KVM runs the vCPU on the VMM's debug registers instead of the guest's, on
 * every backend, so while our breakpoints were armed none of the guest's fired. */
static void explain_unsupported(struct session *s)
{
	struct run_result *r = s->r;
	bool vmm_breakpoints = false;
	for (unsigned i = 0; i < s->nvcpus; i++)
		vmm_breakpoints |= s->vcpus[i].dbg.hw_bp_used;
	if (r->guest_exit_code != EBX_GUEST_EXIT_UNSUPPORTED || r->explanation[0] || !vmm_breakpoints ||
	    strcmp(r->scenario, "mov-ss-trap") != 0)
		return;
	snprintf(r->explanation, sizeof(r->explanation),
		 "this VMM armed its own hardware breakpoints (KVM_SET_GUEST_DEBUG, KVM_GUESTDBG_USE_HW_BP): KVM then "
		 "runs the vCPU on the VMM's debug registers and the guest's DR7 is not live, so no data breakpoint of "
		 "the guest can fire; QEMU TCG (entrybox qemu --accel tcg) delivers them");
}

static void finish_result(struct session *s)
{
	struct run_result *r = s->r;
	r->wall_seconds = session_now() - s->start;
	describe_end_state(s);
	explain_unsupported(s);
	const char *why = deviation_explain(r);
	if (why)
		snprintf(r->backend_deviation, sizeof(r->backend_deviation), "%s", why);
	if (r->end != RUN_END_GUEST_EXIT && r->outcome[0] == '\0')
		snprintf(r->outcome, sizeof(r->outcome), "%s", result_end_name(r->end));
	if (r->end != RUN_END_GUEST_EXIT && s->cfg->echo_serial) {
		char tail[600];
		serial_tail(&s->serial, tail, sizeof(tail));
		if (tail[0])
			session_say(s, "last console lines: %s", tail);
	}
}

static void teardown(struct session *s)
{
	/* The stub's thread reads the vCPUs: it goes first. */
	gdb_stub_free(s);
	for (unsigned i = 0; i < s->nvcpus; i++)
		if (s->vcpus[i].vcpu.run)
			kvm_destroy_vcpu(&s->vcpus[i].vcpu);
	if (s->vm.vm_fd >= 0 || s->vm.kvm_fd >= 0)
		kvm_close_vm(&s->vm);
	inject_teardown(s);
	measure_teardown(s);
	fault_watch_teardown(s);
	switch_watch_teardown(s);
	if (s->syms)
		symtab_close(s->syms);
	session_destroy(s);
}

/* The parts of a run that follow the guest, in the order the loop calls them. */
static enum run_verdict add_observers(struct session *s)
{
	bool ok = measure_setup(s);
	if (ok && s->trace)
		ok = session_observe(s, &trace_observer, s->trace);
	if (ok && s->inj)
		ok = session_observe(s, &inject_observer, s->inj);
	/* The fault watch arms what slots the others leave (and gives them up
	 * to a debugger that asks for them: fault_watch_yield()). */
	if (ok)
		ok = switch_watch_setup(s) && fault_watch_setup(s);
	if (!ok) {
		session_say(s, "cannot set up the run's observers");
		return RUN_VERDICT_ENVIRONMENT;
	}
	char err[300];
	/* Last: the debugger sees the vCPU after every other part of the run has. */
	if (s->cfg->gdb && !gdb_stub_start(s, s->cfg->gdb, err, sizeof(err))) {
		session_say(s, "%s", err);
		return RUN_VERDICT_ENVIRONMENT;
	}
	return RUN_VERDICT_OK;
}

enum run_verdict vm_run(const struct vm_config *cfg, struct run_result *r)
{
	unsigned nvcpus = cfg->vcpus ? cfg->vcpus : 1;
	if (nvcpus > SESSION_MAX_VCPUS) {
		if (cfg->diag)
			fprintf(cfg->diag, "entrybox: --vcpus %u: at most %u\n", nvcpus, SESSION_MAX_VCPUS);
		return RUN_VERDICT_BAD_INPUT;
	}
	memset(r, 0, sizeof(*r));
	struct session *s = session_create(cfg, r, nvcpus);
	if (!s) {
		if (cfg->diag)
			fputs("entrybox: out of memory\n", cfg->diag);
		return RUN_VERDICT_ENVIRONMENT;
	}
	s->backend = backend_detect("/sys");
	preset_result(s);
	serial_init(&s->serial, cfg->echo_serial ? cfg->diag : NULL, on_serial_line, s);

	enum run_verdict st = boot_guest(s);
	if (st == RUN_VERDICT_OK && cfg->trace)
		st = open_trace(s);
	struct sweep *sweep = NULL;
	if (st == RUN_VERDICT_OK)
		st = setup_injection(s, &sweep);
	if (st == RUN_VERDICT_OK)
		st = add_observers(s);
	/* json-c takes its seed (it may open a file) before nothing can be opened. */
	if (st == RUN_VERDICT_OK) {
		result_json_prepare();
		st = confine_after_setup(s, sweep);
	}
	if (st == RUN_VERDICT_OK) {
		session_run_threads(s);
		close_run(s);
		if (sweep && !session_any_stuck(s))
			sweep_execute(sweep, s);
		finish_result(s);
		trace_finish(s->trace, s);
		s->trace = NULL;
		st = result_verdict(r);
		gdb_stub_finish(s, (int)st);
	}
	sweep_free(sweep, s);
	/* A thread still in KVM_RUN owns its vCPU and the session: leave both to
	 * the process's exit rather than free them under it. */
	if (!session_any_stuck(s))
		teardown(s);
	return st;
}
