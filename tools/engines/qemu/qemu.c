/* SPDX-License-Identifier: MIT */
/*
 * The QEMU engine: the same PVH guest and command line under
 * qemu-system-x86_64.  QEMU runs as a child (fork/exec, no shell); its serial
 * port is our stdout pipe, its own messages our stderr pipe.  The guest speaks
 * to us only through "@entrybox" lines and the isa-debug-exit value, and it is
 * as untrusted here as under our VMM: lines are bounded, the total output is
 * capped, and a watchdog kills QEMU.
 */
#include "engines/qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "console/console.h"
#include "engines/common.h"
#include "entrybox/abi.h"
#include "host/backend.h"
#include "result/console_verdict.h"

#define QEMU_BINARY          "qemu-system-x86_64"
#define QEMU_DEFAULT_TIMEOUT 30.0
#define QEMU_STDERR_KEEP     512

/* Everything learnt while QEMU runs. */
struct qemu_watch {
	struct console console;   /* the guest's console: QEMU's stdout */
	struct console_verdict verdict;
	struct run_result *r;
	char qemu_err[QEMU_STDERR_KEEP];
	size_t qemu_err_len;
	bool timed_out, flooded;
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool executable(const char *path)
{
	return access(path, X_OK) == 0;
}

bool qemu_find_binary(const char *qemu_path, char *out, size_t outlen)
{
	const char *explicit_path = qemu_path ? qemu_path : getenv("ENTRYBOX_QEMU");
	if (explicit_path && *explicit_path) {
		snprintf(out, outlen, "%s", explicit_path);
		return executable(out);
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		if (n > 0 && (size_t)snprintf(out, outlen, "%.*s/%s", (int)n, path, QEMU_BINARY) < outlen &&
		    executable(out))
			return true;
		path += n;
		if (*path == ':')
			path++;
	}
	out[0] = '\0';
	return false;
}

/* ---- the QEMU command line ---------------------------------------------------------- */

enum { QEMU_ARGV_MAX = 40 };

struct qemu_argv {
	char *argv[QEMU_ARGV_MAX];
	char smp[16];
};

/* kvm_pvm refuses KVM_SET_MSRS of IA32_ARCH_CAPABILITIES, which QEMU sets for
 * `-cpu host` and aborts on ("failed to set MSR 0x10a"); the guest never
 * reads that MSR. */
static const char *cpu_model(bool kvm)
{
	if (!kvm)
		return "max";
	return backend_detect("/sys") == BACKEND_PVM ? "host,-arch-capabilities" : "host";
}

/* microvm boots PVH in tens of milliseconds and takes isa-debug-exit; its
 * auto-kernel-cmdline would append virtio-mmio text the guest must reject. */
static void build_argv(struct qemu_argv *a, const char *binary, const struct qemu_config *cfg)
{
	bool kvm = cfg->accel == QEMU_ACCEL_KVM;
	snprintf(a->smp, sizeof(a->smp), "%u", cfg->vcpus ? cfg->vcpus : 1);
	const char *args[] = {
		binary,
		"-M", "microvm,auto-kernel-cmdline=off",
		"-accel", kvm ? "kvm" : "tcg",
		"-cpu", cpu_model(kvm),
		"-smp", a->smp,
		"-m", "64M",
		"-nographic", "-nodefaults", "-no-reboot",
		"-serial", "stdio",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		"-kernel", cfg->guest_path,
		"-append", cfg->cmdline,
		NULL,
	};
	size_t i;
	for (i = 0; args[i] && i + 1 < QEMU_ARGV_MAX; i++)
		a->argv[i] = (char *)args[i];
	if (cfg->gdb && i + 4 < QEMU_ARGV_MAX) {
		a->argv[i++] = "-gdb";
		a->argv[i++] = (char *)cfg->gdb;
		if (cfg->gdb_wait)
			a->argv[i++] = "-S";
	}
	a->argv[i] = NULL;
}

/* ---- the child ----------------------------------------------------------------------- */

static void child_exec(const struct qemu_argv *a, int out_fd, int err_fd)
{
	/* QEMU must not outlive a killed entrybox and hold the terminal. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(err_fd, STDERR_FILENO) < 0)
		_exit(126);
	execv(a->argv[0], a->argv);
	dprintf(STDERR_FILENO, "cannot execute %s: %s\n", a->argv[0], strerror(errno));
	_exit(127);
}

static pid_t spawn(const struct qemu_argv *a, int *serial_fd, int *err_fd, char *err, size_t errlen)
{
	int out_pipe[2], err_pipe[2];
	if (pipe2(out_pipe, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(err_pipe, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		close(out_pipe[0]);
		close(out_pipe[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0)
		child_exec(a, out_pipe[1], err_pipe[1]);
	close(out_pipe[1]);
	close(err_pipe[1]);
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(out_pipe[0]);
		close(err_pipe[0]);
		return -1;
	}
	*serial_fd = out_pipe[0];
	*err_fd = err_pipe[0];
	return pid;
}

/* ---- reading what QEMU and the guest say --------------------------------------------- */

static void console_line(void *ctx, const char *line)
{
	struct qemu_watch *w = ctx;
	console_verdict_line(&w->verdict, line, w->r);
}

static void keep_stderr(struct qemu_watch *w, const char *buf, size_t n)
{
	size_t room = sizeof(w->qemu_err) - 1 - w->qemu_err_len;
	size_t take = n < room ? n : room;
	memcpy(w->qemu_err + w->qemu_err_len, buf, take);
	w->qemu_err_len += take;
	w->qemu_err[w->qemu_err_len] = '\0';
}

/* Reads one chunk from fd; returns false at EOF or error (the fd is then done). */
static bool drain(int fd, bool is_serial, struct qemu_watch *w)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	if (!is_serial) {
		keep_stderr(w, buf, (size_t)n);
		return true;
	}
	if (!console_feed(&w->console, buf, (size_t)n)) {
		w->flooded = true;
		return false;
	}
	return true;
}

/* Pumps both pipes until QEMU closes them, the deadline passes, or the guest floods. */
static void pump(int serial_fd, int err_fd, double deadline, struct qemu_watch *w)
{
	struct pollfd p[2] = { { .fd = serial_fd, .events = POLLIN }, { .fd = err_fd, .events = POLLIN } };
	while ((p[0].fd >= 0 || p[1].fd >= 0) && !w->flooded) {
		double left = deadline - now_seconds();
		if (left <= 0) {
			w->timed_out = true;
			return;
		}
		int rc = poll(p, 2, (int)(left * 1000.0) + 1);
		if (rc < 0 && errno != EINTR)
			return;
		for (int i = 0; i < 2 && rc > 0; i++) {
			if (p[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    !drain(p[i].fd, i == 0, w))
				p[i].fd = -1;
		}
	}
}

/* ---- how it ended -------------------------------------------------------------------- */

/* QEMU's own messages may quote guest-controlled text (the command line). */
static void first_line(const char *text, char *out, size_t outlen)
{
	snprintf(out, outlen, "%.*s", (int)strcspn(text, "\n"), text);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
}

static void explain_guest_exit(struct run_result *r, const struct qemu_watch *w, int v)
{
	r->end = RUN_END_GUEST_EXIT;
	r->guest_exit_code = v;
	if (r->result_lines > 0) {
		snprintf(r->end_reason, sizeof(r->end_reason), "guest exited with %d (%s)", v, engine_guest_exit_name(v));
		return;
	}
	snprintf(r->outcome, sizeof(r->outcome), "no-result");
	snprintf(r->end_reason, sizeof(r->end_reason),
		 "guest exited with %d (%s) without a result line; last console line: '%s'", v,
		 engine_guest_exit_name(v), w->verdict.last_console);
}

/* QEMU's exit status carries the guest's isa-debug-exit value as (v << 1) | 1.
 * Status 1 is also QEMU's own failure; it is that when the guest never spoke. */
static void map_exit_status(int status, struct run_result *r, const struct qemu_watch *w)
{
	char qerr[200];
	first_line(w->qemu_err, qerr, sizeof(qerr));
	if (WIFSIGNALED(status)) {
		engine_end_as(r, RUN_END_INTERNAL_ERROR);
		snprintf(r->end_reason, sizeof(r->end_reason), "QEMU died from signal %d", WTERMSIG(status));
		return;
	}
	int code = WEXITSTATUS(status);
	if (code == 1 && w->console.total_bytes == 0 && w->qemu_err_len > 0) {
		engine_end_as(r, RUN_END_INTERNAL_ERROR);
		snprintf(r->end_reason, sizeof(r->end_reason), "QEMU failed: %s", qerr);
	} else if (code & 1) {
		explain_guest_exit(r, w, code >> 1);
	} else if (code == 0) {
		/* Under -no-reboot a reset ends QEMU with 0; our guest never asks for
		 * one, so it is the CPU's shutdown after a triple fault. */
		engine_end_as(r, RUN_END_TRIPLE_FAULT);
		snprintf(r->end_reason, sizeof(r->end_reason),
			 "the guest reset the machine (triple fault); last console line: '%s'", w->verdict.last_console);
	} else {
		engine_end_as(r, RUN_END_INTERNAL_ERROR);
		snprintf(r->end_reason, sizeof(r->end_reason), "QEMU exited with %d: %s", code, qerr);
	}
}

static void finish(pid_t pid, const struct qemu_watch *w, double timeout, struct run_result *r)
{
	if (w->timed_out || w->flooded)
		kill(pid, SIGKILL);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (w->timed_out) {
		engine_end_as(r, RUN_END_TIMEOUT);
		snprintf(r->end_reason, sizeof(r->end_reason), "no end after %.1f s; last console line: '%s'",
			 timeout, w->verdict.last_console);
	} else if (w->flooded) {
		engine_end_as(r, RUN_END_HOSTILE);
		snprintf(r->end_reason, sizeof(r->end_reason), "the guest wrote more than %u KiB to the console",
			 CONSOLE_BYTE_LIMIT >> 10);
	} else {
		map_exit_status(status, r, w);
		result_reject_repeated_verdicts(r);
	}
}

/* ---- the run ------------------------------------------------------------------------- */

static void identify_engine(const struct qemu_config *cfg, struct run_result *r)
{
	bool kvm = cfg->accel == QEMU_ACCEL_KVM;
	snprintf(r->engine, sizeof(r->engine), "%s", kvm ? "qemu-kvm" : "qemu-tcg");
	snprintf(r->backend, sizeof(r->backend), "%s", kvm ? backend_name(backend_detect("/sys")) : "tcg");
}

static bool environment_ready(const struct qemu_config *cfg, char *binary, size_t binlen)
{
	if (!qemu_find_binary(cfg->qemu_path, binary, binlen)) {
		fprintf(stderr, "entrybox: %s not found (install qemu-system-x86 or set ENTRYBOX_QEMU)\n",
			binary[0] ? binary : QEMU_BINARY);
		return false;
	}
	if (cfg->accel == QEMU_ACCEL_KVM && access("/dev/kvm", R_OK | W_OK) != 0) {
		fprintf(stderr, "entrybox: /dev/kvm is not usable (%s); try --accel tcg\n", strerror(errno));
		return false;
	}
	return true;
}

static void reset_run_fields(struct run_result *r)
{
	r->end = RUN_END_INTERNAL_ERROR;
	r->guest_exit_code = -1;
	r->exits = r->checks = r->syscall_repairs = 0;
	r->nviolations = 0;
	r->result_lines = 0;
	r->measure_name[0] = '\0';
	r->measure_iterations = r->measure_instructions = r->measure_exits = 0;
	r->outcome[0] = r->expected[0] = r->detail[0] = r->end_reason[0] = '\0';
}

enum run_verdict qemu_run(const struct qemu_config *cfg, struct run_result *r)
{
	char binary[4096] = "";
	if (!environment_ready(cfg, binary, sizeof(binary)))
		return RUN_VERDICT_ENVIRONMENT;
	reset_run_fields(r);
	identify_engine(cfg, r);

	struct qemu_argv a;
	build_argv(&a, binary, cfg);
	struct qemu_watch *w = calloc(1, sizeof(*w));
	if (!w) {
		fprintf(stderr, "entrybox: out of memory\n");
		return RUN_VERDICT_ENVIRONMENT;
	}
	w->r = r;
	console_init(&w->console, cfg->echo_serial ? stderr : NULL, console_line, w);
	console_verdict_init(&w->verdict);
	double timeout = cfg->timeout_seconds > 0 ? cfg->timeout_seconds : QEMU_DEFAULT_TIMEOUT;
	double start = now_seconds();
	int serial_fd = -1, err_fd = -1;
	char err[160];
	pid_t pid = spawn(&a, &serial_fd, &err_fd, err, sizeof(err));
	if (pid < 0) {
		fprintf(stderr, "entrybox: cannot start %s: %s\n", binary, err);
		free(w);
		return RUN_VERDICT_ENVIRONMENT;
	}
	pump(serial_fd, err_fd, start + timeout, w);
	console_flush(&w->console);
	close(serial_fd);
	close(err_fd);
	finish(pid, w, timeout, r);
	r->wall_seconds = now_seconds() - start;
	free(w);
	return result_verdict(r);
}
