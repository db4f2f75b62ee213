/* SPDX-License-Identifier: MIT */
#include "bench_gdb.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/guest_image.h"

#define ARGS_MAX        40
#define START_SECONDS   30.0
#define SESSION_SECONDS 600.0
#define LISTEN_MARK     "gdb: listening on "
#define TIME_MARK       "ENTRYBOX_STEPI_SECONDS="
#define PROFILE_MARK    "gdb: profile over "

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool gdb_installed(char *path, size_t len)
{
	const char *dirs = getenv("PATH");
	for (const char *p = dirs && *dirs ? dirs : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");
		if ((size_t)snprintf(path, len, "%.*s/gdb", (int)n, p) < len && access(path, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

/* waitpid with a deadline; a child that outlives it is killed.  Its status, -1 if killed. */
static int reap(pid_t pid, double seconds)
{
	double until = now() + seconds;
	int st = 0;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (now() > until) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		usleep(5000);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static pid_t start(const char **argv, int out_fd, int err_fd, bool profile)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	if (profile && setenv("ENTRYBOX_GDB_PROFILE", "1", 1) != 0)
		_exit(127);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out_fd >= 0 ? out_fd : null, 1) < 0 ||
	    dup2(err_fd >= 0 ? err_fd : null, 2) < 0)
		_exit(127);
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

/* The entrybox child, its stderr (a file: a pipe closed early would kill it,
 * left open in *err_fd) read until it says where its stub listens. */
static pid_t start_stub(const char *const *args, bool profile, int *err_fd, char *endpoint, size_t len, char *note,
			size_t nlen)
{
	char exe[PATH_MAX], err_path[] = "/tmp/entrybox-bench-gdb-err-XXXXXX";
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int efd = mkstemp(err_path);
	if (n <= 0 || efd < 0) {
		snprintf(note, nlen, "cannot start entrybox: %s", strerror(errno));
		if (efd >= 0)
			close(efd);
		return -1;
	}
	unlink(err_path);
	exe[n] = '\0';
	const char *argv[ARGS_MAX + 6];
	int argc = 0;
	argv[argc++] = exe;
	for (int i = 0; args[i] && argc < ARGS_MAX; i++)
		argv[argc++] = args[i];
	argv[argc++] = "--gdb";
	argv[argc++] = "127.0.0.1:0";
	argv[argc++] = "--gdb-wait";
	argv[argc] = NULL;
	pid_t pid = start(argv, -1, efd, profile);
	char text[4096] = "";
	double until = now() + START_SECONDS;
	while (pid > 0 && now() < until) {
		ssize_t got = pread(efd, text, sizeof(text) - 1, 0);
		text[got > 0 ? got : 0] = '\0';
		const char *at = strstr(text, LISTEN_MARK);
		if (at && strchr(at, '\n')) {
			snprintf(endpoint, len, "%.*s", (int)strcspn(at + strlen(LISTEN_MARK), " \n"),
				 at + strlen(LISTEN_MARK));
			*err_fd = efd;
			return pid;
		}
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			pid = -1;
			break;
		}
		usleep(10000);
	}
	close(efd);
	snprintf(note, nlen, "'%s %s' did not open its gdb stub: %.120s", args[0], args[1], text);
	if (pid > 0)
		reap(pid, 0);
	return -1;
}

static bool write_script(char *path, const char *endpoint, unsigned steps)
{
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f)
		return false;
	fprintf(f,
		"set pagination off\n"
		"target remote %s\n"
		"break " BENCH_GDB_FROM "\n"
		"continue\n"
		"delete\n"
		"python import time; entrybox_t0 = time.time()\n"
		"stepi %u\n"
		"python print(\"" TIME_MARK "%%.6f\" %% (time.time() - entrybox_t0))\n"
		"kill\n",
		endpoint, steps);
	return fclose(f) == 0;
}

/* The stub's profile line ("... us: resume A, step B (...), to the stop C,
 * stub D, waiting for gdb E") from the entrybox child's stderr. */
static bool read_split(int err_fd, struct bench_gdb_split *split)
{
	char text[16384];
	ssize_t n = pread(err_fd, text, sizeof(text) - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	const char *at = strstr(text, PROFILE_MARK);
	const char *us = at ? strstr(at, " us: ") : NULL;
	const char *stop = us ? strstr(us, "), to the stop ") : NULL;
	double resume, step, to_stop, stub, peer;
	if (!stop || sscanf(us, " us: resume %lf, step %lf", &resume, &step) != 2 ||
	    sscanf(stop, "), to the stop %lf, stub %lf, waiting for gdb %lf", &to_stop, &stub, &peer) != 3)
		return false;
	split->vmm_us = resume + step + to_stop + stub;
	split->gdb_us = peer;
	return true;
}

int bench_gdb_stepi(const char *const *args, unsigned steps, double *us_per_step, struct bench_gdb_split *split,
		    bool *absent, char *note, size_t len)
{
	char gdb[PATH_MAX], guest[PATH_MAX], endpoint[96];
	char script[] = "/tmp/entrybox-bench-gdb-XXXXXX", out[] = "/tmp/entrybox-bench-gdb-out-XXXXXX";
	*absent = false;
	if (!gdb_installed(gdb, sizeof(gdb))) {
		*absent = true;
		snprintf(note, len, "gdb is not installed (tools/setup.sh installs it)");
		return -1;
	}
	if (guest_image_resolve(NULL, guest, sizeof(guest)) != 0) {
		snprintf(note, len, "no guest image");
		return -1;
	}
	int err_fd = -1;
	pid_t stub = start_stub(args, split != NULL, &err_fd, endpoint, sizeof(endpoint), note, len);
	if (stub < 0)
		return -1;
	int ofd = mkstemp(out);
	int rc = -1;
	if (ofd >= 0 && write_script(script, endpoint, steps)) {
		const char *argv[] = { gdb, "-nx", "-batch", "-x", script, guest, NULL };
		pid_t g = start(argv, ofd, ofd, false);
		reap(g, SESSION_SECONDS);
		char text[65536];
		ssize_t n = pread(ofd, text, sizeof(text) - 1, 0);
		text[n > 0 ? n : 0] = '\0';
		const char *at = strstr(text, TIME_MARK);
		double seconds = at ? strtod(at + strlen(TIME_MARK), NULL) : 0;
		if (seconds > 0) {
			*us_per_step = seconds * 1e6 / steps;
			rc = 0;
		} else {
			*absent = strstr(text, "Python scripting is not supported") != NULL;
			snprintf(note, len, "gdb measured nothing: %.150s", text[0] ? text : "(no output)");
		}
		unlink(script);
	} else {
		snprintf(note, len, "cannot write the gdb script: %s", strerror(errno));
	}
	if (ofd >= 0) {
		close(ofd);
		unlink(out);
	}
	reap(stub, START_SECONDS);
	/* The stub says its profile once gdb has left. */
	if (rc == 0 && split && !read_split(err_fd, split)) {
		snprintf(note, len, "the stub printed no profile (ENTRYBOX_GDB_PROFILE)");
		rc = -1;
	}
	close(err_fd);
	return rc;
}
