/* SPDX-License-Identifier: MIT */
/* models.def as tables (model_table.h); freestanding and hosted alike, so it calls no library function. */
#include "model_table.h"

struct model_desc {
	const char *name, *summary;
};

static const struct model_desc models[] = {
#define ENTRY_MODEL(id, name, summary) { name, summary },
#define ENTRY_OPTION(m, key, summary)
#define ENTRY_RANGE(m, key, lo, hi, summary)
#define ENTRY_VALUE(m, key, id, value, help)
#include "models.def"
#undef ENTRY_MODEL
#undef ENTRY_OPTION
#undef ENTRY_RANGE
#undef ENTRY_VALUE
	{ 0, 0 }
};

static const struct entry_option_desc options[] = {
#define ENTRY_MODEL(id, name, summary)
#define ENTRY_OPTION(m, key, summary) { ENTRY_MODEL_##m, #key, summary, false, 0, 0 },
#define ENTRY_RANGE(m, key, lo, hi, summary) { ENTRY_MODEL_##m, #key, summary, true, lo, hi },
#define ENTRY_VALUE(m, key, id, value, help)
#include "models.def"
#undef ENTRY_MODEL
#undef ENTRY_OPTION
#undef ENTRY_RANGE
#undef ENTRY_VALUE
	{ 0, 0, 0, false, 0, 0 }
};

static const struct entry_value_desc values[] = {
#define ENTRY_MODEL(id, name, summary)
#define ENTRY_OPTION(m, key, summary)
#define ENTRY_RANGE(m, key, lo, hi, summary)
#define ENTRY_VALUE(m, key, id, value, help) { ENTRY_OPT_##m##_##key, value, help },
#include "models.def"
#undef ENTRY_MODEL
#undef ENTRY_OPTION
#undef ENTRY_RANGE
#undef ENTRY_VALUE
	{ 0, 0, 0 }
};

/* Each table ends in a zero row, so a tree without options still compiles. */
#define ROWS(a) (sizeof(a) / sizeof((a)[0]) - 1)

/* What each row is, to check the order the numbering relies on
 * (entry_table_consistent): ENTRY_VAL counts a value's number from its
 * option's row, and an option belongs to the model block it sits in. */
enum row_kind { ROW_MODEL = 1, ROW_OPTION, ROW_RANGE, ROW_VALUE };

struct row_desc {
	unsigned char kind;
	unsigned id;             /* the model's or the option's number */
};

static const struct row_desc rows[ENTRY_ROWS + 1] = {
#define ENTRY_MODEL(id, name, summary) [ENTRY_ROW_##id] = { ROW_MODEL, ENTRY_MODEL_##id },
#define ENTRY_OPTION(m, key, summary) [ENTRY_ROW_##m##_##key] = { ROW_OPTION, ENTRY_OPT_##m##_##key },
#define ENTRY_RANGE(m, key, lo, hi, summary) [ENTRY_ROW_##m##_##key] = { ROW_RANGE, ENTRY_OPT_##m##_##key },
#define ENTRY_VALUE(m, key, id, value, help) [ENTRY_ROW_##m##_##key##_##id] = { ROW_VALUE, ENTRY_OPT_##m##_##key },
#include "models.def"
#undef ENTRY_MODEL
#undef ENTRY_OPTION
#undef ENTRY_RANGE
#undef ENTRY_VALUE
};

bool entry_table_consistent(void)
{
	unsigned model = ENTRY_MODELS;

	for (unsigned r = 0; r < ENTRY_ROWS; r++) {
		const struct row_desc *d = &rows[r];
		if (d->kind == ROW_MODEL) {
			model = d->id;
		} else if (d->kind == ROW_OPTION || d->kind == ROW_RANGE) {
			if (options[d->id].model != model)
				return false;
		} else {
			if (r == 0)
				return false;
			const struct row_desc *prev = &rows[r - 1];
			if (prev->id != d->id || (prev->kind != ROW_OPTION && prev->kind != ROW_VALUE))
				return false;
		}
	}
	return true;
}

static bool span_is(const char *s, size_t len, const char *word)
{
	size_t i = 0;
	for (; i < len; i++) {
		if (word[i] != s[i])
			return false;
	}
	return word[i] == '\0';
}

unsigned entry_table_model_count(void)
{
	return (unsigned)ROWS(models);
}

const char *entry_table_model_name(unsigned model)
{
	return model < ROWS(models) ? models[model].name : 0;
}

const char *entry_table_model_summary(unsigned model)
{
	return model < ROWS(models) ? models[model].summary : 0;
}

int entry_table_model_find(const char *name, size_t len)
{
	for (unsigned i = 0; i < ROWS(models); i++) {
		if (span_is(name, len, models[i].name))
			return (int)i;
	}
	return -1;
}

unsigned entry_table_option_count(void)
{
	return (unsigned)ROWS(options);
}

const struct entry_option_desc *entry_table_option(unsigned option)
{
	return option < ROWS(options) ? &options[option] : 0;
}

int entry_table_option_find(unsigned model, const char *key, size_t len)
{
	for (unsigned i = 0; i < ROWS(options); i++) {
		if (options[i].model == model && span_is(key, len, options[i].key))
			return (int)i;
	}
	return -1;
}

/* Values of one option are consecutive rows of values[]. */
static unsigned first_value(unsigned option, unsigned *count)
{
	unsigned first = 0, n = 0;
	for (unsigned i = 0; i < ROWS(values); i++) {
		if (values[i].option != option)
			continue;
		if (n++ == 0)
			first = i;
	}
	*count = n;
	return first;
}

unsigned entry_table_value_count(unsigned option)
{
	unsigned n;
	first_value(option, &n);
	return n;
}

const struct entry_value_desc *entry_table_value(unsigned option, unsigned number)
{
	unsigned n, first = first_value(option, &n);
	return number < n ? &values[first + number] : 0;
}

int entry_table_value_find(unsigned option, const char *v, size_t len)
{
	unsigned n, first = first_value(option, &n);
	for (unsigned i = 0; i < n; i++) {
		if (span_is(v, len, values[first + i].name))
			return (int)i;
	}
	return -1;
}

unsigned long entry_table_option_default(unsigned option)
{
	const struct entry_option_desc *o = entry_table_option(option);
	return o && o->numeric ? o->lo : 0;
}
