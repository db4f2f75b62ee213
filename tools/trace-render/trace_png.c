/* SPDX-License-Identifier: MIT */
/*
 * The trace picture as PNG, drawn by gnuplot (a data file and a script in a
 * private temporary directory).  The lanes are the SVG's: stack regions at
 * the bottom, then the CR3 half, the CPL, and failed rules and events on top.
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace_model.h"

extern char **environ;

struct rows {
	double pgd0, cpl0, cpl3, failed, event;
};

static struct rows rows_of(const struct trace_model *m)
{
	double base = (double)m->nstacks + 1;
	return (struct rows){ .pgd0 = base, .cpl0 = base + PGD_ROWS + 1, .cpl3 = base + PGD_ROWS + 2,
			      .failed = base + PGD_ROWS + 4, .event = base + PGD_ROWS + 5 };
}

static bool write_data(const struct trace_model *m, const char *path)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return false;
	struct rows r = rows_of(m);
	for (size_t i = 0; i < m->n; i++) {
		const struct trace_point *p = &m->points[i];
		/* columns: index, stack row, pgd row, cpl row, failed row or NaN, event row or NaN */
		fprintf(f, "%zu %u %g %g %s %s\n", i, p->stack, r.pgd0 + p->pgd, p->cpl == 3 ? r.cpl3 : r.cpl0,
			p->failed ? "1" : "NaN", p->event ? "1" : "NaN");
	}
	bool bad = ferror(f) != 0;
	return fclose(f) == 0 && !bad;
}

/* gnuplot strings are single-quoted: a quote in a path would end them. */
static bool quotable(const char *s)
{
	return strchr(s, '\'') == NULL && strchr(s, '\n') == NULL;
}

static bool write_script(const struct trace_model *m, const char *script, const char *data, const char *out)
{
	FILE *f = fopen(script, "we");
	if (!f)
		return false;
	struct rows r = rows_of(m);
	fprintf(f, "set terminal png size 1400,%d\nset output '%s'\nset key off\nset grid xtics\n", 260 + 18 * (int)m->nstacks,
		out);
	fprintf(f, "set title 'entrybox trace: %s path, %zu instructions, ended %s'\n", m->has_summary ? m->path : "?",
		m->n, m->has_summary ? m->ended : "without summary");
	fprintf(f, "set xlabel 'instruction'\nset xrange [-1:%zu]\nset yrange [-1:%g]\nset ytics (", m->n, r.event + 1);
	for (size_t i = 0; i < m->nstacks; i++)
		fprintf(f, "'%s' %zu, ", quotable(m->stacks[i]) ? m->stacks[i] : "stack", i);
	for (int i = 0; i < PGD_ROWS; i++)
		fprintf(f, "'CR3 %s' %g, ", pgd_row_names[i], r.pgd0 + i);
	fprintf(f, "'CPL 0' %g, 'CPL 3' %g, 'rule failed' %g, 'event' %g)\n", r.cpl0, r.cpl3, r.failed, r.event);
	fprintf(f, "plot '%s' using 1:2 with points pt 5 ps 0.7 lc rgb '#1f77b4', "
		   "'' using 1:3 with points pt 5 ps 0.7 lc rgb '#2ca02c', "
		   "'' using 1:4 with points pt 5 ps 0.7 lc rgb '#ff7f0e', "
		   "'' using 1:($5*%g) with points pt 9 ps 1.2 lc rgb '#d62728', "
		   "'' using 1:($6*%g) with impulses lc rgb '#9467bd'\n",
		data, r.failed, r.event);
	bool bad = ferror(f) != 0;
	return fclose(f) == 0 && !bad;
}

static int run_gnuplot(const char *script, char *err, size_t errlen)
{
	char *const argv[] = { "gnuplot", (char *)script, NULL };
	pid_t pid;
	int rc = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
	if (rc != 0) {
		snprintf(err, errlen, "cannot run gnuplot: %s", strerror(rc));
		return rc == ENOENT ? 3 : 1;
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "gnuplot failed (status 0x%x)", status);
		return 1;
	}
	return 0;
}

int trace_png_write(const struct trace_model *m, const char *path, char *err, size_t errlen)
{
	if (!quotable(path)) {
		snprintf(err, errlen, "%s: a quote or newline in the file name", path);
		return 1;
	}
	char dir[] = "/tmp/entrybox-render.XXXXXX";
	if (!mkdtemp(dir)) {
		snprintf(err, errlen, "mkdtemp: %s", strerror(errno));
		return 1;
	}
	char data[64], script[64];
	snprintf(data, sizeof(data), "%s/trace.dat", dir);
	snprintf(script, sizeof(script), "%s/trace.gp", dir);
	int rc = 1;
	if (!write_data(m, data) || !write_script(m, script, data, path))
		snprintf(err, errlen, "cannot write gnuplot input in %s: %s", dir, strerror(errno));
	else
		rc = run_gnuplot(script, err, errlen);
	struct stat st;
	if (rc == 0 && (stat(path, &st) != 0 || st.st_size == 0)) {
		snprintf(err, errlen, "gnuplot wrote no picture to %s", path);
		rc = 1;
	}
	unlink(data);
	unlink(script);
	rmdir(dir);
	return rc;
}
