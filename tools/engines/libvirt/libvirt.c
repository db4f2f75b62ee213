/* SPDX-License-Identifier: MIT */
/*
 * The libvirt engine: the same PVH guest and command line as a transient
 * domain on any libvirt host.  The domain is defined and watched through the
 * libvirt C API and its event loop; its serial port is a TCP client of a
 * socket we listen on (see libvirt_xml.c for why not a libvirt console
 * stream).  The domain starts paused and runs until it stops, the deadline
 * passes or the guest floods the console.  The guest is as untrusted here as
 * anywhere: console lines are bounded and the total output is capped.
 */
#include "engines/libvirt.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "console/console.h"
#include "engines/common.h"
#include "engines/libvirt_xml.h"
#include "entrybox/abi.h"
#include "host/backend.h"
#include "image.h"
#include "result/console_verdict.h"
#include "tcp_listen.h"

#define LIBVIRT_DEFAULT_TIMEOUT 60.0
#define LIBVIRT_MEMORY_MIB      64
/* Once the domain has stopped, the console socket may still hold the
 * guest's last bytes; this long we wait for its end of stream. */
#define LIBVIRT_DRAIN_MS        2000
#define LIBVIRT_NAME_MAX        64
#define LIBVIRT_CONSOLE_HOST    "127.0.0.1"
#define LIBVIRT_KEEPALIVE_S     3
#define LIBVIRT_KEEPALIVE_COUNT 3

/* Everything learnt while the domain runs; the event callbacks fill it. */
struct libvirt_watch {
	struct console console;
	struct console_verdict verdict;
	struct run_result *r;
	int drain_timer;
	int listen_fd, listen_watch;   /* where QEMU's serial port connects */
	int console_fd, console_watch; /* the one connection we take */
	bool console_done, stopped, drained, timed_out, flooded, conn_lost, loop_failed;
	int stop_detail;          /* virDomainEventStoppedDetailType */
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- URI lists ----------------------------------------------------------------------- */

/* Walks a comma-separated list; calls back with each item.  False when an
 * item is empty (",," or a trailing comma: a typo, not an intent). */
static bool uri_items(const char *list, bool (*each)(const char *item, size_t len, void *ctx), void *ctx)
{
	if (!list || !*list)
		return false;
	for (;;) {
		size_t n = strcspn(list, ",");
		if (n == 0 || !each(list, n, ctx))
			return false;
		if (list[n] == '\0')
			return true;
		list += n + 1;
	}
}

static bool count_item(const char *item, size_t len, void *ctx)
{
	(void)item;
	(void)len;
	unsigned *n = ctx;
	return ++*n <= LIBVIRT_URI_LIST_MAX;
}

unsigned libvirt_uri_count(const char *list)
{
	unsigned n = 0;
	return uri_items(list, count_item, &n) ? n : 0;
}

/* ---- libvirt set-up ------------------------------------------------------------------ */

/* libvirt prints every error to stderr by default; we print one line of our own. */
static void quiet_errors(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

static int event_loop_rc = -1;

static void event_loop_init(void)
{
	virSetErrorFunc(NULL, quiet_errors);
	/* Domain events and our socket watches need an event loop registered
	 * before the first connection is opened. */
	event_loop_rc = virEventRegisterDefaultImpl();
}

static bool event_loop_ready(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, event_loop_init);
	return event_loop_rc == 0;
}

/* A URI without a host names this machine's hypervisor. */
bool libvirt_uri_is_local(const char *uri)
{
	return !uri || strstr(uri, ":///") != NULL;
}

static const char *last_error(void)
{
	const char *msg = virGetLastErrorMessage();
	return msg && *msg ? msg : "unknown libvirt error";
}

/* Names must be unique on a host that several entrybox processes, on several
 * machines, may share. */
static void domain_name(char *out, size_t outlen)
{
	unsigned long long salt = 0;
	if (getrandom(&salt, sizeof(salt), GRND_NONBLOCK) != (ssize_t)sizeof(salt))
		salt = (unsigned long long)(now_seconds() * 1e9);
	snprintf(out, outlen, "entrybox-%ld-%016llx", (long)getpid(), salt);
}

/* ---- event callbacks ----------------------------------------------------------------- */

static void console_line(void *ctx, const char *line)
{
	struct libvirt_watch *w = ctx;
	console_verdict_line(&w->verdict, line, w->r);
}

static void console_finished(struct libvirt_watch *w)
{
	w->console_done = true;
	virEventUpdateHandle(w->console_watch, 0);
}

static void on_console(int watch, int fd, int events, void *opaque)
{
	(void)watch;
	struct libvirt_watch *w = opaque;
	char buf[4096];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;   /* drained for now */
		if (n <= 0) {
			console_finished(w);
			return;
		}
		if (!console_feed(&w->console, buf, (size_t)n)) {
			w->flooded = true;
			console_finished(w);
			return;
		}
	}
	if (events & (VIR_EVENT_HANDLE_ERROR | VIR_EVENT_HANDLE_HANGUP))
		console_finished(w);
}

/* QEMU connects once, while it sets up the paused domain; a later
 * connection is not QEMU's and is never read. */
static void on_listen(int watch, int fd, int events, void *opaque)
{
	(void)watch;
	(void)events;
	struct libvirt_watch *w = opaque;
	int conn = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (conn < 0)
		return;
	virEventUpdateHandle(w->listen_watch, 0);
	w->console_fd = conn;
	w->console_watch = virEventAddHandle(conn, VIR_EVENT_HANDLE_READABLE, on_console, w, NULL);
	if (w->console_watch < 0)
		w->console_done = true;
}

static void on_drain_timeout(int timer, void *opaque)
{
	(void)timer;
	struct libvirt_watch *w = opaque;
	w->drained = true;
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
	(void)conn;
	(void)dom;
	struct libvirt_watch *w = opaque;
	if (event != VIR_DOMAIN_EVENT_STOPPED || w->stopped)
		return 0;
	w->stopped = true;
	w->stop_detail = detail;
	w->drain_timer = virEventAddTimeout(LIBVIRT_DRAIN_MS, on_drain_timeout, w, NULL);
	if (w->drain_timer < 0)
		w->drained = true;
	return 0;
}

static void on_deadline(int timer, void *opaque)
{
	(void)timer;
	struct libvirt_watch *w = opaque;
	w->timed_out = true;
}

static void on_close(virConnectPtr conn, int reason, void *opaque)
{
	(void)conn;
	(void)reason;
	struct libvirt_watch *w = opaque;
	w->conn_lost = true;
}

static bool run_over(const struct libvirt_watch *w)
{
	return w->timed_out || w->flooded || w->conn_lost || w->loop_failed ||
	       (w->stopped && (w->console_done || w->drained));
}

/* ---- how it ended -------------------------------------------------------------------- */

/* QEMU left on its own (libvirt: stopped, "failed"): the guest wrote
 * isa-debug-exit, or QEMU itself died.  What the guest printed tells which. */
static void explain_own_exit(struct run_result *r, const struct libvirt_watch *w)
{
	int v = console_verdict_exit_code(&w->verdict, r);
	const char *last = w->verdict.last_console;
	if (v < 0) {
		engine_end_as(r, RUN_END_INTERNAL_ERROR);
		snprintf(r->end_reason, sizeof(r->end_reason),
			 "QEMU exited without a verdict from the guest (see the domain's log on the libvirt host); "
			 "last console line: '%.100s'", last);
		return;
	}
	r->end = RUN_END_GUEST_EXIT;
	r->guest_exit_code = v;
	if (r->result_lines > 0) {
		snprintf(r->end_reason, sizeof(r->end_reason), "guest exited with %d (%s), as its console says", v,
			 engine_guest_exit_name(v));
		return;
	}
	snprintf(r->outcome, sizeof(r->outcome), "no-result");
	snprintf(r->end_reason, sizeof(r->end_reason),
		 "guest exited with %d (%s) without a result line; last console line: '%.150s'", v,
		 engine_guest_exit_name(v), last);
}

static void explain_stop(struct run_result *r, const struct libvirt_watch *w)
{
	switch (w->stop_detail) {
	case VIR_DOMAIN_EVENT_STOPPED_FAILED:
		explain_own_exit(r, w);
		return;
	case VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN:
		/* Our guest never powers off; with on_reboot=destroy a reset ends the
		 * domain, and a reset is the CPU's shutdown after a triple fault. */
		engine_end_as(r, RUN_END_TRIPLE_FAULT);
		snprintf(r->end_reason, sizeof(r->end_reason),
			 "the guest reset the machine (triple fault); last console line: '%s'",
			 w->verdict.last_console);
		return;
	default:
		engine_end_as(r, RUN_END_INTERNAL_ERROR);
		snprintf(r->end_reason, sizeof(r->end_reason),
			 "the domain stopped from outside the run (libvirt stop detail %d)", w->stop_detail);
		return;
	}
}

static void explain_end(struct run_result *r, const struct libvirt_watch *w, double timeout)
{
	if (w->flooded) {
		engine_end_as(r, RUN_END_HOSTILE);
		snprintf(r->end_reason, sizeof(r->end_reason), "the guest wrote more than %u KiB to the console",
			 CONSOLE_BYTE_LIMIT >> 10);
	} else if (w->stopped) {
		explain_stop(r, w);
	} else if (w->timed_out) {
		engine_end_as(r, RUN_END_TIMEOUT);
		snprintf(r->end_reason, sizeof(r->end_reason), "no end after %.1f s; last console line: '%s'",
			 timeout, w->verdict.last_console);
	} else {
		engine_end_as(r, w->conn_lost ? RUN_END_HOST_LOST : RUN_END_INTERNAL_ERROR);
		snprintf(r->end_reason, sizeof(r->end_reason), "%s%.200s",
			 w->conn_lost ? "the connection to the libvirt host was lost: " : "the libvirt event loop failed",
			 w->conn_lost ? r->host : "");
	}
	result_reject_repeated_verdicts(r);
}

/* ---- the run ------------------------------------------------------------------------- */

/* Everything a run holds in libvirt, released in one place whatever happened. */
struct libvirt_session {
	virConnectPtr conn;
	virDomainPtr dom;
	int lifecycle_id, deadline_timer;
	bool close_cb;
};

static void session_release(struct libvirt_session *s, struct libvirt_watch *w)
{
	if (s->deadline_timer >= 0)
		virEventRemoveTimeout(s->deadline_timer);
	if (w->drain_timer >= 0)
		virEventRemoveTimeout(w->drain_timer);
	/* Also when the run failed half-way: no domain outlives its run. */
	if (s->dom && !w->stopped)
		virDomainDestroy(s->dom);
	if (s->dom)
		virDomainFree(s->dom);
	if (s->lifecycle_id >= 0)
		virConnectDomainEventDeregisterAny(s->conn, s->lifecycle_id);
	if (s->close_cb)
		virConnectUnregisterCloseCallback(s->conn, on_close);
	if (w->console_watch >= 0)
		virEventRemoveHandle(w->console_watch);
	if (w->listen_watch >= 0)
		virEventRemoveHandle(w->listen_watch);
	if (w->console_fd >= 0)
		close(w->console_fd);
	if (w->listen_fd >= 0)
		close(w->listen_fd);
}

static bool start_domain(struct libvirt_session *s, const struct libvirt_config *cfg, struct libvirt_watch *w)
{
	char name[LIBVIRT_NAME_MAX], err[PATH_MAX + 200], image[PATH_MAX];
	if (!libvirt_image_place(s->conn, cfg->uri, cfg->guest_path, cfg->image, libvirt_uri_is_local(cfg->uri), image,
				 sizeof(image), err, sizeof(err))) {
		fprintf(stderr, "entrybox: %s\n", err);
		return false;
	}
	domain_name(name, sizeof(name));
	const char *console_host = cfg->console_host ? cfg->console_host : LIBVIRT_CONSOLE_HOST;
	unsigned port = 0;
	w->listen_fd = tcp_listen_any_port(console_host, &port, err, sizeof(err));
	if (w->listen_fd < 0) {
		fprintf(stderr, "entrybox: no socket for the guest console: %s\n", err);
		return false;
	}
	w->listen_watch = virEventAddHandle(w->listen_fd, VIR_EVENT_HANDLE_READABLE, on_listen, w, NULL);
	if (w->listen_watch < 0) {
		fprintf(stderr, "entrybox: cannot watch the console socket: %s\n", last_error());
		return false;
	}
	struct libvirt_domain_spec spec = {
		.name = name,
		.guest_path = image,
		.cmdline = cfg->cmdline,
		.kvm = cfg->type == LIBVIRT_DOMAIN_KVM,
		/* kvm_pvm refuses KVM_SET_MSRS of IA32_ARCH_CAPABILITIES, and QEMU
		 * aborts on that; only a local backend can be looked up. */
		.no_arch_capabilities = libvirt_uri_is_local(cfg->uri) && backend_detect("/sys") == BACKEND_PVM,
		.vcpus = cfg->vcpus ? cfg->vcpus : 1,
		.memory_mib = LIBVIRT_MEMORY_MIB,
		.console_host = console_host,
		.console_port = port,
	};
	char *xml = libvirt_domain_xml(&spec);
	if (!xml) {
		fprintf(stderr, "entrybox: cannot describe the domain (guest path or command line unusable)\n");
		return false;
	}
	/* Paused, so nothing runs before we watch it; autodestroy, so the
	 * domain dies with our connection if we die. */
	s->dom = virDomainCreateXML(s->conn, xml, VIR_DOMAIN_START_PAUSED | VIR_DOMAIN_START_AUTODESTROY);
	free(xml);
	if (!s->dom) {
		bool hint = !cfg->console_host && !libvirt_uri_is_local(cfg->uri);
		fprintf(stderr, "entrybox: cannot start the libvirt domain: %s%s\n", last_error(),
			hint ? " (a remote host needs --console-host: an address of this machine it can reach)" : "");
		return false;
	}
	s->lifecycle_id = virConnectDomainEventRegisterAny(s->conn, s->dom, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
							    VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), w, NULL);
	if (s->lifecycle_id < 0) {
		fprintf(stderr, "entrybox: cannot watch the libvirt domain: %s\n", last_error());
		return false;
	}
	s->close_cb = virConnectRegisterCloseCallback(s->conn, on_close, w, NULL) == 0;
	return true;
}

static bool run_domain(struct libvirt_session *s, struct libvirt_watch *w, double timeout)
{
	int ms = timeout * 1000.0 > 2e9 ? 2000000000 : (int)(timeout * 1000.0);
	s->deadline_timer = virEventAddTimeout(ms, on_deadline, w, NULL);
	if (s->deadline_timer < 0 || virDomainResume(s->dom) < 0) {
		fprintf(stderr, "entrybox: cannot run the libvirt domain: %s\n", last_error());
		return false;
	}
	while (!run_over(w))
		if (virEventRunDefaultImpl() < 0)
			w->loop_failed = true;
	console_flush(&w->console);
	return true;
}

static void identify_engine(const struct libvirt_config *cfg, struct run_result *r)
{
	snprintf(r->engine, sizeof(r->engine), "libvirt");
	/* Only a local hypervisor's backend can be looked up here. */
	const char *backend = cfg->type != LIBVIRT_DOMAIN_KVM   ? "tcg"
			      : libvirt_uri_is_local(cfg->uri) ? backend_name(backend_detect("/sys"))
								 : "unknown";
	snprintf(r->backend, sizeof(r->backend), "%s", backend);
}

/* The URI as given, or the one libvirt's default resolved to. */
static void name_host(virConnectPtr conn, const struct libvirt_config *cfg, struct run_result *r)
{
	char *resolved = cfg->uri ? NULL : virConnectGetURI(conn);
	snprintf(r->host, sizeof(r->host), "%s", cfg->uri ? cfg->uri : resolved ? resolved : "");
	free(resolved);
}

static void reset_run_fields(struct run_result *r)
{
	r->host[0] = '\0';
	r->end = RUN_END_INTERNAL_ERROR;
	r->guest_exit_code = -1;
	r->exits = r->checks = r->syscall_repairs = 0;
	r->nviolations = 0;
	r->violation_occurrences = 0;
	r->result_lines = 0;
	r->measure_name[0] = '\0';
	r->measure_iterations = r->measure_instructions = r->measure_exits = 0;
	r->outcome[0] = r->expected[0] = r->detail[0] = r->end_reason[0] = '\0';
}

static enum run_verdict run_on(virConnectPtr conn, const struct libvirt_config *cfg, struct run_result *r,
			      struct libvirt_watch *w)
{
	double timeout = cfg->timeout_seconds > 0 ? cfg->timeout_seconds : LIBVIRT_DEFAULT_TIMEOUT;
	struct libvirt_session s = { .conn = conn, .lifecycle_id = -1, .deadline_timer = -1 };
	double start = now_seconds();
	bool ran = start_domain(&s, cfg, w) && run_domain(&s, w, timeout);
	session_release(&s, w);
	/* A host that goes away while the domain is being set up lost the run
	 * as much as one that goes away while it runs. */
	if (!ran && virConnectIsAlive(conn) != 1)
		w->conn_lost = ran = true;
	if (!ran)
		return RUN_VERDICT_ENVIRONMENT;
	explain_end(r, w, timeout);
	r->wall_seconds = now_seconds() - start;
	return result_verdict(r);
}

enum run_verdict libvirt_run(const struct libvirt_config *cfg, struct run_result *r)
{
	if (!event_loop_ready()) {
		fprintf(stderr, "entrybox: cannot set up the libvirt event loop: %s\n", last_error());
		return RUN_VERDICT_ENVIRONMENT;
	}
	reset_run_fields(r);
	identify_engine(cfg, r);
	struct libvirt_watch *w = calloc(1, sizeof(*w));
	if (!w) {
		fprintf(stderr, "entrybox: out of memory\n");
		return RUN_VERDICT_ENVIRONMENT;
	}
	w->r = r;
	w->drain_timer = w->listen_fd = w->listen_watch = w->console_fd = w->console_watch = -1;
	console_init(&w->console, cfg->echo_serial ? stderr : NULL, console_line, w);
	console_verdict_init(&w->verdict);
	virConnectPtr conn = virConnectOpen(cfg->uri);
	enum run_verdict status;
	if (!conn) {
		fprintf(stderr, "entrybox: cannot connect to libvirt at %s: %s\n", cfg->uri ? cfg->uri : "the default URI",
			last_error());
		status = RUN_VERDICT_ENVIRONMENT;
	} else {
		name_host(conn, cfg, r);
		/* A remote host that vanishes without closing the connection is
		 * noticed within seconds, not when TCP gives up. */
		if (!libvirt_uri_is_local(cfg->uri))
			virConnectSetKeepAlive(conn, LIBVIRT_KEEPALIVE_S, LIBVIRT_KEEPALIVE_COUNT);
		status = run_on(conn, cfg, r, w);
		virConnectClose(conn);
	}
	free(w);
	return status;
}

bool libvirt_host_reachable(const char *uri, char *err, size_t errlen)
{
	if (!event_loop_ready()) {
		snprintf(err, errlen, "cannot set up the libvirt event loop: %s", last_error());
		return false;
	}
	virConnectPtr conn = virConnectOpen(uri);
	bool alive = conn && virConnectIsAlive(conn) == 1;
	if (!alive)
		snprintf(err, errlen, "%s", last_error());
	if (conn)
		virConnectClose(conn);
	return alive;
}

bool libvirt_prepare_image(const char *uri, const char *local_path, enum libvirt_image_mode mode, char *out,
			   size_t outlen, char *err, size_t errlen)
{
	if (!event_loop_ready()) {
		snprintf(err, errlen, "cannot set up the libvirt event loop: %s", last_error());
		return false;
	}
	virConnectPtr conn = virConnectOpen(uri);
	if (!conn) {
		snprintf(err, errlen, "cannot connect to libvirt at %s: %s", uri ? uri : "the default URI", last_error());
		return false;
	}
	bool ok = libvirt_image_place(conn, uri, local_path, mode, libvirt_uri_is_local(uri), out, outlen, err, errlen);
	virConnectClose(conn);
	return ok;
}
