/* SPDX-License-Identifier: MIT */
/* `entrybox libvirt` against a private libvirtd: real transient domains boot
 * the guest, their console verdicts become the run's outcome and exit status,
 * and no domain outlives its run. */
#include <check.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_run.h"
#include "e2e_util.h"
#include "libvirt_daemon.h"

static struct libvirt_daemons daemons;

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void quiet_errors(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

/* Domains of ours (any state) that libvirt still knows; -1 if it cannot say. */
static int leftover_domains(void)
{
	virConnectPtr conn = virConnectOpen(daemons.uri);
	if (!conn)
		return -1;
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(conn, &doms, 0);
	int ours = 0;
	for (int i = 0; i < n; i++) {
		if (strncmp(virDomainGetName(doms[i]), "entrybox-", 9) == 0)
			ours++;
		virDomainFree(doms[i]);
	}
	free(doms);
	virConnectClose(conn);
	return n < 0 ? -1 : ours;
}

static void run_libvirt(struct e2e_run *r, const char *type, const char *const *extra)
{
	const char *args[24] = { "libvirt", "--connect", daemons.uri, "--domain-type", type };
	size_t n = 5;
	for (size_t i = 0; extra[i] && n + 1 < sizeof(args) / sizeof(args[0]); i++)
		args[n++] = extra[i];
	args[n] = NULL;
	double t0 = now_seconds();
	e2e_run(r, true, args);
	printf("libvirt %s %s: status %d in %.2f s\n", type, extra[0] ? extra[1] : "", r->status, now_seconds() - t0);
}

static void assert_passed(const struct e2e_run *r, const char *scenario)
{
	ck_assert_msg(r->json != NULL, "%s: no JSON; stderr: %s", scenario, r->stderr_text);
	ck_assert_msg(r->status == 0, "%s: status %d outcome %s end %s; stderr: %s", scenario, r->status,
		      e2e_str(r->json, "outcome"), e2e_str(r->json, "end_reason"), r->stderr_text);
	ck_assert_str_eq(e2e_str(r->json, "engine"), "libvirt");
	ck_assert_str_eq(e2e_str(r->json, "scenario"), scenario);
	ck_assert_str_eq(e2e_str(r->json, "outcome"), "pass");
	ck_assert_str_eq(e2e_str(r->json, "end"), "guest-exit");
	ck_assert_int_eq(e2e_int(r->json, "guest_exit_code"), 0);
}

START_TEST(tcg_domain_boots)
{
	const char *extra[] = { "--scenario", "boot", NULL };
	struct e2e_run r;
	run_libvirt(&r, "qemu", extra);
	assert_passed(&r, "boot");
	ck_assert_str_eq(e2e_str(r.json, "backend"), "tcg");
	e2e_free(&r);
}
END_TEST

START_TEST(tcg_domain_runs_syscalls)
{
	/* TCG is architecturally faithful: SYSCALL/SYSRET need no repair there. */
	const char *extra[] = { "--scenario", "syscall-loop", "--pti", _i ? "off" : "on", "--iters", "60", NULL };
	struct e2e_run r;
	run_libvirt(&r, "qemu", extra);
	assert_passed(&r, "syscall-loop");
	ck_assert_str_eq(e2e_str(r.json, "pti"), _i ? "off" : "on");
	e2e_free(&r);
}
END_TEST

START_TEST(refused_command_line_is_bad_input)
{
	/* A key the model does not take never reaches a domain: the CLI refuses it first. */
	const char *extra[] = { "--scenario", "boot", "nosuchkey=1", NULL };
	struct e2e_run r;
	run_libvirt(&r, "qemu", extra);
	ck_assert_msg(r.status == 2, "status %d; stderr: %s", r.status, r.stderr_text);
	ck_assert_ptr_null(r.json);
	ck_assert_msg(strstr(r.stderr_text, "bad guest argument: unknown key 'nosuchkey'"), "stderr: %s", r.stderr_text);
	ck_assert_int_eq(leftover_domains(), 0);
	e2e_free(&r);
	/* A guest that refuses its line itself: the refusal line is the only sign of
	 * its exit code, and its reason is what the CLI says. */
	char guest[600];
	snprintf(guest, sizeof(guest), "%s/hostile-refuse.elf", getenv("HOSTILE_GUEST_DIR"));
	const char *refuse[] = { "--guest", guest, NULL };
	run_libvirt(&r, "qemu", refuse);
	ck_assert_msg(r.status == 2 && r.json, "status %d; stderr: %s", r.status, r.stderr_text);
	ck_assert_int_eq(e2e_int(r.json, "guest_exit_code"), 2);
	ck_assert_str_eq(e2e_str(r.json, "outcome"), "no-result");
	ck_assert_str_eq(e2e_str(r.json, "refused"), "key 'zap' is an option of entry=nobody ?[2J");
	ck_assert_msg(strstr(r.stderr_text, "the guest refused its command line: key 'zap'"), "stderr: %s", r.stderr_text);
	e2e_free(&r);
}
END_TEST

/* The same hostile guests as under our VMM and QEMU, the same limits. */
START_TEST(hostile_guests_are_bounded)
{
	static const char *const names[] = { "verdicts", "flood" };
	char guest[512];
	e2e_hostile_guest(names[_i], guest, sizeof(guest));
	const char *extra[] = { "--guest", guest, "--timeout", "60", NULL };
	struct e2e_run r;
	run_libvirt(&r, "qemu", extra);
	if (_i == 0)
		e2e_assert_repeated_verdicts(&r, "libvirt");
	else
		e2e_assert_flood_stopped(&r, "libvirt");
	e2e_free(&r);
}
END_TEST

START_TEST(timeout_destroys_the_domain)
{
	const char *extra[] = { "--scenario", "syscall-loop", "--iters", "10000000", "--timeout", "3", NULL };
	struct e2e_run r;
	run_libvirt(&r, "qemu", extra);
	ck_assert_msg(r.status == 1, "status %d; stderr: %s", r.status, r.stderr_text);
	ck_assert_ptr_nonnull(r.json);
	ck_assert_str_eq(e2e_str(r.json, "end"), "timeout");
	ck_assert_int_eq(leftover_domains(), 0);
	e2e_free(&r);
}
END_TEST

/* Domains are started with autodestroy: when entrybox dies without any
 * chance to clean up, libvirt destroys its domain as the connection drops. */
START_TEST(killed_run_leaves_no_domain)
{
	const char *bin = getenv("ENTRYBOX_BIN");
	ck_assert_ptr_nonnull(bin);
	pid_t pid = fork();
	if (pid == 0) {
		execl(bin, bin, "libvirt", "--connect", daemons.uri, "--scenario", "syscall-loop", "--iters",
		      "10000000", "--timeout", "60", "--quiet", (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	/* Long enough for the domain to exist and run. */
	double end = now_seconds() + 20;
	while (leftover_domains() < 1 && now_seconds() < end)
		usleep(50 * 1000);
	ck_assert_int_eq(leftover_domains(), 1);
	kill(pid, SIGKILL);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	end = now_seconds() + 20;
	while (leftover_domains() != 0 && now_seconds() < end)
		usleep(50 * 1000);
	ck_assert_int_eq(leftover_domains(), 0);
}
END_TEST

/* The kvm part (test e2e-libvirt-kvm, suite kvm). */
START_TEST(kvm_domain_boots_on_microvm)
{
	const char *extra[] = { "--scenario", "boot", NULL };
	struct e2e_run r;
	run_libvirt(&r, "kvm", extra);
	assert_passed(&r, "boot");
	e2e_free(&r);
}
END_TEST

START_TEST(unreachable_libvirt_is_environment)
{
	const char *args[] = { "libvirt", "--connect", "qemu:///system?socket=/nonexistent/entrybox/sock", NULL };
	struct e2e_run r;
	e2e_run(&r, false, args);
	ck_assert_int_eq(r.status, 3);
	ck_assert_msg(strstr(r.stderr_text, "cannot connect to libvirt") != NULL, "stderr: %s", r.stderr_text);
	ck_assert_int_eq(r.stderr_lines, 1);
	e2e_free(&r);
}
END_TEST

/* The matrix spread over two libvirt "hosts" (the same private daemon named
 * twice, as a fleet would be named): every cell ran as a libvirt domain. */
START_TEST(matrix_over_libvirt_hosts)
{
	char dir[] = "/tmp/ebx-libvirt-matrix-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	static char hosts[2 * sizeof(daemons.uri) + 2];
	snprintf(hosts, sizeof(hosts), "%s,%s", daemons.uri, daemons.uri);
	const char *args[] = { "matrix", "--engine", "libvirt", "--connect", hosts, "--models", "kpti",
			       "--scenarios", "boot,syscall-loop", "--pti", "on,off", "--pcid", "off", "--vcpus", "1",
			       "--iters", "20", "--jobs", "2", "--no-plots", "--out", dir, NULL };
	struct e2e_run r;
	e2e_run(&r, false, args);
	ck_assert_msg(r.status == 0, "matrix status %d: %s", r.status, r.stderr_text);
	char path[1100];
	snprintf(path, sizeof(path), "%s/results.json", dir);
	json_object *rows = json_object_from_file(path);
	ck_assert_ptr_nonnull(rows);
	size_t libvirt_rows = 0;
	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		json_object *row = json_object_array_get_idx(rows, i);
		if (strcmp(e2e_str(row, "engine"), "libvirt") != 0)
			continue;
		libvirt_rows++;
		ck_assert_str_eq(e2e_str(row, "outcome"), "pass");
	}
	ck_assert_uint_eq(libvirt_rows, 4);
	json_object_put(rows);
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(no_domain_outlives_the_runs)
{
	ck_assert_int_eq(leftover_domains(), 0);
}
END_TEST

static Suite *libvirt_suite(bool kvm)
{
	Suite *s = suite_create(kvm ? "e2e-libvirt-kvm" : "e2e-libvirt");
	TCase *tc = tcase_create("domains");
	tcase_set_timeout(tc, 120);
	if (kvm) {
		tcase_add_test(tc, kvm_domain_boots_on_microvm);
	} else {
		tcase_add_test(tc, tcg_domain_boots);
		tcase_add_loop_test(tc, tcg_domain_runs_syscalls, 0, 2);
		tcase_add_test(tc, refused_command_line_is_bad_input);
		tcase_add_loop_test(tc, hostile_guests_are_bounded, 0, 2);
		tcase_add_test(tc, timeout_destroys_the_domain);
		tcase_add_test(tc, killed_run_leaves_no_domain);
		tcase_add_test(tc, unreachable_libvirt_is_environment);
		tcase_add_test(tc, matrix_over_libvirt_hosts);
		tcase_add_test(tc, no_domain_outlives_the_runs);
	}
	suite_add_tcase(s, tc);
	return s;
}

/* The first connection makes libvirtd probe QEMU's capabilities; doing it
 * here keeps that one-off cost out of every test's time. */
static bool first_connection(void)
{
	double t0 = now_seconds();
	virConnectPtr conn = virConnectOpen(daemons.uri);
	char *caps = conn ? virConnectGetCapabilities(conn) : NULL;
	printf("libvirt: first connection and capabilities in %.2f s\n", now_seconds() - t0);
	bool ok = caps != NULL;
	if (!ok)
		printf("libvirt: %s\n", virGetLastErrorMessage());
	free(caps);
	if (conn)
		virConnectClose(conn);
	return ok;
}

/* "tcg" (the default) runs the TCG domains, on any host; "kvm" boots a
 * kvm-type domain and belongs to the kvm suite. */
int main(int argc, char **argv)
{
	bool kvm = argc > 1 && strcmp(argv[1], "kvm") == 0;
	if (kvm)
		e2e_require_kvm();
	virSetErrorFunc(NULL, quiet_errors);
	double t0 = now_seconds();
	int rc = libvirt_daemons_start(&daemons);
	if (rc != 0) {
		/* The daemons' logs in the private folder are the only explanation. */
		if (rc != LIBVIRT_DAEMON_SKIP)
			setenv("ENTRYBOX_KEEP_LIBVIRT_DIR", "1", 1);
		libvirt_daemons_stop(&daemons);
		if (rc == LIBVIRT_DAEMON_SKIP) {
			printf("SKIP: %s\n", daemons.why);
			return LIBVIRT_DAEMON_SKIP;
		}
		fprintf(stderr, "private libvirtd: %s (folder %s kept)\n", daemons.why, daemons.dir);
		return EXIT_FAILURE;
	}
	printf("libvirt: daemons up in %.2f s at %s\n", now_seconds() - t0, daemons.uri);
	int status = first_connection() ? check_run(libvirt_suite(kvm)) : EXIT_FAILURE;
	t0 = now_seconds();
	libvirt_daemons_stop(&daemons);
	printf("libvirt: daemons stopped in %.2f s\n", now_seconds() - t0);
	return status;
}
