/* SPDX-License-Identifier: MIT */
#include "gdb_session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAIT_SECONDS   180
#define GDB_OUT_MAX    (1 << 20)

static const char *env_or_die(const char *name)
{
	const char *v = getenv(name);
	if (!v) {
		fprintf(stderr, "%s is not set\n", name);
		exit(2);
	}
	return v;
}

void gdb_session_require_gdb(void)
{
	if (system("command -v gdb >/dev/null 2>&1") != 0) {
		printf("SKIP: gdb is not installed (tools/setup.sh installs it)\n");
		fflush(stdout);
		exit(77);
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads what is there of entrybox's stderr, waiting up to ms for the first byte. */
static void drain(struct gdb_session *s, int ms)
{
	struct pollfd p = { .fd = s->err_fd, .events = POLLIN };
	while (poll(&p, 1, ms) > 0) {
		size_t room = sizeof(s->stderr_text) - 1 - s->stderr_len;
		ssize_t n = read(s->err_fd, s->stderr_text + s->stderr_len, room ? room : 1);
		if (n <= 0)
			break;
		if (room)
			s->stderr_len += (size_t)n;
		s->stderr_text[s->stderr_len] = '\0';
		ms = 0;
	}
}

const char *gdb_session_stderr(struct gdb_session *s, int ms)
{
	drain(s, ms);
	return s->stderr_text;
}

void gdb_session_start(struct gdb_session *s, const char *const *args, bool wait)
{
	memset(s, 0, sizeof(*s));
	s->status = -1;
	snprintf(s->json_path, sizeof(s->json_path), "/tmp/ebx-gdb-json-XXXXXX");
	int jfd = mkstemp(s->json_path);
	int pipefd[2];
	if (jfd < 0 || pipe2(pipefd, O_CLOEXEC) < 0) {
		perror("gdb_session_start");
		exit(2);
	}
	close(jfd);
	const char *argv[64];
	int n = 0;
	argv[n++] = env_or_die("ENTRYBOX_BIN");
	argv[n++] = "run";
	bool limited = false;
	for (int i = 0; args[i] && n < 56; i++) {
		limited |= strcmp(args[i], "--timeout") == 0;
		argv[n++] = args[i];
	}
	argv[n++] = "--gdb";
	argv[n++] = "127.0.0.1:0";
	if (wait)
		argv[n++] = "--gdb-wait";
	/* A run nobody attaches to (a gdb that could not connect) ends anyway. */
	if (!limited) {
		argv[n++] = "--timeout";
		argv[n++] = "60";
	}
	argv[n++] = "--json";
	argv[n++] = s->json_path;
	argv[n] = NULL;
	s->pid = fork();
	if (s->pid == 0) {
		dup2(pipefd[1], 2);
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	s->err_fd = pipefd[0];
	double until = now() + 30;
	const char *mark = "gdb: listening on 127.0.0.1:";
	while (now() < until) {
		drain(s, 100);
		const char *at = strstr(s->stderr_text, mark);
		if (at && strchr(at, '\n')) {
			s->port = atoi(at + strlen(mark));
			return;
		}
		if (waitpid(s->pid, &s->status, WNOHANG) == s->pid)
			break;
	}
	fprintf(stderr, "entrybox did not start listening: %s\n", s->stderr_text);
}

/* waitpid with a deadline: a child that outlives it is killed. */
static int wait_child(pid_t pid, int seconds)
{
	double until = now() + seconds;
	int wst = 0;
	while (waitpid(pid, &wst, WNOHANG) == 0) {
		if (now() > until) {
			kill(pid, SIGKILL);
			waitpid(pid, &wst, 0);
			return -1;
		}
		usleep(10000);
	}
	return WIFEXITED(wst) ? WEXITSTATUS(wst) : -1;
}

void gdb_session_gdb(struct gdb_session *s, const char *script)
{
	char path[] = "/tmp/ebx-gdb-script-XXXXXX";
	char out_path[] = "/tmp/ebx-gdb-out-XXXXXX";
	int sfd = mkstemp(path), ofd = mkstemp(out_path);
	if (sfd < 0 || ofd < 0) {
		perror("mkstemp");
		exit(2);
	}
	FILE *f = fdopen(sfd, "w");
	for (const char *p = script; *p;) {
		if (strncmp(p, "PORT", 4) == 0) {
			fprintf(f, "%d", s->port);
			p += 4;
		} else {
			fputc(*p++, f);
		}
	}
	fclose(f);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(ofd, 1);
		dup2(ofd, 2);
		execlp("gdb", "gdb", "-nx", "-batch", "-x", path, env_or_die("ENTRYBOX_GUEST"), (char *)NULL);
		_exit(127);
	}
	s->gdb_status = wait_child(pid, WAIT_SECONDS);
	/* gdb failed (it could not connect, a command broke): the run would only
	 * wait for it until its time limit. */
	if (s->gdb_status != 0 && s->pid > 0)
		kill(s->pid, SIGTERM);
	free(s->gdb_out);
	s->gdb_out = calloc(1, GDB_OUT_MAX + 1);
	ssize_t got = pread(ofd, s->gdb_out, GDB_OUT_MAX, 0);
	s->gdb_out[got > 0 ? got : 0] = '\0';
	close(ofd);
	unlink(path);
	unlink(out_path);
	drain(s, 0);
}

void gdb_session_finish(struct gdb_session *s)
{
	if (s->pid > 0) {
		s->status = wait_child(s->pid, WAIT_SECONDS);
		s->pid = 0;
	}
	drain(s, 0);
	s->json = json_object_from_file(s->json_path);
}

void gdb_session_free(struct gdb_session *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	if (s->json)
		json_object_put(s->json);
	if (s->err_fd > 0)
		close(s->err_fd);
	unlink(s->json_path);
	free(s->gdb_out);
	memset(s, 0, sizeof(*s));
}

bool gdb_session_value(const struct gdb_session *s, const char *key, unsigned nth, uint64_t *v)
{
	char mark[64];
	snprintf(mark, sizeof(mark), "%s=", key);
	const char *p = s->gdb_out;
	for (unsigned i = 0; p && i <= nth; i++) {
		p = strstr(p, mark);
		if (p && i < nth)
			p += strlen(mark);
	}
	if (!p)
		return false;
	char *end;
	errno = 0;
	*v = strtoull(p + strlen(mark), &end, 16);
	return errno == 0 && end != p + strlen(mark);
}
