/* SPDX-License-Identifier: MIT */
/*
 * Writes the seed corpora of the fuzz targets into DIR/<target>/: inputs that
 * reach every stage of each parser (accepted records of several shapes, and
 * records that fail at different depths), so a fuzzer starts from everywhere.
 *   build/tests/gen_seeds tests/fuzz/corpus
 * Inputs libFuzzer found later live beside them under their SHA-1 names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check/ptregs_check.h"
#include "fixtures/layout_fixture.h"
#include "fuzz/fuzz_inputs.h"
#include "pagetables.h"

static int write_seed(const char *dir, const char *target, const char *name, const void *bytes, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, target);
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		perror(path);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s/%s", dir, target, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}

static int text_seed(const char *dir, const char *target, const char *name, const char *text)
{
	return write_seed(dir, target, name, text, strlen(text));
}

/* ---- layout ---------------------------------------------------------------------------- */

/* One CPU, no task, only its entry stack: the smallest accepted layout. */
static void minimal(struct ebx_layout *r)
{
	fx_build(r, true);
	r->ncpus = 1;
	r->ntasks = 0;
	r->nstacks = 1;
	memset(r->ist_of_vector, 0, sizeof(r->ist_of_vector));
}

static int layout_seeds(const char *dir)
{
	struct ebx_layout r;
	int bad = 0;
	fx_build(&r, true);
	bad |= write_seed(dir, "layout", "valid-pti", &r, sizeof(r));
	r.pcid = 1;
	fx_land_on(&r, FX_LAND_PTI);
	bad |= write_seed(dir, "layout", "valid-pcid-pti-stack", &r, sizeof(r));
	fx_build(&r, false);
	fx_land_on(&r, FX_LAND_VCPU);
	bad |= write_seed(dir, "layout", "valid-nopti-vcpu", &r, sizeof(r));
	minimal(&r);
	bad |= write_seed(dir, "layout", "valid-minimal", &r, sizeof(r));
	fx_build(&r, true);
	r.stacks[FX_ST_IST(0, 2)].guard_below = 3;
	bad |= write_seed(dir, "layout", "bad-overlap-guard", &r, sizeof(r));
	fx_build(&r, true);
	r.tasks[2].user_pgd = r.tasks[2].kernel_pgd;
	bad |= write_seed(dir, "layout", "bad-pti-pair", &r, sizeof(r));
	fx_build(&r, true);
	r.version = 1;
	bad |= write_seed(dir, "layout", "bad-version", &r, sizeof(r));
	fx_build(&r, true);
	r.stacks[FX_ST_PTI(1)].flags |= EBX_STACKF_LANDING;
	bad |= write_seed(dir, "layout", "bad-landing-mixed", &r, sizeof(r));
	fx_build(&r, true);
	bad |= write_seed(dir, "layout", "bad-truncated", &r, sizeof(r) - 64);
	return bad;
}

/* ---- events: checkpoint records in guest RAM ----------------------------------------- */

#define EV_PGD      0x1000u
#define EV_TABLES   0x2000u
#define EV_REGS_PA  0x8000u
#define EV_REGS_GVA 0x7fff0000ull
#define EV_RECORD   0x40u

struct ev_ram {
	uint8_t bytes[FUZZ_EVENTS_RAM];
	uint64_t next_table;
};

static void *ev_phys(void *ctx, uint64_t pa)
{
	struct ev_ram *m = ctx;
	return pa + 4096 <= sizeof(m->bytes) ? m->bytes + pa : NULL;
}

static uint64_t ev_alloc(void *ctx)
{
	struct ev_ram *m = ctx;
	uint64_t pa = m->next_table;
	m->next_table += 4096;
	return pa + 4096 <= EV_REGS_PA ? pa : 0;
}

struct ev_seed {
	struct fuzz_events_input in;
	struct ev_ram ram;
};

static void ev_record(struct ev_seed *s, uint32_t kind, const void *payload, uint32_t len)
{
	struct ebx_event h = { .magic = EBX_EVENT_MAGIC, .kind = kind, .cpu = 0, .length = len };
	memcpy(s->ram.bytes + EV_RECORD, &h, sizeof(h));
	memcpy(s->ram.bytes + EV_RECORD + sizeof(h), payload, len);
	s->in.port_value = EV_RECORD;
}

static int ev_write(const char *dir, const char *name, const struct ev_seed *s, size_t ram_used)
{
	size_t len = sizeof(s->in) + ram_used;
	uint8_t *buf = malloc(len);
	if (!buf)
		return 1;
	memcpy(buf, &s->in, sizeof(s->in));
	memcpy(buf + sizeof(s->in), s->ram.bytes, ram_used);
	int rc = write_seed(dir, "events", name, buf, len);
	free(buf);
	return rc;
}

static int event_seeds(const char *dir)
{
	struct ev_seed *s = calloc(1, sizeof(*s));
	int bad = !s;
	if (bad)
		return 1;
	struct ebx_layout layout;
	fx_build(&layout, true);
	ev_record(s, EBX_EV_LAYOUT, &layout, sizeof(layout));
	bad |= ev_write(dir, "layout", s, EV_RECORD + sizeof(struct ebx_event) + sizeof(layout));

	/* The pt_regs the entry code saved, mapped where the record says, equal to the registers. */
	memset(s, 0, sizeof(*s));
	s->ram.next_table = EV_TABLES;
	struct pt_env env = { .phys_page = ev_phys, .alloc_page = ev_alloc, .ctx = &s->ram };
	if (pt_map(&env, EV_PGD, EV_REGS_GVA, EV_REGS_PA, 4096, PT_W | PT_NX, PT_PAGE_SIZE) != PT_OK)
		return 1;
	s->in.cr3 = EV_PGD;
	for (int i = 0; i < 16; i++)
		s->in.gpr[i] = 0x1111111111111111ull * (uint64_t)(i + 1);
	s->in.gpr[1] = 0x401000;   /* RCX: the user RIP */
	s->in.gpr[11] = 0x202;     /* R11: the user RFLAGS */
	struct ebx_pt_regs regs;
	ptregs_expected_from_syscall(s->in.gpr, 0x33, 0x2b, &regs);
	memcpy(s->ram.bytes + EV_REGS_PA, &regs, sizeof(regs));
	struct ebx_ev_syscall_regs sr = { .pt_regs_gva = EV_REGS_GVA, .task = 1 };
	ev_record(s, EBX_EV_SYSCALL_REGS, &sr, sizeof(sr));
	bad |= ev_write(dir, "syscall-regs", s, EV_REGS_PA + sizeof(regs));
	regs.rflags ^= 0x100;
	memcpy(s->ram.bytes + EV_REGS_PA, &regs, sizeof(regs));
	bad |= ev_write(dir, "syscall-regs-differ", s, EV_REGS_PA + sizeof(regs));

	memset(s, 0, sizeof(*s));
	struct ebx_ev_measure m = { .iterations = 100 };
	snprintf(m.name, sizeof(m.name), "syscall-null");
	ev_record(s, EBX_EV_MEASURE_BEGIN, &m, sizeof(m));
	bad |= ev_write(dir, "measure-begin", s, EV_RECORD + sizeof(struct ebx_event) + sizeof(m));
	memset(m.name, 'x', sizeof(m.name));
	ev_record(s, EBX_EV_MEASURE_END, &m, sizeof(m));
	bad |= ev_write(dir, "measure-unterminated", s, EV_RECORD + sizeof(struct ebx_event) + sizeof(m));
	/* Context switches: leaving with RSP on cpu 0's shared entry stack, then the same reserving the CPU. */
	memset(s, 0, sizeof(*s));
	struct ebx_ev_switch sw = { .task = 1, .flags = EBX_SWITCH_OUT };
	s->in.gpr[4] = fx_top(&layout, FX_ST_ENTRY(0)) - 0x100;
	ev_record(s, EBX_EV_SWITCH, &sw, sizeof(sw));
	bad |= ev_write(dir, "switch-out-shared", s, EV_RECORD + sizeof(struct ebx_event) + sizeof(sw));
	sw.flags |= EBX_SWITCH_RESERVED;
	ev_record(s, EBX_EV_SWITCH, &sw, sizeof(sw));
	bad |= ev_write(dir, "switch-out-reserved", s, EV_RECORD + sizeof(struct ebx_event) + sizeof(sw));
	memset(s, 0, sizeof(*s));
	s->in.port_value = 0xfffffff0u;
	bad |= ev_write(dir, "outside-ram", s, 64);
	free(s);
	return bad;
}

/* ---- xen_hv: hypercalls against the fixture's layout ---------------------------------- */

#define XEN_TASK        1u
#define XEN_KERNEL_PGD  (0x100000ull + XEN_TASK * 0x2000ull)
#define XEN_FRAME_OFF   0x3f00u

struct xen_seed {
	struct fuzz_xen_input in;
	uint8_t percpu[FUZZ_XEN_PERCPU_TAKEN];
	uint8_t stack[FUZZ_XEN_STACK_SIZE];
};

static void put64(uint8_t *page, unsigned off, uint64_t v)
{
	memcpy(page + off, &v, sizeof(v));
}

/* CPU 0 in the kernel, on task 1's kernel PGD and stack, with a per-CPU page the contract accepts. */
static void xen_base(struct xen_seed *s, uint8_t nr)
{
	memset(s, 0, sizeof(*s));
	s->in.nr = nr;
	s->in.task = XEN_TASK;
	s->in.rsp_off = XEN_FRAME_OFF + 0x80;
	s->in.rcx = 0x401234;
	s->in.r11 = 0x246;
	s->in.kernel_gs = FX_USER_GS;
	put64(s->percpu, EBX_PCPU_OFF_TOP_OF_STACK, FUZZ_XEN_KSTACKS_GVA + XEN_TASK * 0x10000ull + FUZZ_XEN_STACK_SIZE);
	put64(s->percpu, EBX_PCPU_OFF_KERNEL_CR3, XEN_KERNEL_PGD);
	put64(s->percpu, EBX_PCPU_OFF_HC_RAX, 39);
	put64(s->percpu, EBX_PCPU_OFF_HC_RDX, 7);
	put64(s->percpu, EBX_PCPU_OFF_HC_SYSCALL_ENTRY, FX_ENTRY_START + 0x40);
	put64(s->percpu, EBX_PCPU_OFF_HC_IRET_REFUSED, FX_ENTRY_START + 0x80);
	uint32_t task = XEN_TASK;
	memcpy(s->percpu + 0x100, &task, sizeof(task));   /* current_task_gva = per-CPU + 0x100 */
	s->in.raw_cr3 = XEN_KERNEL_PGD;
}

static void xen_frame(struct xen_seed *s, uint64_t cs, uint64_t rflags)
{
	const uint64_t f[8] = { 0, 0x246, 0x401234, 0x401234, cs, rflags, 0x7ffff000, 0x2b };
	memcpy(s->stack + XEN_FRAME_OFF, f, sizeof(f));
}

static int xen_seeds(const char *dir)
{
	struct xen_seed *s = malloc(sizeof(*s));
	int bad = !s;
	if (bad)
		return 1;
	xen_base(s, EBX_HC_IRET);
	xen_frame(s, 0x33, 0x202);
	bad |= write_seed(dir, "xen_hv", "iret", s, sizeof(*s));
	xen_frame(s, 0x10, 0x202);
	bad |= write_seed(dir, "xen_hv", "iret-kernel-cs", s, sizeof(*s));
	xen_frame(s, 0x33, 0x3202);
	bad |= write_seed(dir, "xen_hv", "iret-iopl", s, sizeof(*s));
	s->in.flags = FUZZ_XEN_PTI | FUZZ_XEN_USER_HALF;
	xen_frame(s, 0x33, 0x202);
	bad |= write_seed(dir, "xen_hv", "iret-pti", s, sizeof(*s));
	xen_base(s, EBX_HC_SYSCALL_BOUNCE);
	bad |= write_seed(dir, "xen_hv", "bounce", s, sizeof(*s));
	s->in.flags = FUZZ_XEN_USER_MODE;
	bad |= write_seed(dir, "xen_hv", "bounce-from-user", s, sizeof(*s));
	xen_base(s, 3);
	bad |= write_seed(dir, "xen_hv", "unknown-hypercall", s, sizeof(s->in) + 64);
	free(s);
	return bad;
}

/* ---- text inputs: console transcripts, result lines, inject specs ---------------------- */

static int text_seeds(const char *dir)
{
	int bad = 0;
	bad |= text_seed(dir, "console", "boot",
			 "entrybox guest: entry=kpti pti=on pcid=off vcpus=1 tasks=2 scenario=boot\r\n"
			 "@entrybox {\"event\":\"result\",\"model\":\"kpti\",\"outcome\":\"pass\",\"expected\":\"pass\"}\n"
			 "@entrybox {\"event\":\"exit\",\"code\":0}\n");
	bad |= text_seed(dir, "console", "control", "\x01\x1b[2J\t\xff\x7f\r\rbell\a\n\n\npartial");
	char *longline = malloc(5000);
	if (!longline)
		return 1;
	memset(longline, 'x', 4999);
	longline[0] = 0x01;   /* chunks of two bytes, no flood */
	longline[4998] = '\n';
	longline[4999] = '\0';
	bad |= text_seed(dir, "console", "long-line", longline);
	longline[0] = (char)0xff;   /* repeated past the flood limit */
	bad |= text_seed(dir, "console", "flood", longline);
	free(longline);

	bad |= text_seed(dir, "result", "result",
			 "@entrybox {\"event\":\"result\",\"model\":\"kpti\",\"pti\":\"on\",\"pcid\":\"off\",\"vcpus\":1,"
			 "\"tasks\":2,\"scenario\":\"syscall-loop\",\"outcome\":\"pass\",\"expected\":\"pass\","
			 "\"detail\":\"200 round trips\"}\n");
	bad |= text_seed(dir, "result", "two-results-and-exit",
			 "@entrybox {\"event\":\"result\",\"outcome\":\"fail\",\"expected\":\"pass\"}\r\n"
			 "@entrybox {\"event\":\"result\",\"outcome\":\"pass\",\"expected\":\"pass\",\"vcpus\":99999}\n"
			 "@entrybox {\"event\":\"exit\",\"code\":1}\n");
	bad |= text_seed(dir, "result", "guest-reasons",
			 "@entrybox {\"event\":\"expect\",\"expected\":\"pass\"}\n"
			 "@entrybox {\"event\":\"refused\",\"what\":\"cmdline\",\"reason\":\"key 'x' \\u001b[2J\"}\n"
			 "@entrybox {\"event\":\"panic\",\"vector\":14,\"error\":\"0x2\",\"rip\":\"0xffffffff80115159\","
			 "\"cr2\":\"0xffffc90000004ff8\",\"rsp\":\"0xfffffe0000005f38\",\"stack\":\"entry0\"}\n"
			 "entrybox: panic: kernel exception vector 14 (#PF)\r\n");
	bad |= text_seed(dir, "result", "last-words",
			 "booting\nentrybox: panic: #PF at 0xffffffff81000000\n"
			 "entrybox: bad command line: unknown key 'x'\nentrybox: unsupported: PCID\n");
	bad |= text_seed(dir, "result", "nested",
			 "@entrybox {\"event\":\"result\",\"model\":{\"a\":[1,2,{\"b\":null}]},\"pti\":true,"
			 "\"detail\":\"\\u0000\\n\\\"\"} trailing\n@entrybox [1,2]\n@entrybox \n");

	static const char *const specs[][2] = {
		{ "nmi-symbol", "nmi@entry_SYSCALL_64+3" },
		{ "irq-addr", "irq@0xffffffff81001000:40" },
		{ "pf-arg", "pf@entry_SYSCALL_64:0xdead000" },
		{ "sweep-syscall", "nmi@each:syscall" },
		{ "sweep-range", "db@each:entry_SYSCALL_64..entry_SYSCALL_64_end" },
		{ "sweep-symbol-arg", "irq@each:asm_exc_page_fault:255" },
		{ "user-stack", "pf-user-stack@1" },
		{ "user-stack-any", "pf-user-stack" },
		{ "bad-kind", "nope@x" },
		{ "bad-octal", "gp@x+010" },
	};
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		bad |= text_seed(dir, "inject_spec", specs[i][0], specs[i][1]);
	return bad;
}

/* ---- gdb_packet: what a peer sends, cut into reads of (first byte % 64) + 1 bytes ---- */

struct stream {
	uint8_t bytes[20000];
	size_t len;
};

static void raw(struct stream *s, const char *bytes, size_t n)
{
	if (s->len + n <= sizeof(s->bytes)) {
		memcpy(s->bytes + s->len, bytes, n);
		s->len += n;
	}
}

static void packet(struct stream *s, const char *payload, size_t n)
{
	char frame[16 + 16384];
	unsigned sum = 0;
	for (size_t i = 0; i < n; i++)
		sum = (sum + (uint8_t)payload[i]) & 0xff;
	frame[0] = '$';
	memcpy(frame + 1, payload, n);
	snprintf(frame + 1 + n, 4, "#%02x", sum);
	raw(s, frame, n + 4);
}

static void packets(struct stream *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(*list, "+") == 0 || strcmp(*list, "\x03") == 0)
			raw(s, strcmp(*list, "+") == 0 ? "+" : "\x03", 1);
		else
			packet(s, *list, strlen(*list));
}

static int stream_seed(const char *dir, const char *name, uint8_t chunk, const char *const *list)
{
	static struct stream s;
	s.len = 0;
	raw(&s, (const char *)&chunk, 1);
	packets(&s, list);
	return write_seed(dir, "gdb_packet", name, s.bytes, s.len);
}

static int gdb_seeds(const char *dir)
{
	static const char *const session[] = {
		"+", "qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+;no-resumed+", "+", "vMustReplyEmpty",
		"+", "QStartNoAckMode", "+", "Hgp0.0", "qXfer:features:read:target.xml:0,ffb",
		"qXfer:features:read:target.xml:ffb,ffb", "qTStatus", "?", "qfThreadInfo", "qsThreadInfo", "qAttached:1",
		"Hc-1", "qC", "g", "mffffffff81000000,40", "Z0,ffffffff81000040,1", "vCont?", "vCont;c",
		"z0,ffffffff81000040,1", "vCont;s:1;c", "mffffffff81000800,40", "qThreadExtraInfo,1", "p10",
		"P10=1000008100000000", "D", NULL,
	};
	static const char *const registers[] = {
		"QStartNoAckMode", "Hg2", "g", "G0000", "p3f", "p42", "P39=0000000000800000", "P12=08000000",
		"P11=46020000", NULL,
	};
	static const char *const memory[] = {
		"mffffffff81000ffe,8", "m0,ffffffff", "Mffffffff81000020,2:abcd", "Xffffffff81000030,4:}\x03}\x04" "ab",
		"Xffffffff81000030,9:ab", "M1,ffffffffffffffff:00", NULL,
	};
	static const char *const breakpoints[] = {
		"Z1,ffffffff81000040,1", "Z2,ffffffff81000803,5", "Z3,0,8", "Z4,ffffffff81000800,8;X1,0",
		"z2,ffffffff81000803,5", "Z9,0,0", NULL,
	};
	static const char *const running[] = {
		"vCont;s:1", "g", "\x03", "vCont;C05:2;S02:1", "c", "sffffffff81000100", "C05;ffffffff81000000", "vCont;t",
		"vCont;x:1", "vCont;s:p1.2", NULL,
	};
	static const char *const monitor[] = {
		"qRcmd,68656c6c6f", "qRcmd,72756c6573", "qRcmd,0a0b", "qRcmd,6", NULL,
	};
	int bad = stream_seed(dir, "session", 63, session);
	bad |= stream_seed(dir, "session-bytewise", 0, session);
	bad |= stream_seed(dir, "registers", 7, registers);
	bad |= stream_seed(dir, "memory", 17, memory);
	bad |= stream_seed(dir, "breakpoints", 31, breakpoints);
	bad |= stream_seed(dir, "running", 5, running);
	bad |= stream_seed(dir, "monitor", 9, monitor);
	/* Noise, damaged and over-long packets, then one that is fine. */
	static struct stream s;
	s.len = 0;
	raw(&s, "\x03$$$###}}}**\x03\x03+-+-$#00$g#67-$m#zz$", 34);
	for (int i = 0; i < 17000; i++)
		raw(&s, "a", 1);
	raw(&s, "#00", 3);
	packet(&s, "qC", 2);
	bad |= write_seed(dir, "gdb_packet", "garbage", s.bytes, s.len);
	return bad;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	return layout_seeds(argv[1]) | event_seeds(argv[1]) | xen_seeds(argv[1]) | text_seeds(argv[1]) |
	       gdb_seeds(argv[1]);
}
