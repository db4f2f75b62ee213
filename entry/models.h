/* SPDX-License-Identifier: MIT */
#ifndef ENTRYBOX_MODELS_H
#define ENTRYBOX_MODELS_H

#include "entry_model.h"

/* Row `index` of models.def (the same index cmdline_parse returns). */
const struct entry_model *entry_model_get(unsigned index);

#endif
