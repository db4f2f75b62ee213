/* SPDX-License-Identifier: MIT */
#include "explain/triple_fault.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "entrybox/x86.h"
#include "explain/symbols.h"

/* What delivery pushes at most: an error code and the IRET frame. */
#define FRAME_BYTES (8 + IRET_FRAME_SIZE)

static const char *const names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#09", "#TS", "#NP", "#SS", "#GP", "#PF",
	"#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC",
	"#SX", "#31",
};

struct text {
	char *buf;
	size_t len, used;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
	if (t->used >= t->len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->used, t->len - t->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->used += (size_t)n < t->len - t->used ? (size_t)n : t->len - t->used - 1;
}

static bool read_virt(const struct tf_machine *m, uint64_t va, void *dst, size_t len)
{
	size_t done = 0;
	return pt_read_virt(m->env, m->cpu.cr3 & PT_CR3_PGD_MASK, va, dst, len, &done) == PT_OK;
}

/* Whether a push of `bytes` below `top` lands in writable mapped memory. */
static bool stack_ok(const struct tf_machine *m, uint64_t top, size_t bytes)
{
	for (uint64_t a = top - bytes; a < top; a = (a | (PT_PAGE_SIZE - 1)) + 1) {
		struct pt_walk w;
		if (pt_walk(m->env, m->cpu.cr3 & PT_CR3_PGD_MASK, a, &w) != PT_OK || !w.writable)
			return false;
	}
	return true;
}

static void name_code(const struct tf_machine *m, uint64_t addr, char *buf, size_t len)
{
	if (m->syms)
		symtab_describe(m->syms, addr, buf, len);
	else
		snprintf(buf, len, "0x%" PRIx64, addr);
}

static void name_stack(const struct tf_machine *m, uint64_t addr, char *buf, size_t len)
{
	bool guard = false;
	const struct ebx_stack_desc *d = m->layout && m->layout->valid ? layout_find_stack(m->layout, addr, &guard) : NULL;
	if (d)
		snprintf(buf, len, "%s%s", guard ? "the guard page of " : "", d->name);
	else
		snprintf(buf, len, "no registered stack");
}

struct gate {
	bool readable, present;
	unsigned ist;
	uint64_t target;
};

static struct gate read_gate(const struct tf_machine *m, unsigned vector)
{
	struct gate g = { 0 };
	uint8_t raw[16];
	if ((uint32_t)vector * 16 + 15 > m->idt_limit || !read_virt(m, m->idt_base + vector * 16, raw, sizeof(raw)))
		return g;
	g.readable = true;
	g.present = (raw[5] & 0x80) != 0;
	g.ist = raw[4] & 7;
	uint32_t high;
	memcpy(&high, raw + 8, 4);
	g.target = (uint64_t)raw[0] | (uint64_t)raw[1] << 8 | (uint64_t)raw[6] << 16 | (uint64_t)raw[7] << 24 |
		   (uint64_t)high << 32;
	return g;
}

/* Replays delivery of `vector`; returns true when nothing in the state stops
 * it, else appends why it fails. */
static bool deliver(const struct tf_machine *m, unsigned vector, struct text *t)
{
	struct gate g = read_gate(m, vector);
	if (!g.readable) {
		add(t, "%s: IDT entry unreadable (IDT 0x%" PRIx64 " limit 0x%x not mapped or too short)", names[vector],
		    m->idt_base, m->idt_limit);
		return false;
	}
	if (!g.present) {
		add(t, "%s: IDT gate not present", names[vector]);
		return false;
	}
	uint64_t stack = m->cpu.gpr[FA_RSP] & ~15ull;
	char how[48];
	if (g.ist) {
		uint64_t ist = 0;
		if (!read_virt(m, m->tr_base + TSS_IST(g.ist), &ist, 8)) {
			add(t, "%s on IST%u: TSS at 0x%" PRIx64 " not mapped", names[vector], g.ist, m->tr_base);
			return false;
		}
		stack = ist;
		snprintf(how, sizeof(how), "on IST%u", g.ist);
	} else if (m->cpu.cpl == 3) {
		if (!read_virt(m, m->tr_base + TSS_RSP0, &stack, 8)) {
			add(t, "%s: TSS at 0x%" PRIx64 " not mapped (RSP0 unreadable)", names[vector], m->tr_base);
			return false;
		}
		snprintf(how, sizeof(how), "on TSS.RSP0");
	} else {
		snprintf(how, sizeof(how), "without IST, on the same stack");
	}
	char where[64];
	name_stack(m, stack - 8, where, sizeof(where));
	if (!stack_ok(m, stack, FRAME_BYTES)) {
		add(t, "%s %s: RSP 0x%" PRIx64 " (%s) in an unmapped or read-only page", names[vector], how, stack,
		    where);
		return false;
	}
	struct pt_walk w;
	if (pt_walk(m->env, m->cpu.cr3 & PT_CR3_PGD_MASK, g.target, &w) != PT_OK || w.nx) {
		add(t, "%s %s: handler 0x%" PRIx64 " not executable under CR3 0x%" PRIx64, names[vector], how, g.target,
		    m->cpu.cr3);
		return false;
	}
	add(t, "%s %s (RSP 0x%" PRIx64 ", %s) looks deliverable", names[vector], how, stack, where);
	return true;
}

/* The first exception and its CR2: the VMM's own injection, else the
 * instruction's faulting access, else CR2 where the backend kept it. */
static int first_exception(const struct tf_machine *m, uint64_t *cr2, struct text *t)
{
	if (m->first_vector >= 0 && m->first_vector < 32) {
		*cr2 = m->cr2;
		return m->first_vector;
	}
	struct fa_fault f;
	if (fa_find_fault(&m->cpu, m->env, &f)) {
		*cr2 = f.cr2;
		add(t, "(first exception from the instruction: %s) ", f.access);
		return (int)f.vector;
	}
	if (m->cr2_valid) {
		*cr2 = m->cr2;
		add(t, "(first exception inferred from CR2%s%s) ", f.access[0] ? "; " : "", f.access);
		return VEC_PF;
	}
	return -1;
}

void tf_explain(const struct tf_machine *m, char *buf, size_t len)
{
	struct text t = { buf, len, 0 };
	buf[0] = '\0';
	char at[96], sp[64];
	uint64_t rip = m->cpu.rip, rsp = m->cpu.gpr[FA_RSP], cr2 = 0;
	name_code(m, rip, at, sizeof(at));
	name_stack(m, rsp, sp, sizeof(sp));
	if (m->provenance)
		add(&t, "(%s) ", m->provenance);
	int first = first_exception(m, &cr2, &t);
	if (first < 0) {
		add(&t, "no access of the instruction at %s faults and the backend kept no CR2: the first exception "
		    "is unknown (CPL %u, RSP 0x%" PRIx64 " in %s) -> ", at, m->cpu.cpl, rsp, sp);
		first = VEC_DF;
	} else {
		add(&t, "%s at %s (CPL %u, RSP 0x%" PRIx64 " in %s%s", names[first], at, m->cpu.cpl, rsp, sp,
		    first == VEC_PF ? "" : ")");
		if (first == VEC_PF)
			add(&t, ", CR2 0x%" PRIx64 ")", cr2);
		add(&t, " -> ");
		if (deliver(m, (unsigned)first, &t)) {
			add(&t, "; the shutdown came later than this state shows");
			return;
		}
		if (first == VEC_DF) {
			add(&t, " -> shutdown");
			return;
		}
		add(&t, " -> ");
	}
	if (deliver(m, VEC_DF, &t)) {
		add(&t, "; the shutdown came later than this state shows");
		return;
	}
	add(&t, " -> shutdown");
}
