/* SPDX-License-Identifier: MIT */
#include "explain/report.h"

#include <inttypes.h>
#include <string.h>

static void describe_stack(char *buf, size_t len, const struct layout *l, uint64_t rsp)
{
	bool guard = false;
	const struct ebx_stack_desc *st = l && l->valid ? layout_stack_of_rsp(l, rsp, &guard) : NULL;
	if (!st)
		snprintf(buf, len, "unregistered");
	else
		snprintf(buf, len, "%s%s", st->name, guard ? " (guard page)" : "");
}

void report_fill(struct violation_report *out, const struct violation *v, const struct vcpu_snap *s,
		 const struct layout *l, const struct symtab *syms)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->rule, sizeof(out->rule), "%s", v->rule);
	snprintf(out->detail, sizeof(out->detail), "%s", v->detail);
	out->rip = s->rip;
	out->rsp = s->rsp;
	out->cr3 = s->cr3;
	out->gs_base = s->gs_base;
	out->cpu = s->cpu;
	out->cpl = s->cpl;
	if (syms)
		symtab_describe(syms, s->rip, out->symbol, sizeof(out->symbol));
	else
		snprintf(out->symbol, sizeof(out->symbol), "0x%" PRIx64, s->rip);
	if (!syms || !symtab_source_line(syms, s->rip, out->source, sizeof(out->source)))
		out->source[0] = '\0';
	uint8_t code[16];
	size_t have = 0;
	/* Read as much as is mapped: the instruction may end right before an unmapped page. */
	for (have = sizeof(code); have > 0; have--)
		if (s->read_virt && s->read_virt(s->read_ctx, s->cr3, s->rip, code, have))
			break;
	if (have == 0 || disasm_one(code, have, s->rip, out->insn, sizeof(out->insn)) == 0)
		snprintf(out->insn, sizeof(out->insn), "(unreadable)");
	describe_stack(out->stack, sizeof(out->stack), l, s->rsp);
}

void report_print(FILE *f, const struct violation_report *v)
{
	fprintf(f, "VIOLATION %s at %s: %s -- %s (cpu %u cpl %u rsp 0x%" PRIx64 " in %s, cr3 0x%" PRIx64
		   ", gs 0x%" PRIx64 ")%s%s\n",
		v->rule, v->symbol, v->insn, v->detail, v->cpu, v->cpl, v->rsp, v->stack, v->cr3, v->gs_base,
		v->source[0] ? " at " : "", v->source);
}
