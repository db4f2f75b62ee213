/* SPDX-License-Identifier: MIT */
/*
 * The gdb stub's protocol against a fake target: framing and checksums,
 * acknowledgements, every packet the stub answers, what it refuses, and the
 * register description and mapping -- no VM, no socket.
 */
#include <check.h>
#include "check_run.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures/gdb_fake_target.h"
#include "gdb/proto.h"
#include "gdb/regs.h"
#include "gdb/rsp.h"

static struct fake_gdb_target *t;
static struct gdb_conn *c;

static void setup(void)
{
	t = calloc(1, sizeof(*t));
	c = calloc(1, sizeof(*c));
	ck_assert(t && c);
	fake_gdb_init(t);
	gdb_conn_init(c, &fake_gdb_ops, t, fake_gdb_send, t);
}

static void teardown(void)
{
	free(c);
	free(t);
}

static void feed_raw(const char *bytes, size_t n)
{
	gdb_conn_input(c, (const uint8_t *)bytes, n);
}

/* Sends one packet as gdb frames it. */
static void packet(const char *payload)
{
	char frame[GDB_PACKET_MAX + 4];
	size_t n = gdb_frame(payload, strlen(payload), frame, sizeof(frame));
	ck_assert_uint_gt(n, 0);
	feed_raw(frame, n);
}

/* The payload of the last packet sent, after checking its frame and checksum. */
static const char *last_reply(void)
{
	static char payload[GDB_PACKET_MAX + 1];
	const char *start = strrchr(t->out, '$');
	ck_assert_msg(start != NULL, "no packet in output: %s", t->out);
	const char *hash = strrchr(start, '#');
	ck_assert(hash && strlen(hash) == 3);
	size_t len = (size_t)(hash - start - 1);
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + (uint8_t)start[1 + i]);
	unsigned sent;
	ck_assert_int_eq(sscanf(hash + 1, "%2x", &sent), 1);
	ck_assert_uint_eq(sent, sum);
	memcpy(payload, start + 1, len);
	payload[len] = '\0';
	return payload;
}

static const char *ask(const char *payload)
{
	fake_gdb_clear_output(t);
	packet(payload);
	return last_reply();
}

/* ---- framing ---------------------------------------------------------------------------------------- */

START_TEST(packets_are_acknowledged_and_answered)
{
	packet("qC");
	ck_assert_int_eq(t->out[0], '+');
	ck_assert_str_eq(last_reply(), "QC1");
	/* Line noise between packets is ignored; a damaged packet gets '-' and no answer. */
	fake_gdb_clear_output(t);
	feed_raw("xyz$qC#00", 9);
	ck_assert_str_eq(t->out, "-");
	feed_raw("$qC#zz", 6);
	ck_assert_str_eq(t->out, "--");
	/* '-' asks for the last packet again. */
	ask("qAttached");
	fake_gdb_clear_output(t);
	feed_raw("-", 1);
	ck_assert_str_eq(last_reply(), "1");
	/* A new '$' inside a packet starts over. */
	fake_gdb_clear_output(t);
	feed_raw("$qAtt", 5);
	packet("qC");
	ck_assert_str_eq(last_reply(), "QC1");
}
END_TEST

START_TEST(no_ack_mode_drops_acks_and_damaged_packets)
{
	ck_assert_str_eq(ask("QStartNoAckMode"), "OK");
	ck_assert(c->no_ack);
	fake_gdb_clear_output(t);
	packet("qC");
	ck_assert_int_eq(t->out[0], '$');
	fake_gdb_clear_output(t);
	feed_raw("$qC#00", 6);
	ck_assert_uint_eq(t->out_len, 0);
}
END_TEST

START_TEST(an_overlong_packet_is_consumed_and_refused)
{
	size_t n = GDB_PACKET_MAX + 100;
	char *big = malloc(n + 4);
	big[0] = '$';
	memset(big + 1, 'm', n);
	memcpy(big + 1 + n, "#00", 3);
	fake_gdb_clear_output(t);
	feed_raw(big, n + 4);
	free(big);
	ck_assert_str_eq(last_reply(), "E16");
	/* The stream is still in step. */
	ck_assert_str_eq(ask("qC"), "QC1");
}
END_TEST

START_TEST(escaping_round_trips)
{
	const uint8_t data[] = { '#', '$', '}', '*', 0, 0xff, 'a' };
	char out[32];
	size_t written;
	ck_assert_uint_eq(gdb_escape(data, sizeof(data), out, sizeof(out), &written), sizeof(data));
	ck_assert_uint_eq(written, sizeof(data) + 4);
	ck_assert_int_eq(gdb_unescape(out, written), (long)sizeof(data));
	ck_assert_mem_eq(out, data, sizeof(data));
	/* What does not fit stays out whole, never half an escape. */
	ck_assert_uint_eq(gdb_escape(data, sizeof(data), out, 3, &written), 1);
	ck_assert_uint_eq(written, 2);
	char trailing[] = "ab}";
	ck_assert_int_eq(gdb_unescape(trailing, 3), -1);
	uint64_t v;
	const char *p = "00000000000000001", *end = p + strlen(p);
	ck_assert(!gdb_parse_hex_u64(&p, end, &v));
	p = "ffffffff81000000,";
	ck_assert(gdb_parse_hex_u64(&p, p + 17, &v));
	ck_assert_uint_eq(v, 0xffffffff81000000ull);
	ck_assert_int_eq(*p, ',');
}
END_TEST

/* ---- queries ---------------------------------------------------------------------------------------- */

START_TEST(queries_describe_the_target)
{
	const char *r = ask("qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+");
	ck_assert_ptr_nonnull(strstr(r, "PacketSize=4000"));
	ck_assert_ptr_nonnull(strstr(r, "qXfer:features:read+"));
	ck_assert_ptr_nonnull(strstr(r, "QStartNoAckMode+"));
	ck_assert(c->swbreak && c->hwbreak);
	ck_assert_str_eq(ask("vMustReplyEmpty"), "");
	ck_assert_str_eq(ask("qTStatus"), "");
	ck_assert_str_eq(ask("qfThreadInfo"), "m1,2");
	ck_assert_str_eq(ask("qsThreadInfo"), "l");
	ck_assert_str_eq(ask("qAttached"), "1");
	ck_assert_str_eq(ask("T2"), "OK");
	ck_assert_str_eq(ask("T3"), "E16");
	ck_assert_str_eq(ask("vCont?"), "vCont;c;C;s;S;t");
	/* "vCPU 1" in hex. */
	ck_assert_str_eq(ask("qThreadExtraInfo,2"), "764350552031");
}
END_TEST

START_TEST(the_target_description_reads_in_pieces)
{
	size_t size;
	const char *xml = gdb_target_xml(&size);
	char *got = calloc(1, size + 1);
	size_t have = 0;
	for (int guard = 0; guard < 1000; guard++) {
		char q[64];
		snprintf(q, sizeof(q), "qXfer:features:read:target.xml:%zx,100", have);
		const char *r = ask(q);
		char body[GDB_PACKET_MAX];
		size_t len = strlen(r + 1);
		memcpy(body, r + 1, len);
		long n = gdb_unescape(body, len);
		ck_assert_int_ge(n, 0);
		memcpy(got + have, body, (size_t)n);
		have += (size_t)n;
		if (r[0] == 'l')
			break;
		ck_assert_int_eq(r[0], 'm');
	}
	ck_assert_uint_eq(have, size);
	ck_assert_mem_eq(got, xml, size);
	free(got);
	ck_assert_str_eq(ask("qXfer:features:read:other.xml:0,100"), "E00");
}
END_TEST

START_TEST(the_description_names_every_register_in_g_order)
{
	size_t size;
	const char *xml = gdb_target_xml(&size);
	const char *p = xml;
	unsigned regno = 0, offset = 0;
	while ((p = strstr(p, "<reg name=\""))) {
		p += 11;
		struct gdb_reg_desc d;
		ck_assert_msg(gdb_reg(regno, &d), "more registers in the XML than in the table");
		ck_assert_msg(strncmp(p, d.name, strlen(d.name)) == 0 && p[strlen(d.name)] == '"', "register %u is %s",
			      regno, d.name);
		const char *bits = strstr(p, "bitsize=\"");
		ck_assert_uint_eq((unsigned)atoi(bits + 9), d.bytes * 8);
		ck_assert_uint_eq(d.offset, offset);
		offset += d.bytes;
		regno++;
	}
	ck_assert_uint_eq(regno, GDB_NREGS);
	ck_assert_uint_eq(gdb_regs_size(), offset);
	ck_assert_ptr_nonnull(strstr(xml, "<architecture>i386:x86-64</architecture>"));
	ck_assert_ptr_nonnull(strstr(xml, "org.gnu.gdb.i386.segments"));
}
END_TEST

/* ---- registers ---------------------------------------------------------------------------------------- */

static uint64_t reg_from_hex(const char *hex, unsigned regno)
{
	struct gdb_reg_desc d;
	gdb_reg(regno, &d);
	uint8_t b[8] = { 0 };
	ck_assert(gdb_hex_decode(hex + 2 * d.offset, d.bytes > 8 ? 8 : d.bytes, b));
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

START_TEST(registers_read_and_write)
{
	t->cpu[1].regs.rax = 0x1122334455667788ull;
	t->cpu[1].sregs.cr3 = 0x169000;
	t->cpu[1].kernel_gs_base = 0xfffffe0000002000ull;
	ck_assert_str_eq(ask("Hg2"), "OK");
	const char *g = ask("g");
	ck_assert_uint_eq(strlen(g), 2 * gdb_regs_size());
	ck_assert_uint_eq(reg_from_hex(g, GDB_REG_RAX), 0x1122334455667788ull);
	ck_assert_uint_eq(reg_from_hex(g, GDB_REG_CR3), 0x169000);
	ck_assert_uint_eq(reg_from_hex(g, GDB_REG_K_GS_BASE), 0xfffffe0000002000ull);
	/* p: one register, RIP of vCPU 1 (RIP is register 16). */
	ck_assert_str_eq(ask("p10"), "10000081ffffffff");
	/* P: RIP of vCPU 1. */
	ck_assert_str_eq(ask("P10=efbeadde00000000"), "OK");
	ck_assert_uint_eq(t->cpu[1].regs.rip, 0xdeadbeef);
	/* A selector only as it is; a non-canonical base never. */
	ck_assert_str_eq(ask("P12=10000000"), "OK");
	ck_assert_str_eq(ask("P12=08000000"), "E01");
	ck_assert_str_eq(ask("P39=0000000000800000"), "E16");
	ck_assert_str_eq(ask("P42"), "E16");
	ck_assert_str_eq(ask("p99"), "E16");
	/* G: only what differs is written. */
	unsigned writes = t->register_writes;
	char *G = malloc(2 * gdb_regs_size() + 2);
	G[0] = 'G';
	strcpy(G + 1, ask("g"));
	ck_assert_str_eq(ask(G), "OK");
	ck_assert_uint_eq(t->register_writes, writes);
	G[1] = 'a'; /* rax's low byte */
	ck_assert_str_eq(ask(G), "OK");
	ck_assert_uint_eq(t->register_writes, writes + 1);
	G[5] = '\0';
	ck_assert_str_eq(ask(G), "E16");
	free(G);
}
END_TEST

/* ---- memory ---------------------------------------------------------------------------------------- */

START_TEST(memory_reads_writes_and_refuses)
{
	ck_assert_str_eq(ask("mffffffff81000010,4"), "10111213");
	/* Past the window's end: the part that exists. */
	ck_assert_str_eq(ask("mffffffff81000ffe,8"), "feff");
	/* Outside: E14, as QEMU's stub answers. */
	ck_assert_str_eq(ask("m1000,4"), "E14");
	ck_assert_str_eq(ask("mffffffff81000000"), "E16");
	ck_assert_str_eq(ask("mffffffff81000000,4x"), "E16");
	/* A length beyond a packet is cut to what a reply holds. */
	const char *r = ask("mffffffff81000000,ffffffff");
	ck_assert_uint_eq(strlen(r), 2 * FAKE_GDB_MEM_SIZE);
	ck_assert_str_eq(ask("Mffffffff81000020,2:abcd"), "OK");
	ck_assert_uint_eq(t->mem[0x20], 0xab);
	ck_assert_str_eq(ask("Mffffffff81000020,2:abc"), "E16");
	ck_assert_str_eq(ask("M10,1:00"), "E14");
	/* X: binary, '}' escapes; the length must match. */
	char x[] = "Xffffffff81000030,2:}\x03" "a";
	ck_assert_str_eq(ask(x), "OK");
	ck_assert_uint_eq(t->mem[0x30], '#');
	ck_assert_uint_eq(t->mem[0x31], 'a');
	ck_assert_str_eq(ask("Xffffffff81000030,3:ab"), "E16");
	ck_assert_str_eq(ask("Xffffffff81000030,0:"), "OK");
}
END_TEST

/* ---- breakpoints and running ------------------------------------------------------------------------ */

START_TEST(breakpoints_reach_the_target)
{
	ck_assert_str_eq(ask("Z0,ffffffff81000040,1"), "OK");
	ck_assert_str_eq(ask("Z2,ffffffff81000800,8"), "OK");
	ck_assert_uint_eq(t->nbps, 2);
	ck_assert_uint_eq(t->bps[1].type, GDB_WP_WRITE);
	ck_assert_uint_eq(t->bps[1].kind, 8);
	/* A type the target has not: empty, so gdb falls back. */
	ck_assert_str_eq(ask("Z3,ffffffff81000800,8"), "");
	ck_assert_str_eq(ask("Z7,0,1"), "");
	ck_assert_str_eq(ask("Z0,zz,1"), "E16");
	ck_assert_str_eq(ask("Z0,ffffffff81000040,1;X2,0a"), "OK");
	ck_assert_str_eq(ask("z0,ffffffff81000040,1"), "OK");
	for (int i = 0; i < 8; i++)
		ask("Z1,1,1");
	ck_assert_str_eq(ask("Z1,1,1"), "E1c");
}
END_TEST

START_TEST(resume_waits_for_the_stop)
{
	fake_gdb_clear_output(t);
	packet("vCont;s:2;c");
	/* Acknowledged, not answered: the reply is the stop. */
	ck_assert_str_eq(t->out, "+");
	ck_assert_uint_eq(t->resumes, 1);
	ck_assert_int_eq(t->last_resume[0], GDB_ACT_CONTINUE);
	ck_assert_int_eq(t->last_resume[1], GDB_ACT_STEP);
	/* While it runs nothing reaches the target but the interrupt byte. */
	ck_assert_str_eq(ask("g"), "E10");
	feed_raw("\x03", 1);
	ck_assert_uint_eq(t->interrupts, 1);
	struct gdb_stop stop = { .why = GDB_WHY_EVENT, .cpu = 1 };
	snprintf(stop.reason, sizeof(stop.reason), "violation:cr3-user-mode");
	snprintf(stop.message, sizeof(stop.message), "rule cr3-user-mode\n");
	fake_gdb_clear_output(t);
	gdb_conn_stopped(c, &stop);
	/* The message first, as console output, then the stop with our reason and the registers. */
	ck_assert_ptr_nonnull(strstr(t->out, "$O72756c65"));
	const char *r = last_reply();
	ck_assert_msg(strncmp(r, "T05thread:2;violation:cr3-user-mode;06:", 39) == 0, "%s", r);
	ck_assert_ptr_nonnull(strstr(r, ";10:10000081ffffffff;"));
	/* Registers and memory now go to the vCPU that stopped. */
	ck_assert_str_eq(ask("qC"), "QC2");
	/* A reason that would break the framing is left out, never sent. */
	fake_gdb_clear_output(t);
	packet("vCont;c");
	snprintf(stop.reason, sizeof(stop.reason), "violation:a#b$c");
	gdb_conn_stopped(c, &stop);
	ck_assert_msg(strncmp(last_reply(), "T05thread:2;06:", 15) == 0, "%s", last_reply());
	/* A stop with nobody waiting is what '?' says. */
	fake_gdb_clear_output(t);
	gdb_conn_stopped(c, &stop);
	ck_assert_uint_eq(t->out_len, 0);
	t->stop.why = GDB_WHY_WATCH;
	t->stop.addr = 0xffffffff81000800ull;
	t->stop.cpu = 0;
	ck_assert_msg(strncmp(ask("?"), "T05thread:1;watch:ffffffff81000800;", 35) == 0, "%s", last_reply());
}
END_TEST

/* The stop reply carries the registers gdb needs to place the frame -- RBP,
 * RSP, RIP, by gdb's numbers, as its own gdbserver does -- so a step costs
 * gdb no `g`; each value is the one `g` gives for the same vCPU. */
START_TEST(the_stop_reply_expedites_what_g_says)
{
	t->cpu[1].regs.rbp = 0xffffffff81234560ull;
	t->cpu[1].regs.rsp = 0xffffffff81234548ull;
	t->cpu[1].regs.rip = 0xffffffff8100abcdull;
	t->cpu[1].regs.rax = 0x1111;
	packet("vCont;s:2");
	struct gdb_stop stop = { .why = GDB_WHY_STEP, .cpu = 1 };
	fake_gdb_clear_output(t);
	gdb_conn_stopped(c, &stop);
	char reply[GDB_PACKET_MAX + 1];
	snprintf(reply, sizeof(reply), "%s", last_reply());
	ck_assert_msg(strncmp(reply, "T05thread:2;", 12) == 0, "%s", reply);
	ck_assert_str_eq(ask("Hg2"), "OK");
	char g[GDB_PACKET_MAX + 1];
	snprintf(g, sizeof(g), "%s", ask("g"));
	const unsigned want[] = { GDB_REG_RBP, GDB_REG_RSP, GDB_REG_RIP };
	unsigned seen = 0;
	for (char *item = strtok(reply + 12, ";"); item; item = strtok(NULL, ";")) {
		unsigned regno;
		char hex[40];
		ck_assert_msg(sscanf(item, "%x:%39s", &regno, hex) == 2, "not a register: %s", item);
		ck_assert_msg(seen < 3 && regno == want[seen], "register %02x out of place in the stop reply", regno);
		struct gdb_reg_desc d;
		gdb_reg(regno, &d);
		ck_assert_uint_eq(strlen(hex), 2 * d.bytes);
		ck_assert_msg(strncmp(hex, g + 2 * d.offset, 2 * d.bytes) == 0, "register %02x: %s in the stop, %.16s in g",
			      regno, hex, g + 2 * d.offset);
		seen++;
	}
	ck_assert_uint_eq(seen, 3);
	ck_assert_uint_eq(reg_from_hex(g, GDB_REG_RIP), 0xffffffff8100abcdull);
}
END_TEST

START_TEST(resume_packets_parse_or_fail)
{
	ck_assert_str_eq(ask("vCont;x"), "E16");
	ck_assert_str_eq(ask("vCont;s:9"), "E16");
	ck_assert_str_eq(ask("vCont;t"), "E16");   /* nothing would run */
	ck_assert_uint_eq(t->resumes, 0);
	fake_gdb_clear_output(t);
	packet("vCont;C05:1;S02:2");
	ck_assert_int_eq(t->last_resume[0], GDB_ACT_CONTINUE);
	ck_assert_int_eq(t->last_resume[1], GDB_ACT_STEP);
	struct gdb_stop stop = { .why = GDB_WHY_EXITED, .code = 1 };
	gdb_conn_stopped(c, &stop);
	ck_assert_str_eq(last_reply(), "W01");
	/* Legacy s: the Hc thread alone, at an address when given. */
	ck_assert_str_eq(ask("Hc1"), "OK");
	fake_gdb_clear_output(t);
	packet("sffffffff81000100");
	ck_assert_int_eq(t->last_resume[0], GDB_ACT_STEP);
	ck_assert_int_eq(t->last_resume[1], GDB_ACT_STOP);
	ck_assert_uint_eq(t->cpu[0].regs.rip, 0xffffffff81000100ull);
	struct gdb_stop step = { .why = GDB_WHY_STEP, .cpu = 0 };
	gdb_conn_stopped(c, &step);
	ck_assert_str_eq(ask("Hg3"), "E16");
	ck_assert_str_eq(ask("Hx1"), "E16");
	ck_assert_str_eq(ask("Hc-1"), "OK");
	ck_assert_str_eq(ask("Hgp1.2"), "OK");
}
END_TEST

START_TEST(monitor_commands_print_through_the_console)
{
	/* "hello" in hex. */
	fake_gdb_clear_output(t);
	packet("qRcmd,68656c6c6f");
	ck_assert_str_eq(t->last_monitor, "hello");
	ck_assert_ptr_nonnull(strstr(t->out, "$O"));
	ck_assert_str_eq(last_reply(), "OK");
	fake_gdb_clear_output(t);
	packet("qRcmd,6e6f7065");
	ck_assert_ptr_nonnull(strstr(t->out, "$O756e6b6e6f776e"));
	ck_assert_str_eq(last_reply(), "OK");
	ck_assert_str_eq(ask("qRcmd,0a"), "E16");
	ck_assert_str_eq(ask("qRcmd,6"), "E16");
}
END_TEST

START_TEST(detach_and_kill_end_the_connection)
{
	ck_assert_str_eq(ask("D"), "OK");
	ck_assert(c->ended);
	ck_assert_uint_eq(t->detaches, 1);
	/* Nothing more is read from an ended connection. */
	fake_gdb_clear_output(t);
	packet("qC");
	ck_assert_uint_eq(t->out_len, 0);
	gdb_conn_init(c, &fake_gdb_ops, t, fake_gdb_send, t);
	packet("k");
	ck_assert(c->ended);
	ck_assert_uint_eq(t->kills, 1);
	gdb_conn_init(c, &fake_gdb_ops, t, fake_gdb_send, t);
	ck_assert_str_eq(ask("qUnknownThing"), "");
}
END_TEST

/* ---- the register mapping ----------------------------------------------------------------------------- */

START_TEST(the_x87_tag_word_is_rebuilt_and_kept)
{
	struct gdb_cpu cpu;
	memset(&cpu, 0, sizeof(cpu));
	/* TOP = 6: st(0) is physical register 6.  st(0) = 1.0, st(1) = +0. */
	cpu.fpu.fsw = 6 << 11;
	cpu.fpu.ftwx = (1u << 6) | (1u << 7);
	uint8_t one[10] = { 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f };
	memcpy(cpu.fpu.fpr[0], one, 10);
	uint8_t g[1024];
	gdb_cpu_encode(&cpu, g);
	struct gdb_reg_desc ftag;
	gdb_reg(GDB_REG_FTAG, &ftag);
	uint32_t tag;
	memcpy(&tag, g + ftag.offset, 4);
	/* Physical 6 valid (00), 7 zero (01), the rest empty (11). */
	ck_assert_uint_eq(tag, 0x4fffu);
	unsigned parts = 0;
	ck_assert_int_eq(gdb_cpu_store(&cpu, GDB_REG_FTAG, g + ftag.offset, &parts), 0);
	ck_assert_uint_eq(cpu.fpu.ftwx, (1u << 6) | (1u << 7));
	ck_assert_uint_eq(parts, GDB_PART_FPU);
}
END_TEST

START_TEST(stores_take_what_a_value_can_carry)
{
	struct gdb_cpu cpu;
	memset(&cpu, 0, sizeof(cpu));
	cpu.regs.rflags = 2;
	cpu.sregs.cr0 = 0x80000011;
	unsigned parts = 0;
	uint8_t v[16] = { 0 };
	v[0] = 0x46; v[1] = 0x02; /* IF, ZF, PF, bit 1 */
	ck_assert_int_eq(gdb_cpu_store(&cpu, GDB_REG_EFLAGS, v, &parts), 0);
	ck_assert_uint_eq(cpu.regs.rflags, 0x246);
	ck_assert_uint_eq(parts, GDB_PART_REGS);
	v[0] = 0x40; v[1] = 0;   /* bit 1 clear */
	ck_assert_int_eq(gdb_cpu_store(&cpu, GDB_REG_EFLAGS, v, &parts), -EINVAL);
	memset(v, 0, sizeof(v));
	v[0] = 0x11; v[3] = 0x80;
	ck_assert_int_eq(gdb_cpu_store(&cpu, GDB_REG_CR0, v, &parts), 0);
	v[0] = 0x13;
	ck_assert_int_eq(gdb_cpu_store(&cpu, GDB_REG_CR0, v, &parts), -EPERM);
	memset(v, 0xff, 8);
	ck_assert_int_eq(gdb_cpu_store(&cpu, GDB_REG_K_GS_BASE, v, &parts), 0);
	ck_assert_uint_eq(cpu.kernel_gs_base, ~0ull);
	ck_assert(parts & GDB_PART_MSR);
	ck_assert_int_eq(gdb_cpu_store(&cpu, GDB_REG_CR8, v, &parts), -EINVAL);
	v[0] = 0x80; v[1] = 0x61; v[2] = 0x16; v[3] = 0; memset(v + 4, 0, 4);
	ck_assert_int_eq(gdb_cpu_store(&cpu, GDB_REG_CR3, v, &parts), 0);
	ck_assert_uint_eq(cpu.sregs.cr3, 0x166180);
	ck_assert_int_eq(gdb_cpu_store(&cpu, GDB_NREGS, v, &parts), -ENOENT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gdb-proto");
	TCase *tc = tcase_create("all");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, packets_are_acknowledged_and_answered);
	tcase_add_test(tc, no_ack_mode_drops_acks_and_damaged_packets);
	tcase_add_test(tc, an_overlong_packet_is_consumed_and_refused);
	tcase_add_test(tc, escaping_round_trips);
	tcase_add_test(tc, queries_describe_the_target);
	tcase_add_test(tc, the_target_description_reads_in_pieces);
	tcase_add_test(tc, the_description_names_every_register_in_g_order);
	tcase_add_test(tc, registers_read_and_write);
	tcase_add_test(tc, memory_reads_writes_and_refuses);
	tcase_add_test(tc, breakpoints_reach_the_target);
	tcase_add_test(tc, resume_waits_for_the_stop);
	tcase_add_test(tc, the_stop_reply_expedites_what_g_says);
	tcase_add_test(tc, resume_packets_parse_or_fail);
	tcase_add_test(tc, monitor_commands_print_through_the_console);
	tcase_add_test(tc, detach_and_kill_end_the_connection);
	tcase_add_test(tc, the_x87_tag_word_is_rebuilt_and_kept);
	tcase_add_test(tc, stores_take_what_a_value_can_carry);
	suite_add_tcase(s, tc);
	return check_run(s);
}
