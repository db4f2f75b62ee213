/* SPDX-License-Identifier: MIT */
/* The guest's table of entry models, from models.def, by cmdline index. */
#include "models.h"

static const struct entry_model *const models[] = {
#define ENTRY_MODEL(id, name, summary) &entry_model_##id,
#include "models.def"
#undef ENTRY_MODEL
};

const struct entry_model *entry_model_get(unsigned index)
{
	return index < sizeof(models) / sizeof(models[0]) ? models[index] : NULL;
}

static const struct entry_model *active;

void entry_model_activate(const struct entry_model *m)
{
	active = m;
}

const struct entry_model *entry_model_active(void)
{
	return active;
}
