/* SPDX-License-Identifier: MIT */
#include "trace_check.h"

#include <stdio.h>
#include <string.h>

#include "entrybox/x86.h"

#define GATE_BYTES 16u

void idt_targets_read(struct idt_targets *t, struct gmem *m, uint64_t cr3, uint64_t idt_base, uint16_t limit)
{
	static uint8_t gates[IDT_GATES * GATE_BYTES];
	memset(t, 0, sizeof(*t));
	unsigned n = ((unsigned)limit + 1) / GATE_BYTES;
	if (n > IDT_GATES)
		n = IDT_GATES;
	if (n == 0 || !gmem_read_virt(m, cr3, idt_base, gates, n * GATE_BYTES))
		return;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *g = gates + i * GATE_BYTES;
		uint32_t high;
		memcpy(&high, g + 8, sizeof(high));
		if (g[5] & 0x80)
			t->target[i] = (uint64_t)g[0] | (uint64_t)g[1] << 8 | (uint64_t)g[6] << 16 |
				       (uint64_t)g[7] << 24 | (uint64_t)high << 32;
		uint8_t code[X86_MAX_INSN_LEN];
		struct insn_flow f;
		if (t->target[i] && gmem_read_virt(m, cr3, t->target[i], code, sizeof(code)) &&
		    insn_flow_decode(code, sizeof(code), t->target[i], &f) && f.kind == FLOW_NEXT)
			t->second[i] = t->target[i] + f.len;
	}
	t->known = true;
}

int idt_targets_vector_past_gate(const struct idt_targets *t, uint64_t rip)
{
	if (!t->known)
		return -1;
	for (unsigned i = 0; i < IDT_GATES; i++)
		if (t->second[i] && t->second[i] == rip)
			return (int)i;
	return -1;
}

int idt_targets_vector(const struct idt_targets *t, uint64_t rip)
{
	if (!t->known)
		return -1;
	for (unsigned i = 0; i < IDT_GATES; i++)
		if (t->target[i] && t->target[i] == rip)
			return (int)i;
	return -1;
}

struct reader {
	struct gmem *m;
	uint64_t cr3;
};

static bool read_virt(void *ctx, uint64_t va, void *dst, size_t len)
{
	const struct reader *r = ctx;
	return gmem_read_virt(r->m, r->cr3, va, dst, len);
}

void step_check_expect(struct step_check *c, const struct trace_step_out *o, struct gmem *m, uint64_t lstar)
{
	struct insn_flow f;
	memset(c, 0, sizeof(*c));
	c->after = o->snap.rip;
	if (o->code_len == 0 || !insn_flow_decode(o->code, o->code_len, o->snap.rip, &f))
		return;
	snprintf(c->mnemonic, sizeof(c->mnemonic), "%s", f.mnemonic);
	struct reader r = { m, o->snap.cr3 };
	struct flow_state st = { .gpr = o->snap.gpr, .gs_base = o->snap.gs_base, .read = read_virt, .ctx = &r };
	if (!insn_flow_next(&f, o->snap.rip, &st, c->next, &c->nnext))
		return;
	if (f.kind == FLOW_SYSCALL && lstar)
		c->next[c->nnext++] = lstar;
	c->known = true;
}

bool step_check_allows(const struct step_check *c, uint64_t rip)
{
	for (unsigned i = 0; i < c->nnext; i++)
		if (c->next[i] == rip)
			return true;
	return false;
}
