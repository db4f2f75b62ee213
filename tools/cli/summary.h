/* SPDX-License-Identifier: MIT */
/* The human summary of one run, whatever engine ran it. */
#ifndef ENTRYBOX_SUMMARY_H
#define ENTRYBOX_SUMMARY_H

#include <stdio.h>

#include "cli/status.h"

void summary_print(FILE *out, const struct run_result *r, enum ebx_status status);

#endif
