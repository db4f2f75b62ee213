/* SPDX-License-Identifier: MIT */
#include "test_hosts.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SUBNET_TRIES 100

static bool find_ip(char *out, size_t len)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(out, len, "%s/ip", dirs[i]);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

/* Runs `ip ARGS...` quietly; its output (if out) into out.  Returns its exit status, -1 if it did not run. */
static int ip_run(char *out, size_t outlen, const char *const *args)
{
	char ip[64];
	if (!find_ip(ip, sizeof(ip)))
		return -1;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(fds[1], 1);
		dup2(null, 2);
		const char *argv[16] = { ip };
		for (int i = 0; args[i] && i < 14; i++)
			argv[i + 1] = args[i];
		execv(ip, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	size_t used = 0;
	char buf[512];
	ssize_t n;
	while ((n = read(fds[0], buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n && out && used + 1 < outlen; i++)
			out[used++] = buf[i];
	if (out && outlen)
		out[used] = '\0';
	close(fds[0]);
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define IP(...) ip_run(NULL, 0, (const char *const[]){ __VA_ARGS__, NULL })

/* A 10.R.0.0/16 that no address or route of this machine touches. */
static int free_subnet(void)
{
	static char seen[16384];
	char routes[8192];
	if (ip_run(seen, sizeof(seen), (const char *const[]){ "-4", "-o", "addr", "show", NULL }) != 0 ||
	    ip_run(routes, sizeof(routes), (const char *const[]){ "-4", "route", "show", "table", "all", NULL }) != 0)
		return -1;
	strncat(seen, routes, sizeof(seen) - strlen(seen) - 1);
	for (int i = 0; i < SUBNET_TRIES; i++) {
		int r = 100 + (int)((getpid() + i) % 150);
		char prefix[16];
		snprintf(prefix, sizeof(prefix), " 10.%d.", r);
		char bare[16];
		snprintf(bare, sizeof(bare), "\n10.%d.", r);
		if (!strstr(seen, prefix) && !strstr(seen, bare) && strncmp(seen, bare + 1, strlen(bare + 1)) != 0)
			return r;
	}
	return -1;
}

static void name_hosts(struct test_hosts *h, unsigned n, int r)
{
	h->n = n;
	for (unsigned i = 0; i < n; i++) {
		struct test_host *t = &h->host[i];
		snprintf(t->netns, sizeof(t->netns), "ebx%ldh%u", (long)getpid() % 10000000, i);
		snprintf(t->link_here, sizeof(t->link_here), "ebx%ldh%ua", (long)getpid() % 10000000, i);
		snprintf(t->link_there, sizeof(t->link_there), "ebx%ldh%ub", (long)getpid() % 10000000, i);
		snprintf(t->addr_here, sizeof(t->addr_here), "10.%d.%u.1", r, i + 1);
		snprintf(t->addr_there, sizeof(t->addr_there), "10.%d.%u.2", r, i + 1);
	}
}

/* Kills every process in the namespace, by PID: what a killed daemon left
 * behind (QEMU keeps running when its libvirtd dies). */
static void kill_inside(const struct test_host *t)
{
	char pids[4096];
	if (ip_run(pids, sizeof(pids), (const char *const[]){ "netns", "pids", t->netns, NULL }) != 0)
		return;
	for (char *save = NULL, *p = strtok_r(pids, "\n", &save); p; p = strtok_r(NULL, "\n", &save)) {
		long pid = strtol(p, NULL, 10);
		if (pid > 1 && pid != getpid())
			kill((pid_t)pid, SIGKILL);
	}
}

static void remove_all(const struct test_hosts *h)
{
	for (unsigned i = 0; i < h->n; i++) {
		const struct test_host *t = &h->host[i];
		kill_inside(t);
		/* Deleting the namespace takes its end of the pair and so the pair. */
		IP("netns", "del", t->netns);
		IP("link", "del", t->link_here);
	}
}

/* Outlives the test if it must: when the test's end of the pipe closes, for
 * whatever reason, everything named is removed. */
static void janitor_main(const struct test_hosts *h, int fd)
{
	for (int other = 3; other < 1024; other++)
		if (other != fd)
			close(other);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	char byte;
	while (read(fd, &byte, 1) != 0 && errno == EINTR)
		;
	remove_all(h);
	_exit(0);
}

static bool start_janitor(struct test_hosts *h)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		return false;
	h->janitor = fork();
	if (h->janitor == 0) {
		close(fds[1]);
		janitor_main(h, fds[0]);
	}
	close(fds[0]);
	if (h->janitor < 0) {
		close(fds[1]);
		h->janitor = 0;
		return false;
	}
	h->janitor_fd = fds[1];
	return true;
}

static int fail(struct test_hosts *h, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct test_hosts *h, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(h->why, sizeof(h->why), fmt, ap);
	va_end(ap);
	return rc;
}

static int make_host(struct test_hosts *h, const struct test_host *t)
{
	char net[32], peer[32];
	snprintf(net, sizeof(net), "%s/24", t->addr_here);
	snprintf(peer, sizeof(peer), "%s/24", t->addr_there);
	if (IP("netns", "add", t->netns) != 0)
		return fail(h, -1, "ip netns add %s failed", t->netns);
	if (IP("link", "add", t->link_here, "type", "veth", "peer", "name", t->link_there, "netns", t->netns) != 0 ||
	    IP("addr", "add", net, "dev", t->link_here) != 0 || IP("link", "set", t->link_here, "up") != 0 ||
	    IP("-n", t->netns, "addr", "add", peer, "dev", t->link_there) != 0 ||
	    IP("-n", t->netns, "link", "set", t->link_there, "up") != 0 ||
	    IP("-n", t->netns, "link", "set", "lo", "up") != 0 ||
	    /* Back to this machine through its end; another host's address here
	     * (the console host) is local to this machine and answered as such. */
	    IP("-n", t->netns, "route", "add", "default", "via", t->addr_here) != 0)
		return fail(h, -1, "cannot wire test host %s (ip link/addr/route failed)", t->netns);
	return 0;
}

int test_hosts_create(struct test_hosts *h, unsigned n)
{
	memset(h, 0, sizeof(*h));
	h->janitor_fd = -1;
	char ip[64];
	if (geteuid() != 0)
		return fail(h, TEST_HOSTS_SKIP, "network namespaces need root");
	if (!find_ip(ip, sizeof(ip)))
		return fail(h, TEST_HOSTS_SKIP, "no ip command (install iproute2)");
	if (n == 0 || n > TEST_HOSTS_MAX)
		return fail(h, -1, "%u hosts asked, at most %d", n, TEST_HOSTS_MAX);
	int r = free_subnet();
	if (r < 0)
		return fail(h, -1, "no free 10.R.0.0/16 subnet for test hosts");
	name_hosts(h, n, r);
	if (!start_janitor(h))
		return fail(h, -1, "cannot start the janitor: %s", strerror(errno));
	mkdir("/run/netns", 0755);
	for (unsigned i = 0; i < n; i++) {
		int rc = make_host(h, &h->host[i]);
		if (rc != 0)
			return i == 0 && IP("netns", "list") != 0 ? fail(h, TEST_HOSTS_SKIP, "no network namespaces") : rc;
	}
	return 0;
}

void test_hosts_destroy(struct test_hosts *h)
{
	remove_all(h);
	if (h->janitor_fd >= 0) {
		close(h->janitor_fd);
		h->janitor_fd = -1;
	}
	if (h->janitor > 0) {
		waitpid(h->janitor, NULL, 0);
		h->janitor = 0;
	}
}

bool test_hosts_left_over(const struct test_hosts *h)
{
	char list[4096], links[16384];
	if (ip_run(list, sizeof(list), (const char *const[]){ "netns", "list", NULL }) != 0 ||
	    ip_run(links, sizeof(links), (const char *const[]){ "-o", "link", "show", NULL }) != 0)
		return true;
	for (unsigned i = 0; i < h->n; i++) {
		char netns[32], link[24];
		snprintf(netns, sizeof(netns), "%s", h->host[i].netns);
		snprintf(link, sizeof(link), " %s@", h->host[i].link_here);
		/* Names are followed by " (id: N)" or end the line. */
		for (char *p = strstr(list, netns); p; p = strstr(p + 1, netns))
			if ((p == list || p[-1] == '\n') && (p[strlen(netns)] == ' ' || p[strlen(netns)] == '\n' ||
							      !p[strlen(netns)]))
				return true;
		if (strstr(links, link))
			return true;
	}
	return false;
}
