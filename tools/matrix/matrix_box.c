/* SPDX-License-Identifier: MIT */
#include "matrix_box.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_common.h"

#ifndef EBX_TOOLS_DIR
#error "EBX_TOOLS_DIR: the source tree's tools/ folder, set by meson"
#endif

/* A box boots in seconds, more under load; a stall is judged with this on top
 * of the longest a run may take. */
#define BOX_STALL_MARGIN_S 180.0

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool box_pool_script(char *path, size_t len)
{
	const char *env = getenv("ENTRYBOX_SVM_BOX");
	snprintf(path, len, "%s", env && env[0] ? env : EBX_TOOLS_DIR "/svm-box.sh");
	return access(path, X_OK) == 0;
}

static void queue_path(const struct box_pool *p, const char *sub, size_t i, char *out, size_t len)
{
	snprintf(out, len, "%s/%s/%05zu", p->dir, sub, i);
}

/* One file a run: its time limit, its log, then its argv one a line. */
static int write_run(const struct box_pool *p, const struct matrix *m, const char *exe, size_t qi)
{
	struct matrix_cell *c = p->cells[qi];
	char file[128], json[128], log[136];
	queue_path(p, "out", qi, json, sizeof(json));
	snprintf(log, sizeof(log), "%s.log", json);
	strncat(json, ".json", sizeof(json) - strlen(json) - 1);
	struct matrix_argv a;
	matrix_cell_argv(&m->opt, exe, c, json, &a);
	queue_path(p, "todo", qi, file, sizeof(file));
	FILE *f = fopen(file, "w");
	if (!f)
		return -1;
	fprintf(f, "%.0f\n%s\n", matrix_cell_deadline(&m->opt), log);
	for (int i = 0; i < a.n; i++)
		fprintf(f, "%s\n", a.v[i]);
	return fclose(f);
}

static int make_queue(struct box_pool *p)
{
	snprintf(p->dir, sizeof(p->dir), "/tmp/entrybox-matrix-box-XXXXXX");
	if (!mkdtemp(p->dir)) {
		p->dir[0] = '\0';
		return -1;
	}
	static const char *const subs[] = { "todo", "claimed", "done", "out" };
	char sub[64];
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(sub, sizeof(sub), "%s/%s", p->dir, subs[i]);
		if (mkdir(sub, 0755) != 0)
			return -1;
	}
	return 0;
}

static pid_t start_box(const struct box_pool *p, const char *script, unsigned id)
{
	char worker[PATH_MAX], idtext[16], log[96];
	snprintf(worker, sizeof(worker), "%s/matrix/box-worker.sh", EBX_TOOLS_DIR);
	snprintf(idtext, sizeof(idtext), "%u", id);
	snprintf(log, sizeof(log), "%s/box-%u.log", p->dir, id);
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || null < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(127);
	/* A box boots a whole kernel: the whole queue may take it long, and each
	 * run has its own limit inside. */
	setenv("ENTRYBOX_BOX_TIMEOUT", "0", 1);
	execl(script, script, worker, p->dir, idtext, (char *)NULL);
	dprintf(2, "entrybox matrix: cannot exec %s: %s\n", script, strerror(errno));
	_exit(127);
}

int box_pool_start(struct box_pool *p, struct matrix *m, const char *exe, unsigned boxes)
{
	memset(p, 0, sizeof(*p));
	char script[PATH_MAX];
	if (!box_pool_script(script, sizeof(script)))
		return cli_fail(EBX_STATUS_ENV, "matrix: no SVM box at %s (or $ENTRYBOX_SVM_BOX)", script);
	p->cells = calloc(m->ncells ? m->ncells : 1, sizeof(*p->cells));
	p->finished = calloc(m->ncells ? m->ncells : 1, sizeof(*p->finished));
	if (!p->cells || !p->finished || make_queue(p) != 0)
		return cli_fail(EBX_STATUS_ENV, "matrix: cannot prepare the SVM box queue: %s", strerror(errno));
	for (size_t i = 0; i < m->ncells; i++) {
		if (m->cells[i].engine != MATRIX_ENGINE_SVM_BOX)
			continue;
		matrix_cell_paths(m, i, &m->cells[i]);
		unlink(m->cells[i].json_path);
		p->cells[p->ncells] = &m->cells[i];
		if (write_run(p, m, exe, p->ncells) != 0)
			return cli_fail(EBX_STATUS_ENV, "matrix: cannot queue a run for the SVM box: %s", strerror(errno));
		p->ncells++;
	}
	if (boxes > p->ncells)
		boxes = (unsigned)p->ncells;
	if (boxes > BOX_POOL_MAX)
		boxes = BOX_POOL_MAX;
	for (unsigned i = 0; i < boxes; i++) {
		pid_t pid = start_box(p, script, i);
		if (pid < 0)
			break;
		p->workers[p->nworkers++] = pid;
		p->running++;
	}
	if (p->nworkers == 0 && p->ncells)
		return cli_fail(EBX_STATUS_ENV, "matrix: cannot start an SVM box: %s", strerror(errno));
	p->last_progress = now();
	p->stall_after = matrix_cell_deadline(&m->opt) + BOX_STALL_MARGIN_S;
	const char *stall = getenv("ENTRYBOX_BOX_STALL_SECONDS"); /* tests: a stall without waiting minutes */
	if (stall && atof(stall) > 0)
		p->stall_after = atof(stall);
	snprintf(p->out_dir, sizeof(p->out_dir), "%s", m->opt.out_dir);
	return 0;
}

static bool copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb");
	if (!in)
		return false;
	FILE *out = fopen(to, "wb");
	if (!out) {
		fclose(in);
		return false;
	}
	char buf[65536];
	size_t n;
	bool ok = true;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		ok = ok && fwrite(buf, 1, n, out) == n;
	fclose(in);
	return fclose(out) == 0 && ok;
}

/* A run's "STATUS SECONDS WORKER" line: the status as the runner keeps it
 * (timeout's KILL is the runner's own deadline). */
static void take_result(struct box_pool *p, size_t qi)
{
	struct matrix_cell *c = p->cells[qi];
	char path[128];
	queue_path(p, "done", qi, path, sizeof(path));
	FILE *f = fopen(path, "r");
	int status = -1;
	double seconds = 0;
	if (!f || fscanf(f, "%d %lf", &status, &seconds) != 2)
		status = -1;
	if (f)
		fclose(f);
	c->wall_seconds = seconds;
	if (status == 128 + SIGKILL || status == 124) {
		c->killed = true;
		c->exit_status = -1;
		c->term_signal = SIGKILL;
	} else {
		c->exit_status = status >= 0 && status < 128 ? status : -1;
		c->term_signal = status >= 128 ? status - 128 : 0;
	}
	char out[136];
	queue_path(p, "out", qi, out, sizeof(out));
	strncat(out, ".json", sizeof(out) - strlen(out) - 1);
	if (!copy_file(out, c->json_path))
		unlink(c->json_path);
	queue_path(p, "out", qi, out, sizeof(out));
	strncat(out, ".log", sizeof(out) - strlen(out) - 1);
	copy_file(out, c->log_path);
}

static void stop_boxes(struct box_pool *p)
{
	for (unsigned i = 0; i < p->nworkers; i++) {
		if (p->workers[i] <= 0)
			continue;
		/* svm-box.sh cleans up its QEMU and folders on TERM. */
		kill(p->workers[i], SIGTERM);
		waitpid(p->workers[i], NULL, 0);
		p->workers[i] = 0;
	}
	p->running = 0;
}

static void reap_boxes(struct box_pool *p)
{
	for (unsigned i = 0; i < p->nworkers; i++) {
		int st;
		if (p->workers[i] > 0 && waitpid(p->workers[i], &st, WNOHANG) == p->workers[i]) {
			p->workers[i] = 0;
			p->running--;
		}
	}
}

/* The first line a box printed: its own failure, when it had one. */
static void say_box_failure(const struct box_pool *p)
{
	if (p->stalled) {
		fprintf(stderr, "entrybox matrix: the SVM boxes finished no run for %.0f s (an inner kernel hung?); "
			"stopped them; their logs: %s/runs/svm-box-*.log\n", p->stall_after, p->out_dir);
		return;
	}
	char path[96], line[300] = "";
	snprintf(path, sizeof(path), "%s/box-0.log", p->dir);
	FILE *f = fopen(path, "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (strncmp(line, "svm-box:", 8) == 0)
				break;
		fclose(f);
	}
	line[strcspn(line, "\n")] = '\0';
	fprintf(stderr, "entrybox matrix: the SVM boxes ended with runs left undone%s%s\n", line[0] ? ": " : "", line);
}

size_t box_pool_reap(struct box_pool *p, matrix_cell_done done, void *ctx)
{
	size_t ended = 0;
	reap_boxes(p);
	for (size_t i = 0; i < p->ncells; i++) {
		char path[128];
		queue_path(p, "done", i, path, sizeof(path));
		if (p->finished[i] || access(path, F_OK) != 0)
			continue;
		take_result(p, i);
		p->finished[i] = true;
		p->last_progress = now();
		done(ctx, p->cells[i]);
		ended++;
	}
	if (p->running > 0 && now() - p->last_progress > p->stall_after) {
		p->stalled = true;
		stop_boxes(p);
	}
	if (p->running > 0)
		return ended;
	/* Every box has ended: what none of them finished never ran. */
	bool said = false;
	for (size_t i = 0; i < p->ncells; i++) {
		if (p->finished[i])
			continue;
		if (!said)
			say_box_failure(p);
		said = true;
		p->cells[i]->exit_status = -1;
		p->finished[i] = true;
		done(ctx, p->cells[i]);
		ended++;
	}
	return ended;
}

static void remove_tree(const char *dir)
{
	pid_t pid = fork();
	if (pid == 0) {
		execlp("rm", "rm", "-rf", "--", dir, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/* The boxes' own output (boot, failures, a dump at their limit) outlives the queue. */
static void keep_box_logs(const struct box_pool *p)
{
	for (unsigned i = 0; i < p->nworkers; i++) {
		char from[96], to[PATH_MAX + 32];
		snprintf(from, sizeof(from), "%s/box-%u.log", p->dir, i);
		snprintf(to, sizeof(to), "%s/runs/svm-box-%u.log", p->out_dir, i);
		copy_file(from, to);
	}
}

void box_pool_stop(struct box_pool *p)
{
	stop_boxes(p);
	if (p->dir[0]) {
		keep_box_logs(p);
		remove_tree(p->dir);
	}
	free(p->cells);
	free(p->finished);
	memset(p, 0, sizeof(*p));
}
