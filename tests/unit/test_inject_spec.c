/* SPDX-License-Identifier: MIT */
/* The --inject grammar: every form, and one clear message per error. */
#include <check.h>
#include "check_run.h"
#include <stdlib.h>
#include <string.h>

#include "inject/inject_spec.h"

static struct inject_spec parse_ok(const char *text)
{
	struct inject_spec s;
	char err[256] = "";
	ck_assert_msg(inject_spec_parse(text, &s, err, sizeof(err)), "'%s' refused: %s", text, err);
	return s;
}

static void parse_bad(const char *text, const char *needle)
{
	struct inject_spec s;
	char err[256] = "";
	ck_assert_msg(!inject_spec_parse(text, &s, err, sizeof(err)), "'%s' accepted", text);
	ck_assert_msg(strstr(err, needle) != NULL, "'%s': message '%s' lacks '%s'", text, err, needle);
	ck_assert_msg(strchr(err, '\n') == NULL, "'%s': message is not one line", text);
}

START_TEST(symbol_and_offset)
{
	struct inject_spec s = parse_ok("nmi@entry_SYSCALL_64+0x13");
	ck_assert_int_eq(s.kind, INJ_NMI);
	ck_assert(!s.loc.is_addr);
	ck_assert_str_eq(s.loc.symbol, "entry_SYSCALL_64");
	ck_assert_uint_eq(s.loc.offset, 0x13);
	ck_assert(!inject_spec_is_sweep(&s));
	s = parse_ok("db@kpti_syscall_c+12");
	ck_assert_int_eq(s.kind, INJ_DB);
	ck_assert_uint_eq(s.loc.offset, 12);
	s = parse_ok("gp@asm_exc_nmi");
	ck_assert_int_eq(s.kind, INJ_GP);
	ck_assert_uint_eq(s.loc.offset, 0);
}
END_TEST

START_TEST(address_and_args)
{
	struct inject_spec s = parse_ok("pf@0xffffffff80106000:0xdead000");
	ck_assert_int_eq(s.kind, INJ_PF);
	ck_assert(s.loc.is_addr);
	ck_assert_uint_eq(s.loc.addr, 0xffffffff80106000ull);
	ck_assert_uint_eq(s.arg, 0xdead000);
	s = parse_ok("pf@foo");
	ck_assert_uint_eq(s.arg, 0);
	s = parse_ok("irq@foo:0x40");
	ck_assert_int_eq(s.kind, INJ_IRQ);
	ck_assert_uint_eq(s.arg, 0x40);
	s = parse_ok("irq@foo");
	ck_assert_uint_eq(s.arg, INJECT_IRQ_DEFAULT_VECTOR);
	s = parse_ok("irq@foo:255");
	ck_assert_uint_eq(s.arg, 255);
}
END_TEST

START_TEST(sweeps)
{
	struct inject_spec s = parse_ok("nmi@each:syscall");
	ck_assert_int_eq(s.path, PATH_SYSCALL);
	ck_assert(inject_spec_is_sweep(&s));
	s = parse_ok("db@each:entry_SYSCALL_64");
	ck_assert_int_eq(s.path, PATH_SYMBOL);
	ck_assert_str_eq(s.path_from, "entry_SYSCALL_64");
	s = parse_ok("gp@each:a..b");
	ck_assert_int_eq(s.path, PATH_RANGE);
	ck_assert_str_eq(s.path_from, "a");
	ck_assert_str_eq(s.path_to, "b");
	s = parse_ok("irq@each:syscall:33");
	ck_assert_uint_eq(s.arg, 33);
}
END_TEST

START_TEST(user_stack)
{
	struct inject_spec s = parse_ok("pf-user-stack");
	ck_assert_int_eq(s.kind, INJ_PF_USER_STACK);
	ck_assert(!s.has_task);
	ck_assert(!inject_spec_has_loc(&s));
	s = parse_ok("pf-user-stack@3");
	ck_assert(s.has_task);
	ck_assert_uint_eq(s.task, 3);
	ck_assert(!inject_spec_has_loc(&s));
	/* Anything but a number is a location, or a sweep. */
	s = parse_ok("pf-user-stack@ukl_entry_SYSCALL_64+0x4");
	ck_assert(inject_spec_has_loc(&s));
	ck_assert(!s.has_task);
	ck_assert_str_eq(s.loc.symbol, "ukl_entry_SYSCALL_64");
	ck_assert_uint_eq(s.loc.offset, 4);
	s = parse_ok("pf-user-stack@0xffffffff80106000");
	ck_assert(s.loc.is_addr);
	s = parse_ok("pf-user-stack@each:ukl_entry_SYSCALL_64");
	ck_assert(inject_spec_is_sweep(&s));
	ck_assert_str_eq(s.path_from, "ukl_entry_SYSCALL_64");
	s = parse_ok("nmi@foo");
	ck_assert(inject_spec_has_loc(&s));
}
END_TEST

START_TEST(errors)
{
	parse_bad("", "empty spec");
	parse_bad("boom@foo", "unknown kind 'boom'");
	parse_bad("nmi", "needs @LOC");
	parse_bad("nmi@", "needs @LOC");
	parse_bad("nmi@foo:1", "takes no :ARG");
	parse_bad("gp@each:syscall:1", "takes no :ARG");
	parse_bad("irq@foo:31", "32..255");
	parse_bad("irq@foo:256", "32..255");
	parse_bad("irq@foo:x", "32..255");
	parse_bad("pf@foo:zz", "pf address");
	parse_bad("pf@foo:", "empty :ARG");
	parse_bad("nmi@0xzz", "hex address");
	parse_bad("nmi@1abc", "SYMBOL[+OFF]");
	parse_bad("nmi@foo+", "offset");
	parse_bad("nmi@foo+-3", "offset");
	parse_bad("nmi@foo+010", "offset");
	parse_bad("nmi@each:", "needs a PATH");
	parse_bad("nmi@each:a..", "SYMBOL..SYMBOL");
	parse_bad("nmi@each:9x", "not SYMBOL");
	parse_bad("pf-user-stack@1x", "SYMBOL[+OFF]");
	parse_bad("pf-user-stack@", "empty TASK or LOC");
	parse_bad("pf-user-stack@each:", "needs a PATH");
	parse_bad("pf-user-stack@99999999999", "task number");
	char longspec[200];
	memset(longspec, 'a', sizeof(longspec) - 1);
	longspec[sizeof(longspec) - 1] = '\0';
	parse_bad(longspec, "longer than");
}
END_TEST

/* Found by fuzz_inject_spec: the message quoted a newline of the spec and so spanned two lines. */
START_TEST(errors_are_one_line_of_plain_text)
{
	struct inject_spec s;
	char err[200];
	ck_assert(!inject_spec_parse("db@c\n:egp@nxnope@x", &s, err, sizeof(err)));
	ck_assert_str_eq(err, "--inject 'db@c?:egp@nxnope@x': 'c?' is not SYMBOL[+OFF] or 0xADDR");
	ck_assert(!inject_spec_parse("nmi@\x1b[2Jx", &s, err, sizeof(err)));
	for (const char *p = err; *p; p++)
		ck_assert(*p >= 0x20 && *p <= 0x7e);
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(inject_kind_name(INJ_NMI), "nmi");
	ck_assert_str_eq(inject_kind_name(INJ_PF_USER_STACK), "pf-user-stack");
	ck_assert_str_eq(inject_kind_name(INJ_KIND_COUNT), "?");
	ck_assert(strstr(inject_grammar, "each:PATH") != NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("inject-spec");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, symbol_and_offset);
	tcase_add_test(tc, address_and_args);
	tcase_add_test(tc, sweeps);
	tcase_add_test(tc, user_stack);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, errors_are_one_line_of_plain_text);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return check_run(s);
}
