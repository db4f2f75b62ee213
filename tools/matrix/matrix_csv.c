/* SPDX-License-Identifier: MIT */
#include "matrix_csv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "matrix/matrix_results.h"

/* Text fields come from the guest's result line (sanitised to printable
 * ASCII by the run); quote them and double any quote so a comma in a detail
 * cannot shift the columns. */
static void quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static long long row_int(const struct matrix_cell *c, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(c->row, key, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	return (long long)json_object_get_int64(v);
}

static size_t violation_count(const struct matrix_cell *c)
{
	struct json_object *v;
	if (!json_object_object_get_ex(c->row, "violations", &v) || !json_object_is_type(v, json_type_array))
		return 0;
	return json_object_array_length(v);
}

static void line(FILE *f, const struct matrix_cell *c)
{
	fprintf(f, "%s,%s,", c->cost_run ? "cost" : "cell", matrix_engine_name(c->engine));
	fprintf(f, "%s,%s,%s,%u,%s,%s,", c->model, c->pti ? "on" : "off",
		c->pcid ? "on" : "off", c->vcpus, c->scenario, matrix_category_name(c->category));
	quoted(f, matrix_row_string(c, "outcome"));
	fputc(',', f);
	quoted(f, matrix_row_string(c, "expected"));
	fprintf(f, ",%d,%d,%s,%lld,%lld,%zu,", c->exit_status, c->disagrees, matrix_row_string(c, "backend"),
		row_int(c, "exits"), row_int(c, "checks"), violation_count(c));
	if (c->has_cost && c->exits_per_rt >= 0)
		fprintf(f, "%.3f,%.3f,", c->instructions_per_rt, c->exits_per_rt);
	else if (c->has_cost)
		fprintf(f, "%.3f,,", c->instructions_per_rt);
	else
		fputs(",,", f);
	fprintf(f, "%.3f,", c->wall_seconds);
	quoted(f, c->json_path);
	/* libvirt: the host that ran it and how many hosts it took */
	fputc(',', f);
	quoted(f, matrix_row_string(c, "matrix_host"));
	fprintf(f, ",%u\n", c->nattempts);
}

int matrix_csv_write(const struct matrix *m, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs("role,engine,model,pti,pcid,vcpus,scenario,category,outcome,expected,exit_status,disagrees,backend,"
	      "exits,checks,violations,instructions_per_rt,exits_per_rt,wall_seconds,json,host,attempts\n", f);
	for (size_t i = 0; i < m->ncells; i++)
		line(f, &m->cells[i]);
	int err = ferror(f) ? (errno ? errno : EIO) : 0;
	if (fclose(f) != 0 && !err)
		err = errno ? errno : EIO;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}
