/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the checkpoint records: the input is the value a guest
 * writes to the checkpoint port, the registers it had at its SYSCALL, a CR3
 * and its RAM.  Each record goes the way vmm/run/checkpoints.c takes it:
 * fetch and bounds checks, then per kind the layout validation, the pt_regs
 * read through the guest's own page tables and its comparison, the measure
 * name, or the context-switch record judged against the fixture's layout.
 * Every refusal is one line; every accepted record lies inside guest RAM
 * with the payload size its kind requires.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/layout.h"
#include "check/ptregs_check.h"
#include "check/switch_check.h"
#include "fixtures/layout_fixture.h"
#include "fuzz/fuzz_inputs.h"
#include "fuzz/fuzz_target.h"
#include "machine/events.h"
#include "machine/gmem.h"

#define FUZZ_RAM FUZZ_EVENTS_RAM
#define FUZZ_CPUS 2
/* The RAM size a layout is judged against: a real guest's, though only the
 * first FUZZ_RAM bytes are backed here (the layout names addresses; it is
 * never read through them). */
#define FUZZ_GUEST_RAM (64ull << 20)

static void one_line(const char *msg, size_t cap)
{
	FUZZ_ASSERT(memchr(msg, '\0', cap) != NULL);
	FUZZ_ASSERT(msg[0] != '\0');
	FUZZ_ASSERT(strchr(msg, '\n') == NULL);
}

static size_t payload_size(uint32_t kind)
{
	switch (kind) {
	case EBX_EV_LAYOUT: return sizeof(struct ebx_layout);
	case EBX_EV_SYSCALL_REGS: return sizeof(struct ebx_ev_syscall_regs);
	case EBX_EV_MEASURE_BEGIN:
	case EBX_EV_MEASURE_END: return sizeof(struct ebx_ev_measure);
	case EBX_EV_INJECT_POINT: return sizeof(struct ebx_ev_inject_point);
	case EBX_EV_SWITCH: return sizeof(struct ebx_ev_switch);
	case EBX_EV_CONSOLE: return EBX_EVENT_MAX_PAYLOAD; /* at most: any length from 1 */
	default: return 0;
	}
}

static bool length_fits(uint32_t kind, size_t length)
{
	size_t want = payload_size(kind);
	return want != 0 && (kind == EBX_EV_CONSOLE ? length >= 1 && length <= want : length == want);
}

static void take_layout(const struct event_view *ev)
{
	struct layout *l = calloc(1, sizeof(*l));
	FUZZ_ASSERT(l != NULL);
	char err[200];
	if (layout_validate(ev->payload, ev->length, FUZZ_GUEST_RAM, l, err, sizeof(err)))
		FUZZ_ASSERT(l->valid);
	else
		one_line(err, sizeof(err));
	free(l);
}

static void take_syscall_regs(const struct event_view *ev, struct gmem *m, const struct fuzz_events_input *h)
{
	struct ebx_ev_syscall_regs p;
	memcpy(&p, ev->payload, sizeof(p));
	struct ebx_pt_regs saved, expected;
	if (!gmem_read_virt(m, h->cr3, p.pt_regs_gva, &saved, sizeof(saved)))
		return;
	ptregs_expected_from_syscall(h->gpr, 0x33, 0x2b, &expected);
	char detail[192];
	if (!ptregs_compare(&saved, &expected, detail, sizeof(detail)))
		one_line(detail, sizeof(detail));
	/* Equal frames must compare equal, whatever the guest's registers. */
	FUZZ_ASSERT(ptregs_compare(&expected, &expected, detail, sizeof(detail)));
}

static void take_measure(const struct event_view *ev)
{
	struct ebx_ev_measure p;
	memcpy(&p, ev->payload, sizeof(p));
	char name[sizeof(p.name)];
	if (event_string(p.name, sizeof(p.name), name, sizeof(name)))
		FUZZ_ASSERT(strlen(name) < sizeof(p.name) && memchr(p.name, '\0', sizeof(p.name)) != NULL);
	else
		FUZZ_ASSERT(memchr(p.name, '\0', sizeof(p.name)) == NULL);
}

/* The fixture's valid layout, for judging switch records. */
static const struct layout *fixture_layout(void)
{
	static struct layout l;
	static bool done;
	if (!done) {
		struct ebx_layout raw;
		fx_build(&raw, true);
		done = layout_validate(&raw, sizeof(raw), FX_RAM, &l, NULL, 0);
		FUZZ_ASSERT(done);
	}
	return &l;
}

static bool no_memory(void *ctx, uint64_t cr3, uint64_t gva, void *dst, size_t len)
{
	(void)ctx, (void)cr3, (void)gva, (void)dst, (void)len;
	return false;
}

/* The record, on the stack the guest's RSP names, against what the CPU's
 * last checkpoint left: a violation is one line, and only a task that left
 * its frames on a shared stack ever reserves the CPU. */
static void take_switch(const struct event_view *ev, const struct fuzz_events_input *h)
{
	struct ebx_ev_switch rec;
	memcpy(&rec, ev->payload, sizeof(rec));
	struct vcpu_snap s = { .cpu = ev->cpu, .point = SNAP_SWITCH, .rsp = h->gpr[4], .read_virt = no_memory };
	struct switch_cpu_state cpu = { .pinned = (h->gpr[0] & 1) != 0, .task = (uint32_t)h->gpr[1] };
	struct violation v = { .rule = SWITCH_RULE, .detail = "" };
	bool was_pinned = cpu.pinned;
	if (!switch_check(&s, fixture_layout(), &rec, &cpu, &v))
		one_line(v.detail, sizeof(v.detail));
	else if (cpu.pinned && !was_pinned)
		FUZZ_ASSERT((rec.flags & EBX_SWITCH_OUT) && (rec.flags & EBX_SWITCH_RESERVED));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t ram[FUZZ_RAM];
	struct fuzz_events_input h;
	if (size < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	data += sizeof(h);
	size -= sizeof(h);
	size_t ram_part = size < FUZZ_RAM ? size : FUZZ_RAM;
	memset(ram, 0, sizeof(ram));
	memcpy(ram, data, ram_part);
	struct gmem m = { .host = ram, .size = sizeof(ram) };

	/* Let small inputs reach real records: low port values point into RAM. */
	uint64_t gpa = h.port_value & 0x80000000u ? h.port_value : h.port_value % (FUZZ_RAM + 64);
	struct event_view ev;
	char err[200];
	if (!event_fetch(&m, gpa, FUZZ_CPUS, &ev, err, sizeof(err))) {
		one_line(err, sizeof(err));
		return 0;
	}
	FUZZ_ASSERT(ev.cpu < FUZZ_CPUS);
	FUZZ_ASSERT(ev.payload >= ram && ev.payload + ev.length <= ram + sizeof(ram));
	FUZZ_ASSERT(length_fits(ev.kind, ev.length));
	switch (ev.kind) {
	case EBX_EV_LAYOUT: take_layout(&ev); break;
	case EBX_EV_SYSCALL_REGS: take_syscall_regs(&ev, &m, &h); break;
	case EBX_EV_MEASURE_BEGIN:
	case EBX_EV_MEASURE_END: take_measure(&ev); break;
	case EBX_EV_SWITCH: take_switch(&ev, &h); break;
	default: break;
	}
	return 0;
}
