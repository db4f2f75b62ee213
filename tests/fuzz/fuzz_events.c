/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the exit handlers' guest-facing parsers: the input is a
 * guest's RAM plus the value it wrote to the checkpoint port, and a console
 * byte stream.  Everything the VMM does with a checkpoint before trusting it
 * runs here: record fetch, layout validation, pt_regs comparison, the
 * context-switch check (against the fixture's layout), console line
 * assembly and the parsing of the guest's events (result, refused, expect,
 * panic).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/layout.h"
#include "check/ptregs_check.h"
#include "check/switch_check.h"
#include "fixtures/layout_fixture.h"
#include "machine/events.h"
#include "machine/serial.h"
#include "result/result.h"

#define FUZZ_RAM (16u * 1024u)

/* The fixture's valid layout, for judging switch records. */
static const struct layout *fixture_layout(void)
{
	static struct layout l;
	static bool done;
	if (!done) {
		struct ebx_layout raw;
		fx_build(&raw, true);
		done = layout_validate(&raw, sizeof(raw), FX_RAM, &l, NULL, 0);
	}
	return &l;
}

static bool no_memory(void *ctx, uint64_t cr3, uint64_t gva, void *dst, size_t len)
{
	(void)ctx, (void)cr3, (void)gva, (void)dst, (void)len;
	return false;
}

static void on_line(void *ctx, const char *line)
{
	result_parse_serial_line(line, ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t ram[FUZZ_RAM];
	if (size < 4)
		return 0;
	uint32_t port_value;
	memcpy(&port_value, data, 4);
	data += 4;
	size -= 4;
	size_t ram_part = size < FUZZ_RAM ? size : FUZZ_RAM;
	memset(ram, 0, sizeof(ram));
	memcpy(ram, data, ram_part);
	struct gmem m = { .host = ram, .size = sizeof(ram) };

	/* Let small inputs reach real records: low port values point into RAM. */
	uint64_t gpa = port_value % (FUZZ_RAM + 64);
	struct event_view ev;
	char err[200];
	if (event_fetch(&m, gpa, 2, &ev, err, sizeof(err))) {
		if (ev.kind == EBX_EV_LAYOUT) {
			struct layout *l = calloc(1, sizeof(*l));
			if (l && layout_validate(ev.payload, ev.length, sizeof(ram), l, err, sizeof(err))) {
				bool guard;
				layout_find_stack(l, port_value, &guard);
				layout_stack_top(l, EBX_STACK_ENTRY, 0);
			}
			free(l);
		} else if (ev.kind == EBX_EV_SYSCALL_REGS && ram_part >= sizeof(struct ebx_pt_regs) * 2) {
			struct ebx_pt_regs a, b;
			memcpy(&a, ram, sizeof(a));
			memcpy(&b, ram + sizeof(a), sizeof(b));
			char detail[192];
			ptregs_compare(&a, &b, detail, sizeof(detail));
		} else if (ev.kind == EBX_EV_SWITCH) {
			struct ebx_ev_switch rec;
			memcpy(&rec, ev.payload, sizeof(rec));
			struct vcpu_snap s = { .cpu = ev.cpu, .point = SNAP_SWITCH, .rsp = (uint64_t)port_value << 12 | 0xfffffe0000000000ull,
					       .read_virt = no_memory };
			struct switch_cpu_state cpu = { .pinned = (port_value & 1) != 0, .task = port_value >> 1 & 3 };
			struct violation v = { .rule = SWITCH_RULE };
			switch_check(&s, fixture_layout(), &rec, &cpu, &v);
		}
	}

	struct run_result *r = calloc(1, sizeof(*r));
	struct serial s;
	serial_init(&s, NULL, on_line, r);
	for (size_t i = ram_part; i < size; i++)
		serial_out(&s, (uint16_t)(data[i] & 7) == 1 ? 1 : 0, data[i]);
	serial_flush(&s);
	free(r);
	return 0;
}

#ifdef FUZZ_REPLAY
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		static uint8_t buf[1 << 20];
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
	}
	printf("replayed %d inputs\n", argc - 1);
	return 0;
}
#endif
