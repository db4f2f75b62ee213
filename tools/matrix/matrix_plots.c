/* SPDX-License-Identifier: MIT */
#include "matrix_plots.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "matrix_plan.h"
#include "matrix_table.h"

extern char **environ;

/* Fixed colours per category, so every grid reads the same. */
static const unsigned category_rgb[MATRIX_CATEGORY_COUNT] = {
	[MATRIX_PASS] = 0x2e7d32, [MATRIX_XFAIL] = 0x1565c0, [MATRIX_UNEXPECTED] = 0xc62828,
	[MATRIX_NA] = 0x9e9e9e, [MATRIX_UNSUPPORTED] = 0xcfd8dc, [MATRIX_DEVIATION] = 0xef6c00,
};

static void row_label(const struct matrix_cell *c, char *buf, size_t len, bool with_engine)
{
	snprintf(buf, len, "%s pti=%s pcid=%s vcpus=%u%s%s", c->model, c->pti ? "on" : "off", c->pcid ? "on" : "off",
		 c->vcpus, with_engine ? " " : "", with_engine ? matrix_engine_name(c->engine) : "");
}

static bool cell_cycles(const struct matrix_cell *c, double *out)
{
	struct json_object *cy, *med;
	if (!json_object_object_get_ex(c->row, "cycles", &cy) || !json_object_object_get_ex(cy, "median", &med))
		return false;
	*out = json_object_get_double(med);
	return true;
}

struct cost_columns {
	bool any_exits, any_cycles;
};

/* Whether cost rows come from more than one engine (kvm and svm-box): then
 * each label names its engine. */
static bool costs_from_several_engines(const struct matrix *m)
{
	int first = -1;
	for (size_t i = 0; i < m->ncells; i++) {
		if (!m->cells[i].has_cost)
			continue;
		if (first < 0)
			first = (int)m->cells[i].engine;
		else if (first != (int)m->cells[i].engine)
			return true;
	}
	return false;
}

/* cost.dat: label, instructions, exits, cycles (or "?").  Returns the rows written. */
static size_t write_cost_data(const struct matrix *m, FILE *f, struct cost_columns *cols)
{
	size_t n = 0;
	bool with_engine = costs_from_several_engines(m);
	memset(cols, 0, sizeof(*cols));
	for (size_t i = 0; i < m->ncells; i++) {
		const struct matrix_cell *c = &m->cells[i];
		if (!c->has_cost)
			continue;
		char label[96];
		double cycles;
		row_label(c, label, sizeof(label), with_engine);
		bool has_cycles = cell_cycles(c, &cycles);
		cols->any_cycles |= has_cycles;
		fprintf(f, "%zu \"%s\" %.3f ", n++, label, c->instructions_per_rt);
		if (c->exits_per_rt >= 0) {
			fprintf(f, "%.3f ", c->exits_per_rt);
			cols->any_exits = true;
		} else {
			fputs("? ", f);
		}
		if (has_cycles)
			fprintf(f, "%.1f\n", cycles);
		else
			fputs("?\n", f);
	}
	return n;
}

/* On kvm_pvm ring 0 is emulated, so its cycles measure the emulator, not the
 * entry code (docs/design.md §10): the plot says so instead of drawing them. */
static void cycles_note(const struct matrix *m, bool any_cycles, char *buf, size_t len)
{
	bool hw = strcmp(m->backend, "vmx") == 0 || strcmp(m->backend, "svm") == 0;
	if (hw && any_cycles)
		snprintf(buf, len, "backend %s: cycles measured in the guest", m->backend);
	else if (hw)
		snprintf(buf, len, "backend %s: no cycle figures in these runs (entrybox bench measures them)", m->backend);
	else
		snprintf(buf, len, "backend %s: cycles left out (ring-0 code is emulated there, so its cycles measure the emulator)",
			 m->backend[0] ? m->backend : "unknown");
}

static void emit_terminals(FILE *gp, const char *out_dir, const char *name, int w, int h, const char *plot_cmds)
{
	fputs("reset\n", gp);
	fprintf(gp, "set terminal pngcairo noenhanced size %d,%d font ',10'\nset output '%s/%s.png'\n%s", w, h,
		out_dir, name, plot_cmds);
	fprintf(gp, "set terminal svg noenhanced size %d,%d font ',10'\nset output '%s/%s.svg'\n%s", w, h, out_dir,
		name, plot_cmds);
	fputs("unset output\n", gp);
}

/* A panel only for a column some row has: gnuplot refuses to plot one with
 * every value missing (a matrix of svm-box cells has no exits per trip). */
static void cost_script(const struct matrix *m, FILE *gp, const char *dat, size_t nrows, const struct cost_columns *cols)
{
	char note[160], cmds[3 * PATH_MAX];
	bool any_cycles = cols->any_cycles;
	cycles_note(m, any_cycles, note, sizeof(note));
	int panels = 1 + cols->any_exits + any_cycles;
	int n = snprintf(cmds, sizeof(cmds),
			 "set multiplot layout %d,1 title \"cost per syscall round trip (syscall-loop, this VMM)\\n%s\"\n"
			 "set datafile missing '?'\nset style fill solid 0.8\nset boxwidth 0.6\nset grid ytics\nset yrange [0:*]\n"
			 "set xtics rotate by -20 left\nset bmargin 9\nunset key\nset offsets graph 0, graph 0, graph 0.15, 0\n"
			 "set ylabel 'instructions'\nplot '%s' using 1:3:xtic(2) with boxes lc rgb '#1565c0', "
			 "'' using 1:3:(sprintf('%%.1f',$3)) with labels offset 0,0.7\n",
			 panels, note, dat);
	if (cols->any_exits && n > 0 && (size_t)n < sizeof(cmds))
		n += snprintf(cmds + n, sizeof(cmds) - (size_t)n,
			      "set ylabel 'VM exits'\nplot '%s' using 1:4:xtic(2) with boxes lc rgb '#ef6c00', "
			      "'' using 1:4:(sprintf('%%.2f',$4)) with labels offset 0,0.7\n", dat);
	if (any_cycles && n > 0 && (size_t)n < sizeof(cmds))
		snprintf(cmds + n, sizeof(cmds) - (size_t)n,
			 "set ylabel 'cycles (median)'\nplot '%s' using 1:5:xtic(2) with boxes lc rgb '#6a1b9a'\n", dat);
	strncat(cmds, "unset multiplot\n", sizeof(cmds) - strlen(cmds) - 1);
	int w = 360 + 110 * (int)nrows;
	emit_terminals(gp, m->opt.out_dir, "cost", w < 700 ? 700 : w, 340 * panels + 80, cmds);
}

/* Text that stays readable on the category's colour. */
static unsigned text_rgb(enum matrix_category c)
{
	return c == MATRIX_NA || c == MATRIX_UNSUPPORTED ? 0x263238 : 0xffffff;
}

/* grid.dat: x (scenario), y (row), colour, word, text colour. */
static void grid_data(const struct matrix *m, FILE *f, size_t nscen)
{
	for (size_t i = 0; i < m->ngrid; i++) {
		const struct matrix_cell *c = &m->cells[i];
		char word[32];
		matrix_table_word(c, word, sizeof(word));
		fprintf(f, "%zu %zu %u \"%s\" %u\n", i % nscen, i / nscen, category_rgb[c->category], word,
			text_rgb(c->category));
	}
}

static void grid_script(const struct matrix *m, FILE *gp, const char *dat, const char **scen, size_t nscen)
{
	size_t nrows = m->ngrid / nscen;
	bool two_engines = m->opt.engines[MATRIX_ENGINE_KVM] && m->opt.engines[MATRIX_ENGINE_QEMU_TCG];
	char cmds[16384];
	size_t used = (size_t)snprintf(cmds, sizeof(cmds),
		"set title 'scenario outcomes (backend %s)'\nunset key\nset xrange [-0.5:%zu.5]\n"
		"set yrange [%zu.5:-0.5]\nset xtics rotate by -30 left\nset tics scale 0\nset bmargin 6\nset rmargin 8\n"
		"set style fill solid 1.0 border lc rgb 'white'\nset xtics (",
		m->backend[0] ? m->backend : "none", nscen - 1, nrows - 1);
	for (size_t s = 0; s < nscen && used < sizeof(cmds); s++)
		used += (size_t)snprintf(cmds + used, sizeof(cmds) - used, "%s'%s' %zu", s ? ", " : "", scen[s], s);
	if (used < sizeof(cmds))
		used += (size_t)snprintf(cmds + used, sizeof(cmds) - used, ")\nset ytics (");
	for (size_t r = 0; r < nrows && used < sizeof(cmds); r++) {
		char label[96];
		row_label(&m->cells[r * nscen], label, sizeof(label), two_engines);
		used += (size_t)snprintf(cmds + used, sizeof(cmds) - used, "%s'%s' %zu", r ? ", " : "", label, r);
	}
	if (used < sizeof(cmds))
		snprintf(cmds + used, sizeof(cmds) - used,
			 ")\nplot '%s' using 1:2:(0.5):(0.5):3 with boxxyerror lc rgb variable, "
			 "'' using 1:2:4:5 with labels tc rgb variable\n", dat);
	int w = 320 + 130 * (int)nscen, h = 140 + 26 * (int)nrows;
	emit_terminals(gp, m->opt.out_dir, "outcomes", w, h, cmds);
}

static int run_gnuplot(const char *script)
{
	pid_t pid;
	char *argv[] = { "gnuplot", (char *)script, NULL };
	int err = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
	if (err) {
		fprintf(stderr, "entrybox: matrix: cannot run gnuplot (%s): no plots; install gnuplot-nox\n",
			strerror(err));
		return -1;
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	fprintf(stderr, "entrybox: matrix: gnuplot failed on %s\n", script);
	return -1;
}

static FILE *open_in(const char *dir, const char *name, char *path, size_t len)
{
	if (snprintf(path, len, "%s/%s", dir, name) >= (int)len) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return fopen(path, "w");
}

int matrix_plots_draw(const struct matrix *m)
{
	const char *scen[MATRIX_MAX_LIST];
	size_t nscen = matrix_plan_scenario_list(&m->opt, scen, MATRIX_MAX_LIST);
	if (nscen == 0 || m->ngrid == 0)
		return 0;
	char dir[PATH_MAX], cost[PATH_MAX], grid[PATH_MAX], script[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/plots", m->opt.out_dir);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "entrybox: matrix: cannot create %s: %s\n", dir, strerror(errno));
		return -1;
	}
	FILE *fc = open_in(dir, "cost.dat", cost, sizeof(cost));
	FILE *fg = open_in(dir, "outcomes.dat", grid, sizeof(grid));
	FILE *gp = open_in(dir, "plots.gp", script, sizeof(script));
	int rc = -1;
	if (fc && fg && gp) {
		struct cost_columns cols;
		size_t ncost = write_cost_data(m, fc, &cols);
		grid_data(m, fg, nscen);
		if (ncost)
			cost_script(m, gp, cost, ncost, &cols);
		grid_script(m, gp, grid, scen, nscen);
		rc = 0;
	} else {
		fprintf(stderr, "entrybox: matrix: cannot write under %s: %s\n", dir, strerror(errno));
	}
	if (fc && fclose(fc) != 0)
		rc = -1;
	if (fg && fclose(fg) != 0)
		rc = -1;
	if (gp && fclose(gp) != 0)
		rc = -1;
	return rc == 0 ? run_gnuplot(script) : rc;
}
