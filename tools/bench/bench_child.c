/* SPDX-License-Identifier: MIT */
#include "bench_child.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILD_ARGS_MAX 48

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void exec_child(const char **argv)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
		_exit(127);
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

void bench_child_run(const char *const *args, int with_json, struct bench_child *out)
{
	memset(out, 0, sizeof(*out));
	out->status = -1;
	char exe[PATH_MAX], json_path[] = "/tmp/entrybox-bench-XXXXXX";
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	int jfd = with_json ? mkstemp(json_path) : -1;
	if (with_json && jfd < 0)
		return;
	const char *argv[CHILD_ARGS_MAX + 4];
	int argc = 0;
	argv[argc++] = exe;
	for (int i = 0; args[i] && argc < CHILD_ARGS_MAX; i++)
		argv[argc++] = args[i];
	if (with_json) {
		argv[argc++] = "--json";
		argv[argc++] = json_path;
	}
	argv[argc] = NULL;
	double t0 = now();
	pid_t pid = fork();
	if (pid == 0)
		exec_child(argv);
	int st = 0;
	if (pid > 0 && waitpid(pid, &st, 0) == pid) {
		out->wall_seconds = now() - t0;
		out->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	}
	if (with_json) {
		out->json = json_object_from_file(json_path);
		close(jfd);
		unlink(json_path);
	}
}

void bench_child_free(struct bench_child *c)
{
	json_object_put(c->json);
	c->json = NULL;
}
