/* SPDX-License-Identifier: MIT */
/* Unit tests of the VMM pieces that need no /dev/kvm: console, checkpoint
 * records, the pt-regs comparison, backend detection and the Xen iret frame. */
#include <check.h>
#include "check_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check/ptregs_check.h"
#include "host/backend.h"
#include "machine/events.h"
#include "machine/serial.h"
#include "roles/xen_hv.h"

/* ---- serial ---- */
struct lines {
	char got[8][CONSOLE_LINE_MAX];
	int n;
};

static void collect(void *ctx, const char *line)
{
	struct lines *l = ctx;
	if (l->n < 8)
		snprintf(l->got[l->n++], CONSOLE_LINE_MAX, "%s", line);
}

static void put(struct serial *s, const char *text)
{
	for (; *text; text++)
		ck_assert(serial_out(s, 0, (uint8_t)*text));
}

START_TEST(serial_assembles_lines_and_sanitises)
{
	struct serial s;
	struct lines l = { .n = 0 };
	serial_init(&s, NULL, collect, &l);
	put(&s, "hello\nwor");
	ck_assert_int_eq(l.n, 1);
	ck_assert_str_eq(l.got[0], "hello");
	uint8_t bad[] = { 'a', 0x01, 0xff, '\r', 'b', '\n' };
	put(&s, "ld\n");
	for (size_t i = 0; i < sizeof(bad); i++)
		serial_out(&s, 0, bad[i]);
	ck_assert_int_eq(l.n, 3);
	ck_assert_str_eq(l.got[1], "world");
	ck_assert_str_eq(l.got[2], "a?? b");
	ck_assert_uint_eq(serial_in(&s, 5) & 0x20, 0x20);
	ck_assert_uint_eq(serial_in(&s, 0), 0);
	char tail[256];
	serial_tail(&s, tail, sizeof(tail));
	ck_assert_str_eq(tail, "hello | world | a?? b");
}
END_TEST

START_TEST(serial_truncates_long_lines_and_stops_floods)
{
	struct serial s;
	struct lines l = { .n = 0 };
	serial_init(&s, NULL, collect, &l);
	for (int i = 0; i < CONSOLE_LINE_MAX * 2; i++)
		serial_out(&s, 0, 'x');
	serial_out(&s, 0, '\n');
	/* A truncated line is never parsed as a result line. */
	ck_assert_int_eq(l.n, 0);
	s.console.total_bytes = SERIAL_BYTE_LIMIT;
	ck_assert(!serial_out(&s, 0, 'y'));
}
END_TEST

/* ---- events ---- */
static uint8_t ram[64 * 1024];

static struct gmem test_mem(void)
{
	struct gmem m = { .host = ram, .size = sizeof(ram) };
	return m;
}

static void put_event(uint64_t gpa, uint32_t magic, uint32_t kind, uint32_t cpu, uint32_t len)
{
	struct ebx_event h = { .magic = magic, .kind = kind, .cpu = cpu, .length = len };
	memcpy(ram + gpa, &h, sizeof(h));
}

START_TEST(events_accept_a_well_formed_record)
{
	struct gmem m = test_mem();
	struct event_view ev;
	char err[200];
	memset(ram, 0, sizeof(ram));
	put_event(0x1000, EBX_EVENT_MAGIC, EBX_EV_MEASURE_BEGIN, 0, sizeof(struct ebx_ev_measure));
	ck_assert_msg(event_fetch(&m, 0x1000, 1, &ev, err, sizeof(err)), "%s", err);
	ck_assert_uint_eq(ev.kind, EBX_EV_MEASURE_BEGIN);
	ck_assert_ptr_eq(ev.payload, ram + 0x1000 + sizeof(struct ebx_event));
}
END_TEST

START_TEST(events_reject_hostile_records)
{
	struct gmem m = test_mem();
	struct event_view ev;
	char err[200];
	memset(ram, 0, sizeof(ram));
	ck_assert(!event_fetch(&m, sizeof(ram) - 4, 1, &ev, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "outside guest RAM"));
	ck_assert(!event_fetch(&m, UINT64_MAX - 2, 1, &ev, err, sizeof(err)));
	put_event(0x100, 0x12345678, EBX_EV_LAYOUT, 0, sizeof(struct ebx_layout));
	ck_assert(!event_fetch(&m, 0x100, 1, &ev, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "bad magic"));
	put_event(0x100, EBX_EVENT_MAGIC, 999, 0, 8);
	ck_assert(!event_fetch(&m, 0x100, 1, &ev, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "unknown kind"));
	put_event(0x100, EBX_EVENT_MAGIC, EBX_EV_SYSCALL_REGS, 0, 4);
	ck_assert(!event_fetch(&m, 0x100, 1, &ev, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "payload length"));
	put_event(0x100, EBX_EVENT_MAGIC, EBX_EV_SYSCALL_REGS, 3, sizeof(struct ebx_ev_syscall_regs));
	ck_assert(!event_fetch(&m, 0x100, 2, &ev, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "cpu 3"));
	/* The payload of a layout runs past the end of RAM. */
	put_event(sizeof(ram) - 64, EBX_EVENT_MAGIC, EBX_EV_LAYOUT, 0, sizeof(struct ebx_layout));
	ck_assert(!event_fetch(&m, sizeof(ram) - 64, 1, &ev, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "past guest RAM"));
}
END_TEST

START_TEST(event_strings_must_be_terminated)
{
	char field[8] = { 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h' };
	char out[16];
	ck_assert(!event_string(field, sizeof(field), out, sizeof(out)));
	field[3] = '\0';
	ck_assert(event_string(field, sizeof(field), out, sizeof(out)));
	ck_assert_str_eq(out, "abc");
	ck_assert(!event_string(field, sizeof(field), out, 3));
}
END_TEST

/* ---- pt-regs ---- */
START_TEST(ptregs_match_and_mismatch)
{
	uint64_t gpr[16];
	for (int i = 0; i < 16; i++)
		gpr[i] = 0x1000 + (uint64_t)i;
	struct ebx_pt_regs want, saved;
	ptregs_expected_from_syscall(gpr, 0x33, 0x2b, &want);
	ck_assert_uint_eq(want.rip, 0x1001);     /* RCX */
	ck_assert_uint_eq(want.rflags, 0x100b);  /* R11 */
	ck_assert_uint_eq(want.orig_rax, 0x1000);
	ck_assert_uint_eq(want.rsp, 0x1004);
	saved = want;
	saved.rax = (uint64_t)-38; /* the entry code may preset -ENOSYS */
	char detail[192];
	ck_assert(ptregs_compare(&saved, &want, detail, sizeof(detail)));
	saved.r12 ^= 1;
	saved.ss = 0x18;
	ck_assert(!ptregs_compare(&saved, &want, detail, sizeof(detail)));
	ck_assert_ptr_nonnull(strstr(detail, "r12 saved=0x100d expected=0x100c"));
	ck_assert_ptr_nonnull(strstr(detail, "ss saved=0x18 expected=0x2b"));
}
END_TEST

/* ---- backend ---- */
static void make_module(const char *root, const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/module", root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/module/%s", root, name);
	ck_assert_int_eq(mkdir(path, 0700), 0);
}

START_TEST(backend_detection_from_sysfs)
{
	char root[] = "/tmp/ebx-sysfs-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(root));
	ck_assert_int_eq(backend_detect(root), BACKEND_UNKNOWN);
	make_module(root, "kvm_pvm");
	ck_assert_int_eq(backend_detect(root), BACKEND_PVM);
	ck_assert_str_eq(backend_name(backend_detect(root)), "pvm");
	ck_assert(!backend_cycles_meaningful(BACKEND_PVM));
	make_module(root, "kvm_intel");
	ck_assert_int_eq(backend_detect(root), BACKEND_VMX);
	ck_assert(backend_cycles_meaningful(BACKEND_VMX));
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ---- xen hv=vmm iret frame ---- */
START_TEST(xen_iret_frame_check)
{
	static struct layout l;
	l.raw.user_cs = 0x33;
	l.raw.user_ss = 0x2b;
	/* [RAX][R11][RCX][RIP][CS][RFLAGS][RSP][SS] */
	uint64_t f[8] = { 0, 0x246, 0x401000, 0x401000, 0x33, 0x4246, 0x7fff0000, 0x2b };
	ck_assert_ptr_null(xen_hv_iret_frame_problem(f, &l)); /* NT is a legitimate user flag */
	f[7] = 0x18;
	ck_assert_str_eq(xen_hv_iret_frame_problem(f, &l), "SS is not the user stack selector");
	f[7] = 0x2b;
	f[4] = 0x10;
	ck_assert_str_eq(xen_hv_iret_frame_problem(f, &l), "CS is not the user code selector");
	f[4] = 0x33;
	f[3] = 0x800000000000ull;
	ck_assert_str_eq(xen_hv_iret_frame_problem(f, &l), "RIP is not a canonical user address");
	f[3] = 0x401000;
	f[5] = 0x3246;
	ck_assert_str_eq(xen_hv_iret_frame_problem(f, &l), "RFLAGS has IOPL, VM, VIF or VIP set");
	f[5] = 0x244;
	ck_assert_str_eq(xen_hv_iret_frame_problem(f, &l), "RFLAGS bit 1 is clear");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vmm-units");
	TCase *tc = tcase_create("all");
	tcase_add_test(tc, serial_assembles_lines_and_sanitises);
	tcase_add_test(tc, serial_truncates_long_lines_and_stops_floods);
	tcase_add_test(tc, events_accept_a_well_formed_record);
	tcase_add_test(tc, events_reject_hostile_records);
	tcase_add_test(tc, event_strings_must_be_terminated);
	tcase_add_test(tc, ptregs_match_and_mismatch);
	tcase_add_test(tc, backend_detection_from_sysfs);
	tcase_add_test(tc, xen_iret_frame_check);
	suite_add_tcase(s, tc);
	return check_run(s);
}
