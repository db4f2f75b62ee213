/* SPDX-License-Identifier: MIT */
/*
 * models.def as tables: the models, their options and the options' values,
 * with the constants model code names them by.  Pure C without library
 * calls, so the same file builds into the freestanding guest (its command
 * line) and into the host (the CLI's checks before a run, `entrybox list`).
 */
#ifndef ENTRYBOX_MODEL_TABLE_H
#define ENTRYBOX_MODEL_TABLE_H

#include <stdbool.h>
#include <stddef.h>

/* Every row in order, for the value numbering below. */
enum entry_row {
#define ENTRY_MODEL(id, name, summary) ENTRY_ROW_##id,
#define ENTRY_OPTION(m, key, summary) ENTRY_ROW_##m##_##key,
#define ENTRY_RANGE(m, key, lo, hi, summary) ENTRY_ROW_##m##_##key,
#define ENTRY_VALUE(m, key, id, value, help) ENTRY_ROW_##m##_##key##_##id,
#include "models.def"
#undef ENTRY_MODEL
#undef ENTRY_OPTION
#undef ENTRY_RANGE
#undef ENTRY_VALUE
	ENTRY_ROWS
};

/* Models by models.def order: entry= index. */
enum entry_model_id {
#define ENTRY_MODEL(id, name, summary) ENTRY_MODEL_##id,
#define ENTRY_OPTION(m, key, summary)
#define ENTRY_RANGE(m, key, lo, hi, summary)
#define ENTRY_VALUE(m, key, id, value, help)
#include "models.def"
#undef ENTRY_MODEL
#undef ENTRY_OPTION
#undef ENTRY_RANGE
#undef ENTRY_VALUE
	ENTRY_MODELS
};

/* Options of every model, in one numbering: the index into boot_options.opt[]. */
enum entry_option_id {
#define ENTRY_MODEL(id, name, summary)
#define ENTRY_OPTION(m, key, summary) ENTRY_OPT_##m##_##key,
#define ENTRY_RANGE(m, key, lo, hi, summary) ENTRY_OPT_##m##_##key,
#define ENTRY_VALUE(m, key, id, value, help)
#include "models.def"
#undef ENTRY_MODEL
#undef ENTRY_OPTION
#undef ENTRY_RANGE
#undef ENTRY_VALUE
	ENTRY_OPTIONS
};

/* The number a value has within its option (0 = the default), e.g.
 * ENTRY_VAL(xen, hv, vmm); what opt[] holds for a value option. */
#define ENTRY_VAL(m, key, id) ((unsigned long)(ENTRY_ROW_##m##_##key##_##id - ENTRY_ROW_##m##_##key - 1))
/* An option's parsed value (a value's number, or the number of a range), from
 * a struct boot_options (guest/boot/cmdline.h). */
#define ENTRY_OPT(opts, m, key) ((opts)->opt[ENTRY_OPT_##m##_##key])
#define ENTRY_OPT_IS(opts, m, key, id) (ENTRY_OPT(opts, m, key) == ENTRY_VAL(m, key, id))

/* Room for boot_options.opt[] even in a tree whose models take no option. */
#define ENTRY_OPTION_SLOTS (ENTRY_OPTIONS > 0 ? ENTRY_OPTIONS : 1)

struct entry_option_desc {
	unsigned model;          /* enum entry_model_id */
	const char *key, *summary;
	bool numeric;            /* ENTRY_RANGE: lo..hi; else values */
	unsigned long lo, hi;
};

struct entry_value_desc {
	unsigned option;         /* enum entry_option_id */
	const char *name, *help;
};

/* True when every option sits in its model's block and every value right
 * after its option or a sibling value: what ENTRY_VAL's numbering needs. */
bool entry_table_consistent(void);

unsigned entry_table_model_count(void);
const char *entry_table_model_name(unsigned model);     /* NULL out of range */
const char *entry_table_model_summary(unsigned model);
/* The model named by the len bytes at name, or -1. */
int entry_table_model_find(const char *name, size_t len);

unsigned entry_table_option_count(void);
const struct entry_option_desc *entry_table_option(unsigned option);   /* NULL out of range */
/* Option `key` (len bytes) of `model`, or -1. */
int entry_table_option_find(unsigned model, const char *key, size_t len);
/* The values of a value option, by number (0 = default); none for a range. */
unsigned entry_table_value_count(unsigned option);
const struct entry_value_desc *entry_table_value(unsigned option, unsigned number);
/* The number of value `v` (len bytes) of `option`, or -1. */
int entry_table_value_find(unsigned option, const char *v, size_t len);
/* The default of an option: value 0, or a range's lowest number. */
unsigned long entry_table_option_default(unsigned option);

#endif
