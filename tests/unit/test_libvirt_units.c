/* SPDX-License-Identifier: MIT */
/* The libvirt engine's pieces that need no daemon: URI lists, the domain
 * XML, and the exit value read back from the guest's console. */
#include <check.h>
#include "check_run.h"
#include <stdlib.h>
#include <string.h>

#include "engines/libvirt.h"
#include "engines/libvirt_xml.h"
#include "entrybox/abi.h"
#include "result/console_verdict.h"

START_TEST(uri_list_counts)
{
	ck_assert_uint_eq(libvirt_uri_count("qemu:///system,qemu+ssh://a/system,qemu+tcp://b/system"), 3);
	ck_assert_uint_eq(libvirt_uri_count("qemu:///session"), 1);
	ck_assert(libvirt_uri_is_local("qemu:///system?socket=/x"));
	ck_assert(libvirt_uri_is_local(NULL));
	ck_assert(!libvirt_uri_is_local("qemu+tcp://10.0.0.2/system"));
}
END_TEST

START_TEST(uri_list_rejects_empty_items)
{
	ck_assert_uint_eq(libvirt_uri_count(""), 0);
	ck_assert_uint_eq(libvirt_uri_count("a,,b"), 0);
	ck_assert_uint_eq(libvirt_uri_count("a,"), 0);
	ck_assert_uint_eq(libvirt_uri_count(NULL), 0);
	char many[4 * (LIBVIRT_URI_LIST_MAX + 1)] = "";
	for (int i = 0; i <= LIBVIRT_URI_LIST_MAX; i++)
		strcat(many, i ? ",u" : "u");
	ck_assert_uint_eq(libvirt_uri_count(many), 0);
}
END_TEST

static struct libvirt_domain_spec spec(void)
{
	return (struct libvirt_domain_spec){
		.name = "entrybox-1-ab",
		.guest_path = "/g/guest.elf",
		.cmdline = "entry=kpti scenario=boot",
		.kvm = false,
		.vcpus = 2,
		.memory_mib = 64,
		.console_host = "127.0.0.1",
		.console_port = 4242,
	};
}

START_TEST(xml_boots_the_guest_with_debug_exit)
{
	struct libvirt_domain_spec s = spec();
	char *xml = libvirt_domain_xml(&s);
	ck_assert_ptr_nonnull(xml);
	ck_assert_ptr_nonnull(strstr(xml, "<domain type='qemu'"));
	ck_assert_ptr_nonnull(strstr(xml, "machine='q35'"));
	ck_assert_ptr_nonnull(strstr(xml, "<kernel>/g/guest.elf</kernel>"));
	ck_assert_ptr_nonnull(strstr(xml, "<cmdline>entry=kpti scenario=boot</cmdline>"));
	ck_assert_ptr_nonnull(strstr(xml, "<vcpu>2</vcpu>"));
	ck_assert_ptr_nonnull(strstr(xml, "host='127.0.0.1' service='4242'"));
	ck_assert_ptr_nonnull(strstr(xml, "isa-debug-exit,iobase=0xf4,iosize=0x04"));
	ck_assert_ptr_nonnull(strstr(xml, "<on_reboot>destroy</on_reboot>"));
	free(xml);
	s.kvm = true;
	xml = libvirt_domain_xml(&s);
	ck_assert_ptr_nonnull(strstr(xml, "<domain type='kvm'"));
	ck_assert_ptr_nonnull(strstr(xml, "machine='microvm'"));
	ck_assert_ptr_nonnull(strstr(xml, "host-passthrough"));
	ck_assert_ptr_null(strstr(xml, "arch-capabilities"));
	free(xml);
	s.no_arch_capabilities = true;
	xml = libvirt_domain_xml(&s);
	ck_assert_ptr_nonnull(strstr(xml, "<feature policy='disable' name='arch-capabilities'/>"));
	free(xml);
}
END_TEST

START_TEST(xml_escapes_every_text)
{
	struct libvirt_domain_spec s = spec();
	s.cmdline = "a=<b>&'\"";
	s.guest_path = "/x&y/g.elf";
	char *xml = libvirt_domain_xml(&s);
	ck_assert_ptr_nonnull(xml);
	ck_assert_ptr_nonnull(strstr(xml, "<cmdline>a=&lt;b&gt;&amp;&apos;&quot;</cmdline>"));
	ck_assert_ptr_nonnull(strstr(xml, "<kernel>/x&amp;y/g.elf</kernel>"));
	free(xml);
}
END_TEST

START_TEST(xml_refuses_what_it_cannot_carry)
{
	struct libvirt_domain_spec s = spec();
	s.cmdline = "a=1\nb=2";
	ck_assert_ptr_null(libvirt_domain_xml(&s));
	s = spec();
	s.vcpus = 0;
	ck_assert_ptr_null(libvirt_domain_xml(&s));
	s = spec();
	s.console_port = 0;
	ck_assert_ptr_null(libvirt_domain_xml(&s));
	s = spec();
	s.guest_path = "";
	ck_assert_ptr_null(libvirt_domain_xml(&s));
}
END_TEST

static int verdict_of(const char *const *lines, struct run_result *r)
{
	struct console_verdict v;
	console_verdict_init(&v);
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; lines[i]; i++)
		console_verdict_line(&v, lines[i], r);
	return console_verdict_exit_code(&v, r);
}

START_TEST(verdict_from_result_line)
{
	struct run_result r;
	const char *pass[] = { "entrybox: booting",
			       "@entrybox {\"event\":\"result\",\"scenario\":\"boot\",\"outcome\":\"pass\",\"expected\":\"pass\"}",
			       NULL };
	ck_assert_int_eq(verdict_of(pass, &r), EBX_GUEST_EXIT_PASS);
	ck_assert_str_eq(r.outcome, "pass");
	const char *fail[] = { "@entrybox {\"event\":\"result\",\"outcome\":\"fail\",\"expected\":\"pass\"}", NULL };
	ck_assert_int_eq(verdict_of(fail, &r), EBX_GUEST_EXIT_FAIL);
}
END_TEST

START_TEST(verdict_from_last_words)
{
	struct run_result r;
	const char *bad[] = { "entrybox: bad command line: unknown key 'x'", NULL };
	ck_assert_int_eq(verdict_of(bad, &r), EBX_GUEST_EXIT_BAD_CMDLINE);
	const char *unsupported[] = { "entrybox: unsupported: pcid=on needs PCID", NULL };
	ck_assert_int_eq(verdict_of(unsupported, &r), EBX_GUEST_EXIT_UNSUPPORTED);
	const char *panic[] = { "@entrybox {\"event\":\"result\",\"outcome\":\"pass\",\"expected\":\"pass\"}",
				"entrybox: panic: kernel exception vector 14", NULL };
	ck_assert_int_eq(verdict_of(panic, &r), EBX_GUEST_EXIT_PANIC);
	const char *silent[] = { "hello", "@entrybox {\"event\":\"layout\"}", NULL };
	ck_assert_int_eq(verdict_of(silent, &r), -1);
	/* The guest's own exit event wins over everything inferred. */
	const char *announced[] = { "entrybox: panic: x", "@entrybox {\"event\":\"exit\",\"code\":3}", NULL };
	ck_assert_int_eq(verdict_of(announced, &r), 3);
	const char *malformed[] = { "@entrybox {\"event\":\"exit\",\"code\":300}",
				    "@entrybox {\"event\":\"exit\",\"code\":1} trailing", NULL };
	ck_assert_int_eq(verdict_of(malformed, &r), -1);
	/* Text that merely mentions a refusal is not one. */
	const char *quoted[] = { "note: entrybox: unsupported: no", NULL };
	ck_assert_int_eq(verdict_of(quoted, &r), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("libvirt-units");
	TCase *tc = tcase_create("units");
	tcase_add_test(tc, uri_list_counts);
	tcase_add_test(tc, uri_list_rejects_empty_items);
	tcase_add_test(tc, xml_boots_the_guest_with_debug_exit);
	tcase_add_test(tc, xml_escapes_every_text);
	tcase_add_test(tc, xml_refuses_what_it_cannot_carry);
	tcase_add_test(tc, verdict_from_result_line);
	tcase_add_test(tc, verdict_from_last_words);
	suite_add_tcase(s, tc);
	return check_run(s);
}
