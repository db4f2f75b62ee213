/* SPDX-License-Identifier: MIT */
/*
 * The trace picture as SVG: a panel per round trip, instruction index on x;
 * one lane group each for the stack region, the CR3 half and the CPL, then a
 * row of failed rules and a row of events (the boundary, faults, interrupts,
 * injections, hypercalls).  Every place where CR3, the stack or the CPL
 * changes is labelled with the instruction that changed it (symbol+offset
 * and disassembly), so the picture alone shows where the CR3 switch and the
 * stack switch happen.  Runs of equal value become one rectangle, so the file
 * stays small for long traces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_model.h"

#define LEFT       150.0
#define TOP        50.0
#define ROW        16.0
#define GAP        14.0
#define PLOT_W     1400.0
#define MAX_PANELS 8u

struct canvas {
	FILE *f;
	double px;         /* pixels per instruction */
	double y;          /* top of the next row */
	size_t first, n;   /* the instructions this panel draws */
};

enum lane_kind { LANE_STACK, LANE_PGD, LANE_CPL };

static double x_of(const struct canvas *c, size_t i)
{
	return LEFT + (double)(i - c->first) * c->px;
}

static bool lane_value_is(const struct trace_point *p, enum lane_kind kind, unsigned value)
{
	switch (kind) {
	case LANE_STACK:
		return p->stack == value;
	case LANE_PGD:
		return p->pgd == value;
	default:
		return p->cpl == value;
	}
}

static void row(struct canvas *c, const struct trace_model *m, enum lane_kind kind, unsigned value, const char *label,
		const char *color)
{
	fprintf(c->f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">%s</text>\n", LEFT - 6,
		c->y + ROW - 4, label);
	fprintf(c->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f4f4f4\"/>\n", LEFT, c->y,
		(double)c->n * c->px, ROW);
	size_t end = c->first + c->n;
	for (size_t i = c->first; i < end;) {
		if (!lane_value_is(&m->points[i], kind, value)) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < end && lane_value_is(&m->points[i], kind, value))
			i++;
		fprintf(c->f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\"/>\n",
			x_of(c, start), c->y + 1, (double)(i - start) * c->px, ROW - 2, color);
	}
	c->y += ROW;
}

static void section_title(struct canvas *c, const char *title)
{
	c->y += GAP;
	fprintf(c->f, "<text x=\"6\" y=\"%.1f\" font-size=\"12\" font-weight=\"bold\">%s</text>\n", c->y + ROW - 4,
		title);
}

static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else
			fputc(*s, f);
	}
}

/* ---- transitions: where CR3, the stack or the CPL changed, and which instruction did it ---- */

static bool stack_known(const struct trace_model *m, unsigned i)
{
	return i < m->nstacks;
}

/* What changed from instruction i-1 to i, as "CR3 user->kernel, stack ..."; false when nothing. */
static bool change_text(const struct trace_model *m, size_t i, char *buf, size_t len)
{
	const struct trace_point *a = &m->points[i - 1], *b = &m->points[i];
	size_t at = 0;
	buf[0] = '\0';
	if (a->pgd != b->pgd)
		at += (size_t)snprintf(buf + at, len - at, "CR3 %s->%s ", pgd_row_names[a->pgd], pgd_row_names[b->pgd]);
	if (a->stack != b->stack && at < len && stack_known(m, b->stack))
		at += (size_t)snprintf(buf + at, len - at, "stack->%s ", m->stacks[b->stack]);
	if (a->cpl != b->cpl && at < len)
		at += (size_t)snprintf(buf + at, len - at, "CPL %u->%u ", a->cpl, b->cpl);
	return at > 0;
}

#define MAX_LABELS     64u
#define LABEL_ROWS     12u
#define LABEL_ROW_H    13.0
#define CHAR_W         5.6      /* of the 10-pixel sans-serif text, roughly */

struct label {
	double x, x0, x1;         /* where it points, and the span its text takes */
	unsigned row;
	bool right;               /* text ends at x (near the right edge) */
	size_t event;             /* the instruction an event label is for */
	char text[240];
};

static size_t collect_labels(const struct canvas *c, const struct trace_model *m, struct label *out)
{
	size_t n = 0;
	for (size_t i = c->first + 1; i < c->first + c->n && n < MAX_LABELS; i++) {
		char what[160];
		if (!change_text(m, i, what, sizeof(what)))
			continue;
		/* The instruction that made the change is the one before it. */
		const struct trace_point *by = &m->points[i - 1];
		struct label *l = &out[n++];
		snprintf(l->text, sizeof(l->text), "%sby %s: %s", what, by->sym, by->insn);
		l->x = x_of(c, i);
		double w = CHAR_W * (double)strlen(l->text);
		l->right = l->x > LEFT + PLOT_W / 2;
		l->x0 = l->right ? l->x - w : l->x;
		l->x1 = l->right ? l->x : l->x + w;
	}
	return n;
}

/* Each label on the first row where it overlaps no other. */
static unsigned place_labels(struct label *l, size_t n)
{
	unsigned rows = 0;
	for (size_t i = 0; i < n; i++) {
		l[i].row = 0;
		for (bool clash = true; clash && l[i].row < LABEL_ROWS - 1;) {
			clash = false;
			for (size_t j = 0; j < i; j++)
				if (l[j].row == l[i].row && l[i].x0 < l[j].x1 + 6 && l[j].x0 < l[i].x1 + 6)
					clash = true;
			if (clash)
				l[i].row++;
		}
		if (l[i].row + 1 > rows)
			rows = l[i].row + 1;
	}
	return rows;
}

/* Labels above the lanes, each with a leader line down to where it happened. */
static void transitions(struct canvas *c, const struct label *l, size_t n, double band_top, double lanes_bottom)
{
	for (size_t i = 0; i < n; i++) {
		double y = band_top + LABEL_ROW_H * (double)(l[i].row + 1);
		fprintf(c->f, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"#444\" "
			      "stroke-width=\"0.8\" stroke-dasharray=\"2,2\"/>\n", l[i].x, y + 2, l[i].x, lanes_bottom);
		fprintf(c->f, "<text x=\"%.2f\" y=\"%.1f\" font-size=\"10\"%s>", l[i].x + (l[i].right ? -2 : 2), y,
			l[i].right ? " text-anchor=\"end\"" : "");
		xml_text(c->f, l[i].text);
		fputs("</text>\n", c->f);
	}
}

/* ---- events: the boundary, exceptions, interrupts, injections, hypercalls ---- */

static const char *event_color(const char *name)
{
	if (strcmp(name, "injected") == 0)
		return "#d62728";
	if (strcmp(name, "exception") == 0)
		return "#ff7f0e";
	if (strcmp(name, "interrupt") == 0)
		return "#1f77b4";
	if (strcmp(name, "hypercall") == 0)
		return "#9467bd";
	return "#2ca02c"; /* a boundary the path starts at */
}

/* Events on rows of their own, so that near ones do not write over each other. */
static void marks(struct canvas *c, const struct trace_model *m, double lanes_top)
{
	section_title(c, "rules failed");
	c->y += ROW;
	for (size_t i = c->first; i < c->first + c->n; i++)
		if (m->points[i].failed)
			fprintf(c->f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"#d62728\"/>\n",
				x_of(c, i), c->y, c->px > 2 ? c->px : 2, ROW);
	c->y += ROW;
	section_title(c, "events (injections red, faults orange, interrupts blue, hypercalls purple)");
	c->y += ROW;
	static struct label l[MAX_LABELS];
	size_t n = 0;
	for (size_t i = c->first; i < c->first + c->n && n < MAX_LABELS; i++) {
		const struct trace_point *p = &m->points[i];
		double x = x_of(c, i) + c->px / 2;
		if (!p->event)
			continue;
		if (strcmp(p->event_name, "repeat") == 0) {
			/* Another iteration of a REP instruction: a tick, no label. */
			fprintf(c->f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"1\" height=\"4\" fill=\"#aaa\"/>\n", x, c->y);
			continue;
		}
		struct label *e = &l[n++];
		char vec[16] = "";
		if (p->vector >= 0)
			snprintf(vec, sizeof(vec), " #%d", p->vector);
		snprintf(e->text, sizeof(e->text), "%s%s at %s", p->event_name, vec, p->sym);
		e->x = x;
		double w = CHAR_W * (double)strlen(e->text) + 10;
		e->right = x > LEFT + PLOT_W / 2;
		e->x0 = e->right ? x - w : x;
		e->x1 = e->right ? x : x + w;
		e->event = i;
	}
	unsigned rows = place_labels(l, n);
	for (size_t k = 0; k < n; k++) {
		const struct trace_point *p = &m->points[l[k].event];
		const char *color = event_color(p->event_name);
		double y = c->y + LABEL_ROW_H * (double)l[k].row;
		fprintf(c->f, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"%s\" "
			      "stroke-dasharray=\"3,2\"/>\n", l[k].x, lanes_top, l[k].x, y + 6, color);
		if (strcmp(p->event_name, "injected") == 0)
			fprintf(c->f, "<polygon points=\"%.2f,%.1f %.2f,%.1f %.2f,%.1f\" fill=\"%s\"/>\n", l[k].x - 5, y,
				l[k].x + 5, y, l[k].x, y + 10, color);
		else
			fprintf(c->f, "<circle cx=\"%.2f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", l[k].x, y + 5, color);
		fprintf(c->f, "<text x=\"%.2f\" y=\"%.1f\" font-size=\"10\" fill=\"%s\"%s>",
			l[k].x + (l[k].right ? -7 : 7), y + 9, color, l[k].right ? " text-anchor=\"end\"" : "");
		xml_text(c->f, l[k].text);
		fputs("</text>\n", c->f);
	}
	c->y += LABEL_ROW_H * (double)(rows ? rows : 1) + 4;
}

/* The step that arrived where its instruction could not go. */
static void lost_mark(struct canvas *c, const struct trace_model *m, double lanes_top)
{
	if (!m->lost.set || m->lost.index < c->first || m->lost.index > c->first + c->n)
		return;
	double x = x_of(c, m->lost.index);
	fprintf(c->f, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"#d62728\" stroke-width=\"2\"/>\n",
		x, lanes_top, x, c->y);
	fprintf(c->f, "<text x=\"%.2f\" y=\"%.1f\" font-size=\"11\" fill=\"#d62728\">lost step after ", x + 4,
		c->y - 4);
	xml_text(c->f, m->lost.after);
	fputs(": arrived at ", c->f);
	xml_text(c->f, m->lost.got);
	fputs("</text>\n", c->f);
}

static void axis(struct canvas *c)
{
	size_t step = 1;
	while ((double)step * c->px < 60)
		step *= (step % 10 == 1 || step == 1) ? 5 : 2;
	c->y += GAP;
	fprintf(c->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", LEFT, c->y,
		x_of(c, c->first + c->n), c->y);
	for (size_t i = 0; i <= c->n; i += step)
		fprintf(c->f, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"black\"/>"
			      "<text x=\"%.2f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">%zu</text>\n",
			x_of(c, c->first + i), c->y, x_of(c, c->first + i), c->y + 4, x_of(c, c->first + i), c->y + 15, i);
	fprintf(c->f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">instruction</text>\n",
		LEFT + (double)c->n * c->px / 2, c->y + 30);
	c->y += 40;
}

static const char *const stack_colors[] = { "#1f77b4", "#ff7f0e", "#2ca02c", "#8c564b", "#e377c2", "#17becf",
					   "#bcbd22", "#7f7f7f" };

/* One round trip: its transitions labelled above its lanes, its events below. */
static void panel(struct canvas *c, const struct trace_model *m, unsigned trip)
{
	c->px = PLOT_W / (double)c->n;
	if (c->px > 12)
		c->px = 12;
	c->y += GAP;
	fprintf(c->f, "<text x=\"6\" y=\"%.1f\" font-size=\"13\" font-weight=\"bold\">round trip %u: %zu steps, "
		      "from ", c->y + ROW, trip + 1, c->n);
	xml_text(c->f, m->points[c->first].sym);
	fputs(" to ", c->f);
	xml_text(c->f, m->points[c->first + c->n - 1].sym);
	fputs("</text>\n", c->f);
	c->y += ROW;
	static struct label labels[MAX_LABELS];
	size_t nlabels = collect_labels(c, m, labels);
	double band_top = c->y;
	c->y += LABEL_ROW_H * (double)place_labels(labels, nlabels) + 4;
	double lanes_top = c->y + GAP;
	section_title(c, "stack region");
	c->y += ROW;
	for (size_t i = 0; i < m->nstacks; i++)
		row(c, m, LANE_STACK, (unsigned)i, m->stacks[i], stack_colors[i % 8]);
	section_title(c, "CR3 (PGD)");
	c->y += ROW;
	static const char *const pgd_colors[PGD_ROWS] = { "#2ca02c", "#ff7f0e", "#1f77b4", "#7f7f7f" };
	for (unsigned i = 0; i < PGD_ROWS; i++)
		row(c, m, LANE_PGD, i, pgd_row_names[i], pgd_colors[i]);
	section_title(c, "CPL");
	c->y += ROW;
	row(c, m, LANE_CPL, 0, "ring 0", "#1f77b4");
	row(c, m, LANE_CPL, 3, "ring 3", "#ff7f0e");
	transitions(c, labels, nlabels, band_top, c->y);
	marks(c, m, lanes_top);
	lost_mark(c, m, lanes_top);
	axis(c);
}

/* A panel per round trip (the first MAX_PANELS), each with its own scale. */
static unsigned body(struct canvas *c, const struct trace_model *m)
{
	unsigned panels = 0;
	for (size_t first = 0; first < m->n && panels < MAX_PANELS; panels++) {
		size_t end = first;
		while (end < m->n && m->points[end].trip == m->points[first].trip)
			end++;
		c->first = first;
		c->n = end - first;
		panel(c, m, m->points[first].trip);
		first = end;
	}
	return panels;
}

/* The body is drawn first into memory: the picture's height is known only afterwards. */
bool trace_svg_write(const struct trace_model *m, const char *path)
{
	char *drawn = NULL;
	size_t drawn_len = 0;
	FILE *mem = open_memstream(&drawn, &drawn_len);
	if (!mem)
		return false;
	struct canvas c = { .f = mem, .y = TOP };
	unsigned panels = body(&c, m);
	fclose(mem);
	FILE *f = fopen(path, "we");
	if (!f) {
		free(drawn);
		return false;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\">\n"
		   "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		LEFT + PLOT_W + 200, c.y + 10);
	fprintf(f, "<text x=\"6\" y=\"22\" font-size=\"14\" font-weight=\"bold\">entrybox trace: %s path, %zu steps in "
		   "%u round trip%s, ended %s",
		m->has_summary ? m->path : "?", m->n, m->ntrips, m->ntrips == 1 ? "" : "s",
		m->has_summary ? m->ended : "without summary");
	if (m->has_summary && m->steps_per_second > 0)
		fprintf(f, " (%.0f steps/s with rules, %.0f bare)", m->steps_per_second, m->bare_steps_per_second);
	if (panels < m->ntrips)
		fprintf(f, "; the first %u round trips drawn", panels);
	fputs("</text>\n", f);
	fwrite(drawn, 1, drawn_len, f);
	free(drawn);
	fputs("</svg>\n", f);
	bool bad = ferror(f) != 0;
	return fclose(f) == 0 && !bad;
}
