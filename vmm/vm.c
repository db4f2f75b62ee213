/* SPDX-License-Identifier: MIT */
/*
 * The exit loop: run the vCPU, decode the exit, let the device or the
 * breakpoint logic handle it, check the guest's state against every rule,
 * resume.  Everything backend-specific is behind pvm_syscall.h; everything
 * the guest hands over is validated by events.c/layout.c before use.
 */
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "debugctl.h"
#include "events.h"
#include "kvm.h"
#include "layout.h"
#include "loader.h"
#include "ptregs_check.h"
#include "pvm_syscall.h"
#include "report.h"
#include "serial.h"
#include "snapshot.h"
#include "symbols.h"

#define DEFAULT_RAM        (64ull << 20)
#define DEFAULT_TIMEOUT_S  30.0
#define GUEST_FILE_MAX     (64u << 20)
#define MMIO_EXIT_LIMIT    4096u
#define WATCHDOG_TICK_US   50000

struct session {
	const struct vm_config *cfg;
	struct run_result *r;
	struct kvm_vm vm;
	struct kvm_vcpu vcpu;
	enum kvm_backend backend;
	struct symtab *syms;
	struct layout layout;
	struct debugctl dbg;
	struct pvm_syscall pvm;
	bool pvm_armed;
	struct serial serial;
	/* Registers at the most recent SYSCALL boundary: the truth pt_regs is compared with. */
	uint64_t boundary_gpr[16];
	bool boundary_valid;
	/* The guest-marked measurement region. */
	bool measuring;
	uint64_t measure_steps, measure_exit_base;
	/* After a breakpoint, the next step exit finishes the step-over. */
	bool finishing_step_over;
	uint64_t mmio_exits;
	bool done;
	double start;
};

static volatile sig_atomic_t watchdog_ticks;

static void on_watchdog(int sig)
{
	(void)sig;
	watchdog_ticks++;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void end_run(struct session *s, enum run_end end, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void end_run(struct session *s, enum run_end end, const char *fmt, ...)
{
	if (s->done)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->r->end_reason, sizeof(s->r->end_reason), fmt, ap);
	va_end(ap);
	s->r->end = end;
	s->done = true;
}

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
	r->vcpus = s->cfg->vcpus ? s->cfg->vcpus : 1;
	r->guest_exit_code = -1;
}

/* ---- checks ------------------------------------------------------------------------------ */

static bool already_reported(const struct run_result *r, const char *rule, uint64_t rip)
{
	for (size_t i = 0; i < r->nviolations; i++)
		if (r->violations[i].rip == rip && strcmp(r->violations[i].rule, rule) == 0)
			return true;
	return false;
}

/* The same rule failing at the same instruction is one finding, however often it repeats. */
static void record_violation(struct session *s, const struct violation *v, const struct vcpu_snap *snap)
{
	struct run_result *r = s->r;
	r->violation_occurrences++;
	if (already_reported(r, v->rule, snap->rip) || r->nviolations >= RESULT_MAX_VIOLATIONS)
		return;
	struct violation_report *rep = &r->violations[r->nviolations++];
	report_fill(rep, v, snap, &s->layout, s->syms);
	if (s->cfg->echo_serial)
		report_print(stderr, rep);
}

static void check_state(struct session *s, enum snap_point point)
{
	if (!s->layout.valid)
		return;
	struct vcpu_snap snap;
	if (!snapshot_take(&s->vcpu, point, &snap)) {
		end_run(s, RUN_END_INTERNAL_ERROR, "cannot read vCPU state for checks: %s", strerror(errno));
		return;
	}
	struct violation found[8];
	size_t nrules = 0;
	rules_table(&nrules);
	size_t n = rules_check_all(&snap, &s->layout, found, 8);
	s->r->checks += nrules;
	for (size_t i = 0; i < n && i < 8; i++)
		record_violation(s, &found[i], &snap);
}

static void remember_syscall_boundary(struct session *s)
{
	struct vcpu_snap snap;
	if (!snapshot_take(&s->vcpu, SNAP_USER_BOUNDARY, &snap))
		return;
	memcpy(s->boundary_gpr, snap.gpr, sizeof(s->boundary_gpr));
	s->boundary_valid = true;
}

/* ---- breakpoints ---------------------------------------------------------------------------- */

static void arm_breakpoints(struct session *s)
{
	const struct ebx_layout *l = &s->layout.raw;
	char err[160];
	/* Where SYSCALL from ring 3 is broken (kvm_pvm, and any backend we cannot
	 * name), the repair needs the #PF handler; elsewhere LSTAR itself is the
	 * user boundary. */
	if (s->backend == BACKEND_PVM || s->backend == BACKEND_UNKNOWN) {
		if (pvm_syscall_prepare(&s->pvm, &s->vcpu, err, sizeof(err))) {
			debugctl_arm(&s->dbg, s->pvm.pf_handler, BP_PVM_PF_HANDLER);
			s->pvm_armed = true;
		} else {
			end_run(s, RUN_END_HOSTILE, "cannot prepare the SYSCALL repair: %s", err);
			return;
		}
	} else {
		debugctl_arm(&s->dbg, l->syscall_entry, BP_SYSCALL_ENTRY);
	}
	if (l->syscall_return)
		debugctl_arm(&s->dbg, l->syscall_return, BP_SYSCALL_RETURN);
}

/*
 * Measurement counts the instructions of the kernel side of each round trip:
 * stepping is on from a syscall entry to its sysretq.  Ring-3 code is not
 * stepped: SYSRET reloads TF from R11, so no backend reports steps there
 * reliably, and it is not entry cost anyway.  The SYSCALL and the SYSRET
 * themselves retire without a step exit of their own and are added by hand.
 */
static void measure_kernel_entry(struct session *s)
{
	if (!s->measuring)
		return;
	s->measure_steps++; /* the SYSCALL */
	debugctl_set_single_step(&s->dbg, true);
}

static void measure_kernel_exit(struct session *s)
{
	if (!s->measuring)
		return;
	s->measure_steps++; /* the SYSRET */
	debugctl_set_single_step(&s->dbg, false);
}

/* Returns true when the vCPU has moved on (repaired) and needs no step-over. */
static bool on_pf_handler(struct session *s)
{
	check_state(s, SNAP_PLAIN);
	enum pvm_verdict v = pvm_syscall_on_pf_handler(&s->pvm, &s->vcpu);
	s->r->syscall_repairs = s->pvm.repairs;
	if (v != PVM_REPAIRED)
		return false;
	/* The vCPU is now exactly where SYSCALL should have left it. */
	debugctl_unpark_all(&s->dbg);
	remember_syscall_boundary(s);
	check_state(s, SNAP_USER_BOUNDARY);
	measure_kernel_entry(s);
	return true;
}

static void handle_breakpoint(struct session *s, int slot)
{
	switch (s->dbg.purpose[slot]) {
	case BP_PVM_PF_HANDLER:
		if (on_pf_handler(s))
			return;
		break;
	case BP_SYSCALL_ENTRY:
		debugctl_unpark_all(&s->dbg);
		remember_syscall_boundary(s);
		check_state(s, SNAP_USER_BOUNDARY);
		measure_kernel_entry(s);
		break;
	case BP_SYSCALL_RETURN:
		check_state(s, SNAP_RETURN_POINT);
		/* Parked, not stepped over: see debugctl.h.  The next syscall entry re-arms it. */
		debugctl_park(&s->dbg, slot);
		measure_kernel_exit(s);
		return;
	default:
		break;
	}
	debugctl_begin_step_over(&s->dbg);
	s->finishing_step_over = true;
}

static void handle_debug(struct session *s)
{
	struct kvm_regs *regs = kvm_regs(&s->vcpu);
	if (!regs) {
		end_run(s, RUN_END_INTERNAL_ERROR, "cannot read registers at a debug exit");
		return;
	}
	uint64_t dr6 = s->vcpu.run->debug.arch.dr6;
	bool stepped = (dr6 & (1u << 14)) != 0;
	int slot = debugctl_slot_at(&s->dbg, regs->rip);
	if (stepped) {
		if (s->measuring && s->dbg.single_step)
			s->measure_steps++;
		if (s->finishing_step_over) {
			s->finishing_step_over = false;
			debugctl_end_step_over(&s->dbg);
		}
		/* A step can land on a breakpoint address, e.g. on the sysretq while
		 * measuring.  Whether the breakpoint then fires before that
		 * instruction differs between backends (kvm_pvm does not), so act on
		 * it now; the step-over or parking it starts keeps it from being
		 * taken a second time. */
		if (slot >= 0)
			handle_breakpoint(s, slot);
		return;
	}
	if (slot >= 0) {
		handle_breakpoint(s, slot);
		return;
	}
	end_run(s, RUN_END_INTERNAL_ERROR, "debug exit at 0x%llx with DR6 0x%llx that no breakpoint explains",
		(unsigned long long)regs->rip, (unsigned long long)dr6);
}

/* ---- checkpoints ---------------------------------------------------------------------------- */

static void on_layout(struct session *s, const struct event_view *ev)
{
	char err[200];
	if (s->layout.valid) {
		end_run(s, RUN_END_HOSTILE, "guest published its layout twice");
		return;
	}
	if (!layout_validate(ev->payload, ev->length, s->vm.mem.size, &s->layout, err, sizeof(err))) {
		end_run(s, RUN_END_HOSTILE, "%s", err);
		return;
	}
	arm_breakpoints(s);
}

static void on_syscall_regs(struct session *s, const struct event_view *ev)
{
	struct ebx_ev_syscall_regs p;
	memcpy(&p, ev->payload, sizeof(p));
	struct kvm_sregs *sr = kvm_sregs(&s->vcpu);
	struct ebx_pt_regs saved;
	struct violation v = { .rule = PTREGS_RULE };
	if (!s->layout.valid || !sr)
		return;
	struct vcpu_snap snap;
	if (!snapshot_take(&s->vcpu, SNAP_PLAIN, &snap))
		return;
	s->r->checks++;
	if (!s->boundary_valid) {
		snprintf(v.detail, sizeof(v.detail), "syscall-regs checkpoint without a SYSCALL the VMM saw");
		record_violation(s, &v, &snap);
		return;
	}
	if (!gmem_read_virt(&s->vm.mem, sr->cr3, p.pt_regs_gva, &saved, sizeof(saved))) {
		snprintf(v.detail, sizeof(v.detail), "pt_regs at 0x%" PRIx64 " is not mapped", p.pt_regs_gva);
		record_violation(s, &v, &snap);
		return;
	}
	struct ebx_pt_regs expected;
	ptregs_expected_from_syscall(s->boundary_gpr, s->layout.raw.user_cs, s->layout.raw.user_ss, &expected);
	if (!ptregs_compare(&saved, &expected, v.detail, sizeof(v.detail)))
		record_violation(s, &v, &snap);
}

static void on_measure(struct session *s, const struct event_view *ev, bool begin)
{
	struct ebx_ev_measure p;
	memcpy(&p, ev->payload, sizeof(p));
	char name[sizeof(p.name)];
	if (!event_string(p.name, sizeof(p.name), name, sizeof(name))) {
		end_run(s, RUN_END_HOSTILE, "measure checkpoint with an unterminated name");
		return;
	}
	if (begin) {
		s->measuring = true;
		s->measure_steps = 0;
		s->measure_exit_base = s->r->exits;
		snprintf(s->r->measure_name, sizeof(s->r->measure_name), "%s", name);
		debugctl_set_single_step(&s->dbg, true);
		return;
	}
	if (!s->measuring)
		return;
	s->measuring = false;
	debugctl_set_single_step(&s->dbg, false);
	s->r->measure_iterations = p.iterations;
	s->r->measure_instructions = s->measure_steps;
	s->r->measure_exits = s->r->exits - s->measure_exit_base;
}

static void on_checkpoint(struct session *s, uint32_t gpa)
{
	struct event_view ev;
	char err[200];
	if (!event_fetch(&s->vm.mem, gpa, s->cfg->vcpus ? s->cfg->vcpus : 1, &ev, err, sizeof(err))) {
		end_run(s, RUN_END_HOSTILE, "%s", err);
		return;
	}
	switch (ev.kind) {
	case EBX_EV_LAYOUT: on_layout(s, &ev); break;
	case EBX_EV_SYSCALL_REGS: on_syscall_regs(s, &ev); break;
	case EBX_EV_MEASURE_BEGIN: on_measure(s, &ev, true); break;
	case EBX_EV_MEASURE_END: on_measure(s, &ev, false); break;
	case EBX_EV_INJECT_POINT: break; /* no injection requested in this run */
	default: break;
	}
}

/* ---- port I/O ------------------------------------------------------------------------------- */

static uint32_t io_value(const struct kvm_run *run, const uint8_t *data)
{
	uint32_t v = 0;
	memcpy(&v, data, run->io.size <= 4 ? run->io.size : 4);
	return v;
}

static void handle_io(struct session *s)
{
	struct kvm_run *run = s->vcpu.run;
	/* io.data_offset is KVM's, but check it anyway: a corrupt offset must not
	 * make us read outside the kvm_run mapping. */
	uint64_t bytes = (uint64_t)run->io.size * run->io.count;
	if (run->io.size == 0 || run->io.size > 4 || run->io.data_offset + bytes > (uint64_t)s->vm.run_size) {
		end_run(s, RUN_END_INTERNAL_ERROR, "malformed I/O exit (size %u count %u)", run->io.size, run->io.count);
		return;
	}
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint16_t port = run->io.port;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	for (uint32_t i = 0; i < run->io.count && !s->done; i++, data += run->io.size) {
		if (port >= EBX_PORT_COM1 && port < EBX_PORT_COM1 + 8) {
			if (out) {
				if (!serial_out(&s->serial, (uint16_t)(port - EBX_PORT_COM1), data[0]))
					end_run(s, RUN_END_HOSTILE, "guest wrote more than %u bytes to the console",
						SERIAL_BYTE_LIMIT);
			} else {
				memset(data, 0, run->io.size);
				data[0] = serial_in(&s->serial, (uint16_t)(port - EBX_PORT_COM1));
			}
		} else if (port == EBX_PORT_DEBUG_EXIT && out) {
			s->r->guest_exit_code = (int)(io_value(run, data) & 0xff);
			end_run(s, RUN_END_GUEST_EXIT, "guest exited with code %d", s->r->guest_exit_code);
		} else if (port == EBX_PORT_CHECKPOINT && out && run->io.size == 4) {
			on_checkpoint(s, io_value(run, data));
		} else if (!out) {
			/* Unclaimed ports read as a floating bus, like real hardware. */
			memset(data, 0xff, run->io.size);
		}
		/* Writes to unclaimed ports are dropped: the guest may probe hardware. */
	}
}

/* ---- the loop -------------------------------------------------------------------------------- */

static void handle_exit(struct session *s)
{
	struct kvm_run *run = s->vcpu.run;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(s);
		check_state(s, SNAP_PLAIN);
		break;
	case KVM_EXIT_DEBUG:
		handle_debug(s);
		break;
	case KVM_EXIT_MMIO:
		if (!run->mmio.is_write)
			memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
		if (++s->mmio_exits > MMIO_EXIT_LIMIT)
			end_run(s, RUN_END_HOSTILE, "guest touched unbacked memory %u times (last 0x%llx)",
				MMIO_EXIT_LIMIT, (unsigned long long)run->mmio.phys_addr);
		break;
	case KVM_EXIT_HLT:
		end_run(s, RUN_END_TIMEOUT, "guest halted with no interrupt source");
		break;
	case KVM_EXIT_SHUTDOWN:
		end_run(s, RUN_END_TRIPLE_FAULT, "triple fault (KVM_EXIT_SHUTDOWN)");
		break;
	case KVM_EXIT_FAIL_ENTRY:
		end_run(s, RUN_END_INTERNAL_ERROR, "VM entry failed, hardware reason 0x%llx",
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		end_run(s, RUN_END_INTERNAL_ERROR, "KVM internal error, suberror %u", run->internal.suberror);
		break;
	case KVM_EXIT_INTR:
		break;
	default:
		end_run(s, RUN_END_INTERNAL_ERROR, "unexpected KVM exit reason %u", run->exit_reason);
		break;
	}
}

static void describe_end_state(struct session *s)
{
	struct kvm_regs *r = kvm_regs(&s->vcpu);
	struct kvm_sregs *sr = kvm_sregs(&s->vcpu);
	if (!r || !sr || s->r->end == RUN_END_GUEST_EXIT)
		return;
	char where[96] = "";
	if (s->syms)
		symtab_describe(s->syms, r->rip, where, sizeof(where));
	size_t len = strlen(s->r->end_reason);
	snprintf(s->r->end_reason + len, sizeof(s->r->end_reason) - len,
		 "; vCPU 0 at %s (rip 0x%llx cpl %u rsp 0x%llx cr3 0x%llx)", where[0] ? where : "?",
		 (unsigned long long)r->rip, sr->cs.dpl, (unsigned long long)r->rsp, (unsigned long long)sr->cr3);
}

static void run_loop(struct session *s)
{
	double limit = s->cfg->timeout_seconds > 0 ? s->cfg->timeout_seconds : DEFAULT_TIMEOUT_S;
	while (!s->done) {
		if (debugctl_apply(&s->dbg, &s->vcpu) < 0) {
			end_run(s, RUN_END_INTERNAL_ERROR, "KVM_SET_GUEST_DEBUG: %s", strerror(errno));
			break;
		}
		int rc = kvm_run_once(&s->vcpu);
		if (now_seconds() - s->start > limit) {
			end_run(s, RUN_END_TIMEOUT, "watchdog: no end after %.1f s", limit);
			break;
		}
		if (rc < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			end_run(s, RUN_END_INTERNAL_ERROR, "KVM_RUN: %s", strerror(errno));
			break;
		}
		s->r->exits++;
		handle_exit(s);
	}
	describe_end_state(s);
}

/* ---- set-up and tear-down ------------------------------------------------------------------- */

static void on_serial_line(void *ctx, const char *line)
{
	struct session *s = ctx;
	result_parse_serial_line(line, s->r);
}

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

static void start_watchdog(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_watchdog; /* no SA_RESTART: KVM_RUN must return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, WATCHDOG_TICK_US }, { 0, WATCHDOG_TICK_US } };
	setitimer(ITIMER_REAL, &it, NULL);
}

static void stop_watchdog(void)
{
	struct itimerval it;
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	signal(SIGALRM, SIG_DFL);
}

static enum ebx_status boot_guest(struct session *s)
{
	char err[256];
	size_t elf_len = 0;
	void *elf = read_file(s->cfg->guest_path, &elf_len, err, sizeof(err));
	if (!elf) {
		fprintf(stderr, "entrybox: %s\n", err);
		return EBX_STATUS_USAGE;
	}
	if (kvm_open_vm(&s->vm, s->cfg->ram_bytes ? s->cfg->ram_bytes : DEFAULT_RAM, err, sizeof(err)) < 0) {
		bool missing = errno == ENOENT || errno == EACCES || errno == ENODEV || errno == EPERM;
		fprintf(stderr, "entrybox: %s\n", err);
		free(elf);
		return missing ? EBX_STATUS_ENV : EBX_STATUS_MISMATCH;
	}
	struct loaded_guest lg;
	int rc = loader_load_pvh(&s->vm.mem, elf, elf_len, s->cfg->cmdline, &lg, err, sizeof(err));
	free(elf);
	if (rc < 0) {
		fprintf(stderr, "entrybox: %s: %s\n", s->cfg->guest_path, err);
		return EBX_STATUS_USAGE;
	}
	s->syms = symtab_open(s->cfg->guest_path, err, sizeof(err));
	if (!s->syms && s->cfg->echo_serial)
		fprintf(stderr, "entrybox: warning: no symbols: %s\n", err);
	if (kvm_create_vcpu(&s->vm, &s->vcpu, 0, err, sizeof(err)) < 0 ||
	    kvm_setup_cpuid(&s->vcpu, err, sizeof(err)) < 0 ||
	    kvm_set_pvh_state(&s->vcpu, lg.pvh_entry, (uint32_t)lg.start_info_gpa, err, sizeof(err)) < 0) {
		fprintf(stderr, "entrybox: %s\n", err);
		return EBX_STATUS_ENV;
	}
	return EBX_STATUS_OK;
}

enum ebx_status vm_run(const struct vm_config *cfg, struct run_result *r)
{
	struct session *s = calloc(1, sizeof(*s));
	if (!s) {
		fprintf(stderr, "entrybox: out of memory\n");
		return EBX_STATUS_ENV;
	}
	memset(r, 0, sizeof(*r));
	s->cfg = cfg;
	s->r = r;
	s->vm.kvm_fd = s->vm.vm_fd = -1;
	s->vcpu.fd = -1;
	s->backend = backend_detect("/sys");
	preset_result(s);
	debugctl_init(&s->dbg);
	serial_init(&s->serial, cfg->echo_serial ? stderr : NULL, on_serial_line, s);
	if (cfg->vcpus > 1) {
		fprintf(stderr, "entrybox: --vcpus %u: this VMM runs one vCPU so far\n", cfg->vcpus);
		free(s);
		return EBX_STATUS_ENV;
	}

	s->start = now_seconds();
	enum ebx_status st = boot_guest(s);
	if (st == EBX_STATUS_OK) {
		start_watchdog();
		run_loop(s);
		stop_watchdog();
		serial_flush(&s->serial);
		r->wall_seconds = now_seconds() - s->start;
		if (r->end != RUN_END_GUEST_EXIT && r->outcome[0] == '\0') {
			static const char *const names[] = { "guest-exit", "triple-fault", "timeout", "internal-error",
							     "hostile" };
			snprintf(r->outcome, sizeof(r->outcome), "%s", names[r->end]);
		}
		if (r->end != RUN_END_GUEST_EXIT) {
			char tail[600];
			serial_tail(&s->serial, tail, sizeof(tail));
			if (tail[0] && cfg->echo_serial)
				fprintf(stderr, "entrybox: last console lines: %s\n", tail);
		}
		st = result_status(r);
	}
	if (s->vcpu.run)
		kvm_destroy_vcpu(&s->vcpu);
	if (s->vm.vm_fd >= 0 || s->vm.kvm_fd >= 0)
		kvm_close_vm(&s->vm);
	if (s->syms)
		symtab_close(s->syms);
	free(s);
	return st;
}
