/* SPDX-License-Identifier: MIT */
#include "matrix_runner.h"

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

#include "engines/libvirt.h"
#include "matrix_box.h"
#include "matrix_hosts.h"
#include "matrix_plan.h"

/* A run's own watchdog ends it after --timeout (30 s by default); the runner
 * kills only a child that outlives that by this much, i.e. one that is stuck
 * outside the guest (a hung QEMU, a wedged host call). */
#define RUN_DEFAULT_TIMEOUT 30.0
#define RUN_GRACE_SECONDS 30.0
#define POLL_NS (20 * 1000 * 1000)

struct slot {
	pid_t pid;
	struct matrix_cell *cell;
	size_t index;
	double started;
};

/* Cells whose host failed them, waiting for another host. */
struct retry_queue {
	size_t *index;
	size_t n;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A retried cell keeps the log of each attempt: <stem>.log, <stem>.attempt2.log, ... */
void matrix_cell_paths(const struct matrix *m, size_t i, struct matrix_cell *c)
{
	char stem[160], attempt[24] = "";
	snprintf(stem, sizeof(stem), "%04zu-%s-%s-pti-%s-pcid-%s-vcpus-%u-%s%s", i, matrix_engine_name(c->engine),
		 c->model, c->pti ? "on" : "off", c->pcid ? "on" : "off", c->vcpus, c->scenario,
		 c->cost_run ? "-cost" : "");
	if (c->nattempts > 1)
		snprintf(attempt, sizeof(attempt), ".attempt%u", c->nattempts);
	snprintf(c->json_path, sizeof(c->json_path), "%s/runs/%s.json", m->opt.out_dir, stem);
	snprintf(c->log_path, sizeof(c->log_path), "%s/runs/%s%s.log", m->opt.out_dir, stem, attempt);
}

static void push(struct matrix_argv *a, const char *s)
{
	if (a->n < MATRIX_ARGV_MAX)
		a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

void matrix_cell_argv(const struct matrix_options *o, const char *exe, const struct matrix_cell *c,
		      const char *json_path, struct matrix_argv *a)
{
	a->n = 0;
	push(a, exe);
	if (c->engine == MATRIX_ENGINE_LIBVIRT) {
		push(a, "libvirt");
		if (c->host->uri) {
			push(a, "--connect");
			push(a, c->host->uri);
		}
		if (o->console_host) {
			push(a, "--console-host");
			push(a, o->console_host);
		}
		push(a, "--domain-type");
		push(a, o->domain_type ? o->domain_type : "qemu");
	} else if (c->engine == MATRIX_ENGINE_QEMU_TCG) {
		push(a, "qemu");
		push(a, "--accel");
		push(a, "tcg");
	} else {
		push(a, "run");
	}
	snprintf(a->vcpus, sizeof(a->vcpus), "%u", c->vcpus);
	const char *pairs[][2] = { { "--entry", c->model }, { "--pti", c->pti ? "on" : "off" },
				   { "--pcid", c->pcid ? "on" : "off" }, { "--vcpus", a->vcpus },
				   { "--scenario", c->scenario }, { "--guest", o->guest }, { "--json", json_path } };
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		push(a, pairs[i][0]);
		push(a, pairs[i][1]);
	}
	/* The summary and the guest's console go to the cell's log. */
	push(a, "--verbose");
	if (o->timeout > 0) {
		snprintf(a->timeout, sizeof(a->timeout), "%g", o->timeout);
		push(a, "--timeout");
		push(a, a->timeout);
	}
	unsigned long iters = c->iters ? c->iters : o->iters;
	if (iters > 0) {
		snprintf(a->iters, sizeof(a->iters), "%lu", iters);
		push(a, "--iters");
		push(a, a->iters);
	}
	const char *extra[SELECTION_MAX_EXTRA];
	size_t nextra = matrix_plan_extras(o, c->model, extra, SELECTION_MAX_EXTRA);
	for (size_t i = 0; i < nextra; i++)
		push(a, extra[i]);
}

/* In the child: output to the cell's log, then exec.  Never returns. */
static void exec_child(const struct matrix_argv *a, const char *log_path)
{
	int log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (log < 0 || null < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
		_exit(127);
	execv(a->v[0], (char *const *)a->v);
	dprintf(2, "entrybox matrix: cannot exec %s: %s\n", a->v[0], strerror(errno));
	_exit(127);
}

/* A libvirt cell's next attempt goes to a host it has not been tried on. */
static bool take_host(const struct matrix *m, struct matrix_cell *c)
{
	struct matrix_host *host = matrix_hosts_pick(m->hosts, c);
	if (!host)
		return false;
	c->host = host;
	c->attempts[c->nattempts].host = host->uri;
	c->attempts[c->nattempts].result[0] = '\0';
	c->nattempts++;
	host->running++;
	host->assigned++;
	return true;
}

static int spawn(const struct matrix *m, const char *exe, size_t i, struct slot *s)
{
	struct matrix_cell *c = &m->cells[i];
	if (c->engine == MATRIX_ENGINE_LIBVIRT && !take_host(m, c))
		return -1;
	matrix_cell_paths(m, i, c);
	unlink(c->json_path); /* a stale file from an earlier matrix or attempt must not pass for this run's */
	c->killed = false;
	c->term_signal = 0;
	struct matrix_argv a;
	matrix_cell_argv(&m->opt, exe, c, c->json_path, &a);
	pid_t pid = fork();
	if (pid < 0) {
		if (c->host) {
			c->host->running--;
			snprintf(c->attempts[c->nattempts - 1].result, sizeof(c->attempts[0].result), "fork: %s",
				 strerror(errno));
		}
		return -1;
	}
	if (pid == 0)
		exec_child(&a, c->log_path);
	s->pid = pid;
	s->cell = c;
	s->index = i;
	s->started = now();
	return 0;
}

static void finish(struct slot *s, int wstatus)
{
	struct matrix_cell *c = s->cell;
	c->wall_seconds = now() - s->started;
	if (WIFEXITED(wstatus)) {
		c->exit_status = WEXITSTATUS(wstatus);
	} else {
		c->exit_status = -1;
		c->term_signal = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
	}
	s->pid = 0;
}

double matrix_cell_deadline(const struct matrix_options *o)
{
	return (o->timeout > 0 ? o->timeout : RUN_DEFAULT_TIMEOUT) + RUN_GRACE_SECONDS;
}

/* Reaps whichever children ended; kills one past its deadline.  A cell its
 * libvirt host failed goes to the retry queue instead of being done.
 * Returns how many cells are done. */
static size_t reap(const struct matrix *m, struct slot *slots, unsigned nslots, struct retry_queue *retry,
		   matrix_cell_done done, void *ctx)
{
	size_t ended = 0;
	for (unsigned i = 0; i < nslots; i++) {
		if (slots[i].pid <= 0)
			continue;
		int st;
		pid_t r = waitpid(slots[i].pid, &st, WNOHANG);
		if (r == slots[i].pid) {
			struct matrix_cell *c = slots[i].cell;
			finish(&slots[i], st);
			if (c->engine == MATRIX_ENGINE_LIBVIRT && matrix_hosts_attempt_done(m->hosts, c)) {
				retry->index[retry->n++] = slots[i].index;
				continue;
			}
			done(ctx, c);
			ended++;
		} else if (r == 0 && now() - slots[i].started > matrix_cell_deadline(&m->opt) && !slots[i].cell->killed) {
			slots[i].cell->killed = true;
			kill(slots[i].pid, SIGKILL);
		}
	}
	return ended;
}

static int prepare(const struct matrix *m, char *exe, size_t exelen)
{
	ssize_t n = readlink("/proc/self/exe", exe, exelen - 1);
	if (n <= 0)
		return cli_fail(EBX_STATUS_ENV, "matrix: cannot find the entrybox binary: %s", strerror(errno));
	exe[n] = '\0';
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/runs", m->opt.out_dir);
	if (mkdir(m->opt.out_dir, 0755) != 0 && errno != EEXIST)
		return cli_fail(EBX_STATUS_USAGE, "matrix: cannot create %s: %s", m->opt.out_dir, strerror(errno));
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return cli_fail(EBX_STATUS_USAGE, "matrix: cannot create %s: %s", dir, strerror(errno));
	return 0;
}

static size_t count_engine(const struct matrix *m, enum matrix_engine e)
{
	size_t n = 0;
	for (size_t i = 0; i < m->ncells; i++)
		n += m->cells[i].engine == e;
	return n;
}

/* The next cell this process runs itself: svm-box cells run in the boxes. */
static size_t next_own(const struct matrix *m, size_t from)
{
	while (from < m->ncells && m->cells[from].engine == MATRIX_ENGINE_SVM_BOX)
		from++;
	return from;
}

int matrix_run_all(struct matrix *m, matrix_cell_done done, void *ctx)
{
	char exe[PATH_MAX];
	int rc = prepare(m, exe, sizeof(exe));
	if (rc != 0)
		return rc;
	unsigned nslots = m->opt.jobs ? m->opt.jobs : 1;
	struct slot *slots = calloc(nslots, sizeof(*slots));
	struct retry_queue retry = { .index = calloc(m->ncells ? m->ncells : 1, sizeof(size_t)) };
	if (!slots || !retry.index) {
		free(slots);
		free(retry.index);
		return cli_fail(EBX_STATUS_ENV, "matrix: out of memory");
	}
	struct box_pool boxes;
	memset(&boxes, 0, sizeof(boxes));
	if (count_engine(m, MATRIX_ENGINE_SVM_BOX) > 0 &&
	    (rc = box_pool_start(&boxes, m, exe, m->opt.box_jobs ? m->opt.box_jobs : nslots)) != 0) {
		box_pool_stop(&boxes);
		free(slots);
		free(retry.index);
		return rc;
	}
	size_t next = next_own(m, 0), finished = 0;
	struct timespec pause = { 0, POLL_NS };
	while (finished < m->ncells) {
		for (unsigned i = 0; i < nslots && (retry.n > 0 || next < m->ncells); i++) {
			if (slots[i].pid > 0)
				continue;
			/* Retries first: their cells have waited longest. */
			size_t cell = retry.n > 0 ? retry.index[--retry.n] : next;
			if (cell == next)
				next = next_own(m, next + 1);
			if (spawn(m, exe, cell, &slots[i]) != 0) {
				/* No process (or no host left) for this cell: it counts as a run that died. */
				m->cells[cell].exit_status = -1;
				done(ctx, &m->cells[cell]);
				finished++;
			}
		}
		size_t ended = reap(m, slots, nslots, &retry, done, ctx);
		if (boxes.ncells)
			ended += box_pool_reap(&boxes, done, ctx);
		finished += ended;
		if (ended == 0)
			nanosleep(&pause, NULL);
	}
	box_pool_stop(&boxes);
	free(slots);
	free(retry.index);
	return 0;
}
