/* SPDX-License-Identifier: MIT */
/*
 * `entrybox libvirt` and `entrybox matrix --engine libvirt` against real
 * remote libvirt hosts: test hosts of their own (network namespaces wired by
 * veth pairs, test_hosts.h), each running a private libvirtd + virtlogd that
 * listens on TCP, and none of which sees the build tree: the guest image gets
 * there only by entrybox uploading it.  The third host has no libvirtd: it
 * cannot be reached.  The matrix loses one host half-way (its libvirtd is
 * killed); its runs go to the other, and every cell is listed once, with the
 * host that ran it and every attempt.
 */
#include <check.h>
#include <libgen.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_run.h"
#include "e2e_util.h"
#include "libvirt_daemon.h"
#include "test_hosts.h"

#define NHOSTS   3        /* two with libvirtd, one without */
#define NDAEMONS 2
#define MATRIX_CELLS 8    /* 2 models x 2 pti x 2 scenarios */

static struct test_hosts hosts;
static struct libvirt_daemons daemons[NDAEMONS];
static char guest_dir[PATH_MAX];
static char uri_down[96];

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

/* Domains of ours that a host knows (running ones only, if asked); -1 if it cannot say. */
static int our_domains(virConnectPtr conn, unsigned flags)
{
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(conn, &doms, flags);
	int ours = 0;
	for (int i = 0; i < n; i++) {
		if (strncmp(virDomainGetName(doms[i]), "entrybox-", 9) == 0)
			ours++;
		virDomainFree(doms[i]);
	}
	free(doms);
	return n < 0 ? -1 : ours;
}

static int leftover_domains(const char *uri)
{
	virConnectPtr conn = virConnectOpen(uri);
	if (!conn)
		return -1;
	int n = our_domains(conn, 0);
	virConnectClose(conn);
	return n;
}

/* ---- one run on a remote host ------------------------------------------------------------ */

START_TEST(a_remote_run_uploads_the_image_and_names_its_host)
{
	const char *args[] = { "libvirt", "--connect", daemons[0].tcp_uri, "--console-host", hosts.host[0].addr_here,
			       "--scenario", "syscall-loop", "--iters", "20", NULL };
	struct e2e_run r;
	double t0 = now_seconds();
	e2e_run(&r, true, args);
	printf("remote run on %s: status %d in %.2f s\n", daemons[0].tcp_uri, r.status, now_seconds() - t0);
	ck_assert_msg(r.status == 0 && r.json, "status %d; stderr: %s", r.status, r.stderr_text);
	ck_assert_str_eq(e2e_str(r.json, "outcome"), "pass");
	ck_assert_str_eq(e2e_str(r.json, "host"), daemons[0].tcp_uri);
	e2e_free(&r);
	/* The host holds the image as a volume of the pool entrybox uploads to. */
	virConnectPtr conn = virConnectOpen(daemons[0].tcp_uri);
	ck_assert_ptr_nonnull(conn);
	virStoragePoolPtr pool = virStoragePoolLookupByName(conn, "entrybox");
	ck_assert_ptr_nonnull(pool);
	ck_assert_int_ge(virStoragePoolNumOfVolumes(pool), 1);
	virStoragePoolFree(pool);
	virConnectClose(conn);
	ck_assert_int_eq(leftover_domains(daemons[0].tcp_uri), 0);
}
END_TEST

START_TEST(an_image_missing_on_the_host_is_one_line)
{
	/* The host does not see the build tree: the path is not there. */
	const char *args[] = { "libvirt", "--connect", daemons[1].tcp_uri, "--console-host", hosts.host[1].addr_here,
			       "--image", "same-path", "--scenario", "boot", NULL };
	struct e2e_run r;
	e2e_run(&r, true, args);
	ck_assert_msg(r.status == 3, "status %d; stderr: %s", r.status, r.stderr_text);
	ck_assert_int_eq(r.stderr_lines, 1);
	ck_assert_msg(strstr(r.stderr_text, "is not on the libvirt host") != NULL, "stderr: %s", r.stderr_text);
	ck_assert_ptr_nonnull(strstr(r.stderr_text, daemons[1].tcp_uri));
	e2e_free(&r);
}
END_TEST

START_TEST(an_unreachable_host_is_one_line)
{
	const char *args[] = { "libvirt", "--connect", uri_down, "--console-host", hosts.host[2].addr_here, NULL };
	struct e2e_run r;
	e2e_run(&r, false, args);
	ck_assert_msg(r.status == 3, "status %d; stderr: %s", r.status, r.stderr_text);
	ck_assert_int_eq(r.stderr_lines, 1);
	ck_assert_ptr_nonnull(strstr(r.stderr_text, "cannot connect to libvirt"));
	e2e_free(&r);
}
END_TEST

/* ---- the matrix over the fleet ----------------------------------------------------------- */

/* Whether any finished run in DIR/runs/ names this host. */
static bool a_run_finished_on(const char *dir, const char *uri)
{
	char runs[PATH_MAX];
	snprintf(runs, sizeof(runs), "%s/runs", dir);
	DIR *d = opendir(runs);
	if (!d)
		return false;
	bool found = false;
	for (struct dirent *e; !found && (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 5, ".json") != 0)
			continue;
		char path[PATH_MAX + 300];
		snprintf(path, sizeof(path), "%s/%s", runs, e->d_name);
		json_object *o = json_object_from_file(path);
		found = o && strcmp(e2e_str(o, "host"), uri) == 0;
		if (o)
			json_object_put(o);
	}
	closedir(d);
	return found;
}

struct matrix_child {
	pid_t pid;
	char err_path[64];
};

static void start_matrix(struct matrix_child *m, const char *dir, const char *hosts_list)
{
	const char *bin = getenv("ENTRYBOX_BIN");
	ck_assert_ptr_nonnull(bin);
	snprintf(m->err_path, sizeof(m->err_path), "%s/stderr", dir);
	m->pid = fork();
	ck_assert_int_ge(m->pid, 0);
	if (m->pid == 0) {
		FILE *err = freopen(m->err_path, "w", stderr);
		FILE *out = freopen("/dev/null", "w", stdout);
		(void)err;
		(void)out;
		execl(bin, bin, "matrix", "--engine", "libvirt", "--connect", hosts_list, "--console-host",
		      hosts.host[0].addr_here, "--models", "kpti,pertask", "--scenarios", "boot,syscall-loop", "--pti",
		      "on,off", "--pcid", "off", "--vcpus", "1", "--iters", "20", "--jobs", "2", "--timeout", "60",
		      "--no-plots", "--out", dir, (char *)NULL);
		_exit(127);
	}
}

static int finish_matrix(const struct matrix_child *m, char *err_text, size_t len)
{
	int st = 0;
	ck_assert_int_eq(waitpid(m->pid, &st, 0), m->pid);
	FILE *f = fopen(m->err_path, "r");
	size_t n = f ? fread(err_text, 1, len - 1, f) : 0;
	err_text[n] = '\0';
	if (f)
		fclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static unsigned lines_with(const char *text, const char *a, const char *b)
{
	unsigned n = 0;
	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[1024];
		snprintf(buf, sizeof(buf), "%.*s", (int)(len < sizeof(buf) - 1 ? len : sizeof(buf) - 1), line);
		if (strstr(buf, a) && (!b || strstr(buf, b)))
			n++;
		line += len + (end ? 1 : 0);
	}
	return n;
}

struct fleet_counts {
	unsigned rows, on[NDAEMONS], retried, lost_then_moved, lost_mid_run;
};

static void check_row(json_object *row, struct fleet_counts *k)
{
	const char *up = daemons[0].tcp_uri, *killed = daemons[1].tcp_uri;
	ck_assert_str_eq(e2e_str(row, "engine"), "libvirt");
	ck_assert_msg(strcmp(e2e_str(row, "outcome"), "pass") == 0, "%s %s pti=%s: %s (%s)", e2e_str(row, "model"),
		      e2e_str(row, "scenario"), e2e_str(row, "pti"), e2e_str(row, "outcome"),
		      e2e_str(row, "end_reason"));
	const char *host = e2e_str(row, "matrix_host");
	ck_assert_str_eq(e2e_str(row, "host"), host);
	ck_assert_msg(strcmp(host, up) == 0 || strcmp(host, killed) == 0, "ran on %s", host);
	k->on[strcmp(host, up) == 0 ? 0 : 1]++;
	json_object *attempts;
	ck_assert(json_object_object_get_ex(row, "matrix_attempts", &attempts));
	size_t n = json_object_array_length(attempts);
	ck_assert_uint_ge(n, 1);
	json_object *last = json_object_array_get_idx(attempts, n - 1);
	ck_assert_str_eq(e2e_str(last, "host"), host);
	ck_assert_str_eq(e2e_str(last, "result"), "ran");
	for (size_t i = 0; i + 1 < n; i++) {
		json_object *a = json_object_array_get_idx(attempts, i);
		/* Only the host that went down failed runs; none ran where nothing listens. */
		ck_assert_str_eq(e2e_str(a, "host"), killed);
		ck_assert_msg(strncmp(e2e_str(a, "result"), "host-lost", 9) == 0 ||
			      strncmp(e2e_str(a, "result"), "not started", 11) == 0, "attempt: %s", e2e_str(a, "result"));
		k->lost_mid_run += strncmp(e2e_str(a, "result"), "host-lost", 9) == 0;
	}
	if (n > 1) {
		printf("retried: %s %s pti=%s:", e2e_str(row, "model"), e2e_str(row, "scenario"), e2e_str(row, "pti"));
		for (size_t i = 0; i < n; i++) {
			json_object *a = json_object_array_get_idx(attempts, i);
			printf(" [%zu] %s: %s", i + 1, e2e_str(a, "host"), e2e_str(a, "result"));
		}
		printf("\n");
		fflush(stdout);
		k->retried++;
		k->lost_then_moved += strcmp(host, up) == 0;
	}
	ck_assert_str_ne(host, uri_down);
}

START_TEST(the_matrix_survives_a_host_that_dies)
{
	char dir[] = "/tmp/ebx-fleet-matrix-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char list[400];
	snprintf(list, sizeof(list), "%s,%s,%s", daemons[0].tcp_uri, daemons[1].tcp_uri, uri_down);
	virConnectPtr watch = virConnectOpen(daemons[1].tcp_uri);
	ck_assert_ptr_nonnull(watch);
	struct matrix_child m;
	double t0 = now_seconds();
	start_matrix(&m, dir, list);
	/* Half-way: once the second host has finished a run, and while it runs
	 * the next one, its libvirtd dies. */
	double end = now_seconds() + 120;
	while (!(a_run_finished_on(dir, daemons[1].tcp_uri) && our_domains(watch, VIR_CONNECT_LIST_DOMAINS_RUNNING) > 0) &&
	       now_seconds() < end)
		usleep(20 * 1000);
	ck_assert_msg(now_seconds() < end, "no run finished on %s with another running there", daemons[1].tcp_uri);
	double killed_at = now_seconds() - t0;
	ck_assert_int_eq(kill(daemons[1].libvirtd, SIGKILL), 0);
	virConnectClose(watch);
	char err[8192];
	int status = finish_matrix(&m, err, sizeof(err));
	double took = now_seconds() - t0;
	printf("matrix over %u hosts: status %d in %.1f s, libvirtd of %s killed at %.1f s\n%s", NHOSTS, status, took,
	       daemons[1].tcp_uri, killed_at, err);
	fflush(stdout);
	ck_assert_msg(status == 0, "matrix status %d: %s", status, err);
	/* The host without libvirtd: one line, at the start; the one that died: one line. */
	ck_assert_uint_eq(lines_with(err, uri_down, NULL), 1);
	ck_assert_uint_eq(lines_with(err, uri_down, "left out"), 1);
	ck_assert_uint_eq(lines_with(err, daemons[1].tcp_uri, "is down"), 1);

	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/results.json", dir);
	json_object *rows = json_object_from_file(path);
	ck_assert_ptr_nonnull(rows);
	struct fleet_counts k = { 0 };
	k.rows = (unsigned)json_object_array_length(rows);
	ck_assert_uint_eq(k.rows, MATRIX_CELLS);
	for (unsigned i = 0; i < k.rows; i++) {
		json_object *row = json_object_array_get_idx(rows, i);
		check_row(row, &k);
		/* Each cell once: no other row of the same selection. */
		for (unsigned j = 0; j < i; j++) {
			json_object *other = json_object_array_get_idx(rows, j);
			ck_assert(strcmp(e2e_str(row, "model"), e2e_str(other, "model")) != 0 ||
				  strcmp(e2e_str(row, "pti"), e2e_str(other, "pti")) != 0 ||
				  strcmp(e2e_str(row, "scenario"), e2e_str(other, "scenario")) != 0);
		}
	}
	json_object_put(rows);
	printf("cells: %u, ran on %s: %u, on %s: %u, retried: %u (moved to the live host: %u)\n", k.rows,
	       daemons[0].tcp_uri, k.on[0], daemons[1].tcp_uri, k.on[1], k.retried, k.lost_then_moved);
	fflush(stdout);
	ck_assert_uint_ge(k.on[1], 1);
	ck_assert_uint_ge(k.lost_then_moved, 1);
	/* The domain that was running when its libvirtd died: lost, then run again elsewhere. */
	ck_assert_uint_ge(k.lost_mid_run, 1);
	ck_assert_int_eq(leftover_domains(daemons[0].tcp_uri), 0);
	/* The CSV names the host and the attempts too. */
	snprintf(path, sizeof(path), "%s/results.csv", dir);
	FILE *csv = fopen(path, "r");
	ck_assert_ptr_nonnull(csv);
	char line[2048];
	unsigned csv_rows = 0, csv_retried = 0;
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), csv));
	ck_assert_ptr_nonnull(strstr(line, ",host,attempts"));
	while (fgets(line, sizeof(line), csv)) {
		csv_rows++;
		ck_assert_msg(strstr(line, daemons[0].tcp_uri) || strstr(line, daemons[1].tcp_uri), "%s", line);
		csv_retried += strstr(line, ",2\n") != NULL;
	}
	fclose(csv);
	ck_assert_uint_eq(csv_rows, MATRIX_CELLS);
	ck_assert_uint_eq(csv_retried, k.retried);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ---- cleaning up whatever happens -------------------------------------------------------- */

/* A test that is killed outright cannot clean up: its janitor does. */
START_TEST(test_hosts_go_when_their_test_is_killed)
{
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct test_hosts mine;
		int rc = test_hosts_create(&mine, 1);
		if (write(fds[1], &mine, sizeof(mine)) != (ssize_t)sizeof(mine) || rc != 0)
			_exit(1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	struct test_hosts theirs;
	ck_assert_int_eq(read(fds[0], &theirs, sizeof(theirs)), (ssize_t)sizeof(theirs));
	close(fds[0]);
	ck_assert_msg(test_hosts_left_over(&theirs), "%s was not created: %s", theirs.host[0].netns, theirs.why);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	double end = now_seconds() + 20;
	while (test_hosts_left_over(&theirs) && now_seconds() < end)
		usleep(50 * 1000);
	ck_assert_msg(!test_hosts_left_over(&theirs), "%s is still there after its test died", theirs.host[0].netns);
}
END_TEST

static Suite *fleet_suite(void)
{
	Suite *s = suite_create("libvirt-fleet");
	TCase *tc = tcase_create("fleet");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, a_remote_run_uploads_the_image_and_names_its_host);
	tcase_add_test(tc, an_image_missing_on_the_host_is_one_line);
	tcase_add_test(tc, an_unreachable_host_is_one_line);
	tcase_add_test(tc, test_hosts_go_when_their_test_is_killed);
	/* Last: it kills the second host's libvirtd. */
	tcase_add_test(tc, the_matrix_survives_a_host_that_dies);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- the fleet itself -------------------------------------------------------------------- */

static bool reachable(const char *uri, double seconds)
{
	double end = now_seconds() + seconds;
	do {
		virConnectPtr conn = virConnectOpen(uri);
		if (conn) {
			virConnectClose(conn);
			return true;
		}
		usleep(100 * 1000);
	} while (now_seconds() < end);
	return false;
}

static int start_fleet(void)
{
	const char *guest = getenv("ENTRYBOX_GUEST");
	if (!guest || !realpath(guest, guest_dir)) {
		fprintf(stderr, "ENTRYBOX_GUEST is not set or not there\n");
		return -1;
	}
	dirname(guest_dir);
	int rc = test_hosts_create(&hosts, NHOSTS);
	if (rc != 0)
		return rc;
	snprintf(uri_down, sizeof(uri_down), "qemu+tcp://%s/system", hosts.host[2].addr_there);
	for (unsigned i = 0; i < NDAEMONS; i++) {
		struct libvirt_daemon_place place = { .netns = hosts.host[i].netns,
						      .listen_addr = hosts.host[i].addr_there,
						      .hide_dir = guest_dir };
		rc = libvirt_daemons_start_in(&daemons[i], &place);
		if (rc != 0) {
			snprintf(hosts.why, sizeof(hosts.why), "libvirtd of %s: %s", hosts.host[i].netns, daemons[i].why);
			return rc;
		}
		if (!reachable(daemons[i].tcp_uri, 30)) {
			snprintf(hosts.why, sizeof(hosts.why), "%s does not answer: %s", daemons[i].tcp_uri,
				 virGetLastErrorMessage());
			return -1;
		}
	}
	return 0;
}

static void stop_fleet(void)
{
	for (unsigned i = 0; i < NDAEMONS; i++)
		libvirt_daemons_stop(&daemons[i]);
	test_hosts_destroy(&hosts);
}

int main(void)
{
	virSetErrorFunc(NULL, quiet_errors);
	e2e_require_qemu();
	double t0 = now_seconds();
	int rc = start_fleet();
	if (rc != 0) {
		if (rc != TEST_HOSTS_SKIP)
			setenv("ENTRYBOX_KEEP_LIBVIRT_DIR", "1", 1);
		stop_fleet();
		if (rc == TEST_HOSTS_SKIP) {
			printf("SKIP: %s\n", hosts.why);
			return TEST_HOSTS_SKIP;
		}
		fprintf(stderr, "test hosts: %s\n", hosts.why);
		return EXIT_FAILURE;
	}
	printf("fleet: %u hosts (%s with libvirtd, %s without) up in %.2f s\n", NHOSTS, daemons[0].tcp_uri, uri_down,
	       now_seconds() - t0);
	int status = check_run(fleet_suite());
	stop_fleet();
	bool left = test_hosts_left_over(&hosts);
	printf("fleet: daemons and namespaces removed%s\n", left ? " -- NOT ALL: something is left over" : "");
	return left ? EXIT_FAILURE : status;
}
