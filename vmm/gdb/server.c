/* SPDX-License-Identifier: MIT */
/*
 * The stub's socket and its thread.  The socket is bound before the run
 * starts (and before the VMM confines itself); from then on the thread only
 * polls, accepts, receives and sends.  One gdb at a time: a second connection
 * is closed at once.  A peer that disconnects -- between packets or in the
 * middle of a step -- is a detach: its breakpoints go and the run goes on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stub_internal.h"

#define RECV_CHUNK 4096

/* ---- sending ---------------------------------------------------------------------------------------- */

/* write(2), not send(2): a vCPU thread serving gdb may use no more than that.
 * SIGPIPE is blocked on every thread that writes here (block_sigpipe). */
static void send_all(void *io, const char *bytes, size_t len)
{
	struct gdb_stub *g = io;
	while (len > 0 && g->client_fd >= 0 && !g->peer_gone) {
		ssize_t n = write(g->client_fd, bytes, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* The peer is gone: the thread lets the run go once this reply is over. */
			g->peer_gone = true;
			return;
		}
		profile_bytes_out(&g->profile, (size_t)n);
		bytes += n;
		len -= (size_t)n;
	}
}

/* A peer that has gone makes a write fail with EPIPE instead of killing the
 * process.  Once per thread: a vCPU that serves gdb comes here at every stop. */
static void block_sigpipe(void)
{
	static __thread bool blocked;
	if (blocked)
		return;
	blocked = true;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* ---- the connection ----------------------------------------------------------------------------------- */

static void close_client(struct gdb_stub *g)
{
	if (g->client_fd >= 0)
		close(g->client_fd);
	g->client_fd = -1;
}

static void attach(struct gdb_stub *g, int fd)
{
	g->client_fd = fd;
	g->peer_gone = false;
	gdb_conn_init(g->conn, &gdb_session_ops, g, send_all, g);
	pthread_mutex_lock(&g->lock);
	g->client = true;
	g->let_go = false;
	control_update_clock(g);
	pthread_mutex_unlock(&g->lock);
	/* gdb expects a stopped target when it connects. */
	control_request_stop(g);
}

static void accept_client(struct gdb_stub *g)
{
	int fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (g->client_fd >= 0) {
		session_say(g->s, "gdb: a second debugger was turned away (one at a time)");
		close(fd);
		return;
	}
	attach(g, fd);
}

static void leave(struct gdb_stub *g)
{
	pthread_mutex_lock(&g->conn_lock);
	profile_say(&g->profile, g->s);
	close_client(g);
	pthread_mutex_unlock(&g->conn_lock);
	control_let_go(g);
}

static bool vcpu_serves(struct gdb_stub *g)
{
	pthread_mutex_lock(&g->lock);
	bool serving = g->vcpu_serving;
	pthread_mutex_unlock(&g->lock);
	return serving;
}

static void read_client(struct gdb_stub *g)
{
	uint8_t buf[RECV_CHUNK];
	pthread_mutex_lock(&g->conn_lock);
	if (vcpu_serves(g)) {
		pthread_mutex_unlock(&g->conn_lock);
		return;
	}
	/* Never blocking: a vCPU that served gdb meanwhile may have read what poll saw. */
	ssize_t n = recv(g->client_fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
		pthread_mutex_unlock(&g->conn_lock);
		return;
	}
	if (n <= 0) {
		g->peer_gone = true;
	} else {
		uint64_t t = profile_stamp(&g->profile);
		profile_bytes_in(&g->profile, buf, (size_t)n);
		gdb_conn_input(g->conn, buf, (size_t)n);
		profile_add(&g->profile, PROFILE_STUB, t);
	}
	pthread_mutex_unlock(&g->conn_lock);
}

void server_tell_stop(struct gdb_stub *g, const struct gdb_stop *stop)
{
	g->profile.stops++;
	uint64_t t = profile_stamp(&g->profile);
	gdb_conn_stopped(g->conn, stop);
	profile_add(&g->profile, PROFILE_STUB, t);
}

bool server_lead(struct gdb_stub *g, struct vcpu_state *v)
{
	pthread_mutex_lock(&g->conn_lock);
	pthread_mutex_lock(&g->lock);
	bool lead = control_all_parked(g) && g->client && g->client_fd >= 0 && !g->peer_gone && !g->conn->ended &&
		    (!g->vcpu_serving || g->serving_cpu == v->vcpu.index);
	bool fresh = lead && !g->stopped;
	if (lead) {
		g->vcpu_serving = true;
		g->serving_cpu = v->vcpu.index;
		g->hand_back = false;
	}
	if (fresh)
		control_take_stop(g);
	pthread_mutex_unlock(&g->lock);
	if (!lead) {
		pthread_mutex_unlock(&g->conn_lock);
		return false;
	}
	block_sigpipe();
	if (fresh) {
		profile_phase(&g->profile, PROFILE_STOP);
		server_tell_stop(g, &g->last);
	}
	uint8_t buf[RECV_CHUNK];
	while (!g->conn->running && !g->conn->ended && !g->peer_gone && !g->hand_back &&
	       !atomic_load(&g->s->done)) {
		uint64_t t = profile_stamp(&g->profile);
		ssize_t n = read(g->client_fd, buf, sizeof(buf));
		profile_add(&g->profile, PROFILE_PEER, t);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			g->peer_gone = true;
			break;
		}
		t = profile_stamp(&g->profile);
		profile_bytes_in(&g->profile, buf, (size_t)n);
		gdb_conn_input(g->conn, buf, (size_t)n);
		profile_add(&g->profile, PROFILE_STUB, t);
	}
	if (g->conn->running)
		profile_phase(&g->profile, PROFILE_RESUMED);
	bool back = g->hand_back || g->peer_gone || g->conn->ended || atomic_load(&g->s->done);
	if (back) {
		pthread_mutex_lock(&g->lock);
		g->vcpu_serving = false;
		pthread_mutex_unlock(&g->lock);
	}
	pthread_mutex_unlock(&g->conn_lock);
	/* The connection thread polls the socket again (or closes it). */
	if (back)
		control_wake_connection(g);
	return true;
}

/* ---- stops ---------------------------------------------------------------------------------------------- */

/* The first line of a message, for a notice on stderr. */
static void first_line(const char *text, char *out, size_t len)
{
	size_t n = strcspn(text, "\n");
	snprintf(out, len, "%.*s", (int)n, text);
}

static void vm_stopped(struct gdb_stub *g)
{
	uint64_t count;
	if (read(g->wake_fd, &count, sizeof(count)) < 0) {
		/* Nothing was pending: a wake-up that another already consumed. */
	}
	pthread_mutex_lock(&g->lock);
	bool now = !g->stopped && control_all_parked(g) && !atomic_load(&g->s->done) && !g->vcpu_serving;
	if (now)
		control_take_stop(g);
	bool client = g->client;
	pthread_mutex_unlock(&g->lock);
	if (!now)
		return;
	if (client) {
		server_tell_stop(g, &g->last);
		return;
	}
	char line[200];
	first_line(g->last.message[0] ? g->last.message : "entrybox: the VM is stopped", line, sizeof(line));
	/* The stop's own line leads (it names itself), so not session_say. */
	if (g->s->cfg->diag)
		fprintf(g->s->cfg->diag, "%s -- waiting for gdb at %s\n", line, g->where);
}

static void run_ended(struct gdb_stub *g)
{
	profile_say(&g->profile, g->s);
	if (g->client_fd < 0)
		return;
	struct gdb_stop end = { .why = GDB_WHY_EXITED, .code = g->exit_status };
	gdb_conn_stopped(g->conn, &end);
	close_client(g);
}

/* ---- the thread ------------------------------------------------------------------------------------------ */

static void *serve(void *arg)
{
	struct gdb_stub *g = arg;
	/* Confined with the whole process once the run is set up (host/confine.h). */
	block_sigpipe();
	while (!atomic_load(&g->quit)) {
		struct pollfd fds[3] = {
			{ .fd = g->wake_fd, .events = POLLIN },
			{ .fd = g->listen_fd, .events = POLLIN },
			{ .fd = g->client_fd, .events = POLLIN },
		};
		/* While a vCPU serves gdb, the socket is its to read. */
		nfds_t n = g->client_fd >= 0 && !vcpu_serves(g) ? 3 : 2;
		if (poll(fds, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			session_say(g->s, "gdb: poll: %s", strerror(errno));
			break;
		}
		if (fds[0].revents)
			vm_stopped(g);
		if (fds[1].revents & POLLIN)
			accept_client(g);
		if (n == 3 && g->client_fd >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR)))
			read_client(g);
		if (g->client_fd >= 0 && (g->peer_gone || g->conn->ended) && !vcpu_serves(g))
			leave(g);
	}
	run_ended(g);
	return NULL;
}

/* ---- set-up ------------------------------------------------------------------------------------------------ */

bool server_listen(struct gdb_stub *g, char *err, size_t errlen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(g->cfg.port) };
	if (inet_pton(AF_INET, g->cfg.host, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "--gdb: '%s' is not an IPv4 address", g->cfg.host);
		return false;
	}
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* TCP_NODELAY on the listening socket carries over to the accepted one:
	 * a step is a few small packets each way, and Nagle would hold them back. */
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		snprintf(err, errlen, "--gdb %s:%u: %s", g->cfg.host, g->cfg.port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	socklen_t len = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	snprintf(g->where, sizeof(g->where), "%s:%u", g->cfg.host, ntohs(sa.sin_port));
	g->listen_fd = fd;
	return true;
}

bool server_start(struct gdb_stub *g, char *err, size_t errlen)
{
	g->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->conn = calloc(1, sizeof(*g->conn));
	if (g->wake_fd < 0 || !g->conn) {
		snprintf(err, errlen, "gdb: %s", g->wake_fd < 0 ? strerror(errno) : "out of memory");
		return false;
	}
	if (pthread_create(&g->thread, NULL, serve, g) != 0) {
		snprintf(err, errlen, "gdb: cannot start the connection thread");
		return false;
	}
	g->thread_started = true;
	return true;
}

void server_stop(struct gdb_stub *g)
{
	if (g->thread_started) {
		atomic_store(&g->quit, true);
		control_wake_connection(g);
		pthread_join(g->thread, NULL);
		g->thread_started = false;
	}
	close_client(g);
	if (g->listen_fd >= 0)
		close(g->listen_fd);
	if (g->wake_fd >= 0)
		close(g->wake_fd);
	g->listen_fd = g->wake_fd = -1;
	free(g->conn);
	g->conn = NULL;
}
