/* SPDX-License-Identifier: MIT */
#include "new_model.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a growing string ---------------------------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 256) + n;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_b(struct buf *b, const char *s) { put(b, s, strlen(s)); }

static char *finish(struct buf *b)
{
	if (!b->failed && !b->p)
		put(b, "", 0);
	if (b->failed) {
		free(b->p);
		return NULL;
	}
	return b->p;
}

/* ---- names ----------------------------------------------------------------------------- */

bool model_copy_name_ok(const char *name, char *id, char *why, size_t whylen)
{
	size_t n = strlen(name);

	if (n == 0 || n > NEW_MODEL_NAME_MAX) {
		snprintf(why, whylen, "a model name has 1 to %d characters", NEW_MODEL_NAME_MAX);
		return false;
	}
	if (!islower((unsigned char)name[0]) || name[n - 1] == '-') {
		snprintf(why, whylen, "a model name starts with a lower-case letter and does not end in '-'");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!islower(c) && !isdigit(c) && c != '-') {
			snprintf(why, whylen, "a model name has lower-case letters, digits and '-' only");
			return false;
		}
		id[i] = c == '-' ? '_' : (char)c;
	}
	id[n] = '\0';
	return true;
}

static bool starts_with_id(const char *s, size_t len, const char *id)
{
	size_t n = strlen(id);
	return len > n && strncmp(s, id, n) == 0 && s[n] == '_';
}

char *model_copy_file_name(const struct model_copy *c, const char *file)
{
	struct buf b = { 0 };
	size_t n = strlen(c->from_id);

	if (strncmp(file, c->from_id, n) == 0 && (file[n] == '.' || file[n] == '_')) {
		puts_b(&b, c->id);
		puts_b(&b, file + n);
	} else {
		puts_b(&b, file);
	}
	return finish(&b);
}

/* ---- identifiers --------------------------------------------------------------------------- */

static bool ident_start(char ch) { return isalpha((unsigned char)ch) || ch == '_'; }
static bool ident_char(char ch) { return isalnum((unsigned char)ch) || ch == '_'; }

void model_copy_identifiers(const char *text, const char *prefix, void (*fn)(void *ctx, const char *ident, size_t len),
			    void *ctx)
{
	for (const char *p = text; *p;) {
		if (!ident_start(*p) || (p > text && ident_char(p[-1]))) {
			p++;
			continue;
		}
		const char *s = p;
		while (ident_char(*p))
			p++;
		if (starts_with_id(s, (size_t)(p - s), prefix))
			fn(ctx, s, (size_t)(p - s));
	}
}

bool model_copy_uses(const char *text, const char *ident)
{
	size_t n = strlen(ident);
	for (const char *p = strstr(text, ident); p; p = strstr(p + 1, ident)) {
		bool before = p > text && ident_char(p[-1]);
		bool after = ident_char(p[n]);
		if (!before && !after)
			return true;
	}
	return false;
}

static bool is_shared(const struct model_copy *c, const char *s, size_t len)
{
	for (size_t i = 0; i < c->nshared; i++)
		if (strlen(c->shared[i]) == len && strncmp(c->shared[i], s, len) == 0)
			return true;
	return false;
}

static bool is_template_file(const struct model_copy *c, const char *s, size_t len)
{
	for (size_t i = 0; i < c->nfiles; i++)
		if (strlen(c->files[i]) == len && strncmp(c->files[i], s, len) == 0)
			return true;
	return false;
}

/* ---- the text of a copied file ------------------------------------------------------------ */

enum ctx { IN_CODE, IN_STRING, IN_COMMENT };

/* One identifier, renamed for where it stands. */
static void rename_ident(const struct model_copy *c, struct buf *b, const char *s, size_t len, enum ctx where)
{
	char model_sym[64];

	snprintf(model_sym, sizeof(model_sym), "entry_model_%s", c->from_id);
	if (strlen(model_sym) == len && strncmp(s, model_sym, len) == 0) {
		puts_b(b, "entry_model_");
		puts_b(b, c->id);
		return;
	}
	if (strlen(c->from_id) == len && strncmp(s, c->from_id, len) == 0) {
		/* Code names the model by its id (ENTRY_OPT(opts, kpti, bug)), and so
		 * does a path (entry/kpti/, kpti.c); other text by its name. */
		bool path = s[len] == '/' || (s[len] == '.' && strchr("chSd", s[len + 1]) && s[len + 1]);
		puts_b(b, where == IN_CODE || path ? c->id : c->name);
		return;
	}
	if (starts_with_id(s, len, c->from_id) && !is_shared(c, s, len)) {
		puts_b(b, c->id);
		put(b, s + strlen(c->from_id), len - strlen(c->from_id));
		return;
	}
	put(b, s, len);
}

/* `"<from>/<file>"` of an #include: the template's own files follow the copy. */
static bool include_path(const struct model_copy *c, struct buf *b, const char *q, const char **end)
{
	const char *close = strchr(q + 1, '"');
	size_t n = strlen(c->from_id);

	if (!close || strncmp(q + 1, c->from_id, n) != 0 || q[1 + n] != '/')
		return false;
	const char *file = q + 2 + n;
	if (!is_template_file(c, file, (size_t)(close - file))) {
		put(b, q, (size_t)(close - q) + 1);   /* another folder of the same name (guest/ukl/): as it is */
		*end = close + 1;
		return true;
	}
	char *name = strndup(file, (size_t)(close - file));
	char *renamed = name ? model_copy_file_name(c, name) : NULL;
	puts_b(b, "\"");
	puts_b(b, c->id);
	puts_b(b, "/");
	puts_b(b, renamed ? renamed : "");
	puts_b(b, "\"");
	b->failed |= !renamed;
	free(name);
	free(renamed);
	*end = close + 1;
	return true;
}

static bool at_line_start_include(const char *text, const char *p)
{
	const char *ls = p;
	while (ls > text && ls[-1] != '\n')
		ls--;
	while (*ls == ' ' || *ls == '\t')
		ls++;
	return strncmp(ls, "#include", 8) == 0;
}

char *model_copy_text(const struct model_copy *c, const char *text)
{
	struct buf b = { 0 };
	enum ctx where = IN_CODE;
	bool line_comment = false;

	for (const char *p = text; *p;) {
		if (where == IN_CODE && p[0] == '/' && (p[1] == '*' || p[1] == '/')) {
			line_comment = p[1] == '/';
			where = IN_COMMENT;
			put(&b, p, 2);
			p += 2;
			continue;
		}
		if (where == IN_COMMENT && ((!line_comment && p[0] == '*' && p[1] == '/') || (line_comment && *p == '\n'))) {
			size_t n = line_comment ? 1 : 2;
			where = IN_CODE;
			put(&b, p, n);
			p += n;
			continue;
		}
		if (where == IN_CODE && *p == '\'') {
			/* A character literal ('"' must not open a string). */
			const char *e = p + 1;
			while (*e && *e != '\'' && *e != '\n')
				e += (*e == '\\' && e[1]) ? 2 : 1;
			if (*e == '\'')
				e++;
			put(&b, p, (size_t)(e - p));
			p = e;
			continue;
		}
		if (where == IN_CODE && *p == '"') {
			const char *end;
			if (at_line_start_include(text, p) && include_path(c, &b, p, &end)) {
				p = end;
				continue;
			}
			where = IN_STRING;
			put(&b, p++, 1);
			continue;
		}
		if (where == IN_STRING && (*p == '"' || *p == '\\')) {
			if (*p == '\\' && p[1]) {
				put(&b, p, 2);
				p += 2;
				continue;
			}
			where = IN_CODE;
			put(&b, p++, 1);
			continue;
		}
		if (ident_start(*p) && !(p > text && ident_char(p[-1]))) {
			const char *s = p;
			while (ident_char(*p))
				p++;
			rename_ident(c, &b, s, (size_t)(p - s), where);
			continue;
		}
		put(&b, p++, 1);
	}
	return finish(&b);
}

/* ---- models.def -------------------------------------------------------------------------------- */

static const char *line_end(const char *p)
{
	const char *e = strchr(p, '\n');
	return e ? e + 1 : p + strlen(p);
}

static bool row_of(const char *line, const char *macro, const char *id)
{
	size_t m = strlen(macro), n = strlen(id);
	if (strncmp(line, macro, m) != 0)
		return false;
	line += m;
	while (*line == ' ')
		line++;
	return strncmp(line, id, n) == 0 && (line[n] == ',' || line[n] == ' ');
}

static bool model_row(const char *line)
{
	return strncmp(line, "ENTRY_MODEL(", 12) == 0;
}

static bool trailer(const char *line)
{
	return strncmp(line, "#ifdef ENTRY_MODELS_DEF_", 24) == 0;
}

char *model_copy_rows(const struct model_copy *c, const char *def, char *why, size_t whylen)
{
	const char *start = NULL, *stop;

	for (const char *l = def; *l; l = line_end(l)) {
		if (row_of(l, "ENTRY_MODEL(", c->id)) {
			snprintf(why, whylen, "models.def already has a model '%s'", c->id);
			return NULL;
		}
		if (!start && row_of(l, "ENTRY_MODEL(", c->from_id))
			start = l;
	}
	if (!start) {
		snprintf(why, whylen, "models.def has no model '%s' to start from", c->from_id);
		return NULL;
	}
	stop = line_end(start);
	for (const char *l = stop; *l && !model_row(l) && !trailer(l); l = line_end(l))
		stop = line_end(l);
	while (stop > start && (stop[-1] == '\n') && stop - 1 > start && stop[-2] == '\n')
		stop--;   /* the blank lines between blocks stay where they are */
	char *block = strndup(start, (size_t)(stop - start));
	if (!block)
		return NULL;
	char *renamed = model_copy_text(c, block);
	free(block);
	if (!renamed)
		return NULL;
	/* The summary says where the model came from until its author rewrites it. */
	struct buf b = { 0 };
	const char *q = strchr(renamed, '"');
	q = q ? strchr(q + 1, '"') : NULL;    /* end of the name */
	q = q ? strchr(q + 1, '"') : NULL;    /* start of the summary */
	if (q) {
		put(&b, renamed, (size_t)(q - renamed) + 1);
		puts_b(&b, "started from ");
		puts_b(&b, c->from_name);
		puts_b(&b, ": ");
		puts_b(&b, q + 1);
	} else {
		puts_b(&b, renamed);
	}
	free(renamed);
	return finish(&b);
}

char *model_copy_insert_rows(const char *def, const char *rows)
{
	struct buf b = { 0 };
	const char *at = def + strlen(def);

	for (const char *l = def; *l; l = line_end(l)) {
		if (trailer(l)) {
			at = l;
			break;
		}
	}
	/* Back over the blank lines before the trailer: the new block follows the last row. */
	while (at > def && at[-1] == '\n' && at - 1 > def && at[-2] == '\n')
		at--;
	put(&b, def, (size_t)(at - def));
	if (at > def && at[-1] != '\n')
		puts_b(&b, "\n");
	puts_b(&b, "\n");
	puts_b(&b, rows);
	if (rows[0] && rows[strlen(rows) - 1] != '\n')
		puts_b(&b, "\n");
	puts_b(&b, at);
	return finish(&b);
}
