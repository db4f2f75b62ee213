/* SPDX-License-Identifier: MIT */
/* Turning a rule violation into what a kernel engineer reads: symbol+offset,
 * the instruction, the source line, the stack region and the registers. */
#ifndef ENTRYBOX_REPORT_H
#define ENTRYBOX_REPORT_H

#include <stdio.h>
#include "check/layout.h"
#include "check/rules.h"
#include "explain/symbols.h"
#include "result/result.h"

void report_fill(struct violation_report *out, const struct violation *v, const struct vcpu_snap *s,
		 const struct layout *l, const struct symtab *syms);
void report_print(FILE *f, const struct violation_report *v);

#endif
