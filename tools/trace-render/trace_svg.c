/* SPDX-License-Identifier: MIT */
/*
 * The trace picture as SVG: instruction index on x; one lane group each for
 * the stack region, the CR3 half and the CPL, then a row of failed rules and
 * a row of events (the boundary, exceptions).  Runs of equal value become one
 * rectangle, so the file stays small for long traces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_model.h"

#define LEFT      150.0
#define TOP       50.0
#define ROW       16.0
#define GAP       14.0
#define PLOT_W    1400.0

struct canvas {
	FILE *f;
	double px;         /* pixels per instruction */
	double y;          /* top of the next row */
};

enum lane_kind { LANE_STACK, LANE_PGD, LANE_CPL };

static double x_of(const struct canvas *c, size_t i)
{
	return LEFT + (double)i * c->px;
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
		(double)m->n * c->px, ROW);
	for (size_t i = 0; i < m->n;) {
		if (!lane_value_is(&m->points[i], kind, value)) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < m->n && lane_value_is(&m->points[i], kind, value))
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

static void marks(struct canvas *c, const struct trace_model *m, double lanes_top)
{
	section_title(c, "rules failed");
	c->y += ROW;
	for (size_t i = 0; i < m->n; i++)
		if (m->points[i].failed)
			fprintf(c->f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"#d62728\"/>\n",
				x_of(c, i), c->y, c->px > 2 ? c->px : 2, ROW);
	c->y += ROW;
	section_title(c, "events");
	c->y += ROW;
	for (size_t i = 0; i < m->n; i++) {
		const struct trace_point *p = &m->points[i];
		if (!p->event)
			continue;
		double x = x_of(c, i) + c->px / 2;
		fprintf(c->f, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"#9467bd\" "
			      "stroke-dasharray=\"3,2\"/>\n", x, lanes_top, x, c->y + ROW);
		fprintf(c->f, "<circle cx=\"%.2f\" cy=\"%.1f\" r=\"4\" fill=\"#9467bd\"/>\n", x, c->y + ROW / 2);
		fprintf(c->f, "<text x=\"%.2f\" y=\"%.1f\" font-size=\"10\">", x + 6, c->y + ROW - 4);
		xml_text(c->f, p->event_name);
		if (p->vector >= 0)
			fprintf(c->f, " #%d", p->vector);
		fputs("</text>\n", c->f);
	}
	c->y += ROW;
}

static void axis(struct canvas *c, const struct trace_model *m)
{
	size_t step = 1;
	while ((double)step * c->px < 60)
		step *= (step % 10 == 1 || step == 1) ? 5 : 2;
	c->y += GAP;
	fprintf(c->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", LEFT, c->y,
		x_of(c, m->n), c->y);
	for (size_t i = 0; i <= m->n; i += step)
		fprintf(c->f, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"black\"/>"
			      "<text x=\"%.2f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">%zu</text>\n",
			x_of(c, i), c->y, x_of(c, i), c->y + 4, x_of(c, i), c->y + 15, i);
	fprintf(c->f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">instruction</text>\n",
		LEFT + (double)m->n * c->px / 2, c->y + 30);
	c->y += 40;
}

static const char *const stack_colors[] = { "#1f77b4", "#ff7f0e", "#2ca02c", "#8c564b", "#e377c2", "#17becf",
					   "#bcbd22", "#7f7f7f" };

static void body(struct canvas *c, const struct trace_model *m)
{
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
	marks(c, m, lanes_top);
	axis(c, m);
}

/* The body is drawn first into memory: the picture's height is known only afterwards. */
bool trace_svg_write(const struct trace_model *m, const char *path)
{
	char *drawn = NULL;
	size_t drawn_len = 0;
	FILE *mem = open_memstream(&drawn, &drawn_len);
	if (!mem)
		return false;
	struct canvas c = { .f = mem, .px = PLOT_W / (double)m->n, .y = TOP };
	if (c.px > 12)
		c.px = 12;
	body(&c, m);
	fclose(mem);
	FILE *f = fopen(path, "we");
	if (!f) {
		free(drawn);
		return false;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\">\n"
		   "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		LEFT + (double)m->n * c.px + 120, c.y + 10);
	fprintf(f, "<text x=\"6\" y=\"22\" font-size=\"14\" font-weight=\"bold\">entrybox trace: %s path, %zu "
		   "instructions, ended %s",
		m->has_summary ? m->path : "?", m->n, m->has_summary ? m->ended : "without summary");
	if (m->has_summary && m->steps_per_second > 0)
		fprintf(f, " (%.0f steps/s with rules, %.0f bare)", m->steps_per_second, m->bare_steps_per_second);
	fputs("</text>\n", f);
	fwrite(drawn, 1, drawn_len, f);
	free(drawn);
	fputs("</svg>\n", f);
	bool bad = ferror(f) != 0;
	return fclose(f) == 0 && !bad;
}
