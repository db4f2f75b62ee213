/* SPDX-License-Identifier: MIT */
#include "e2e_util.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *entrybox_bin(void)
{
	const char *bin = getenv("ENTRYBOX_BIN");
	if (!bin) {
		fprintf(stderr, "ENTRYBOX_BIN is not set\n");
		exit(2);
	}
	return bin;
}

void e2e_run(struct e2e_run *out, bool with_json, const char *const *args)
{
	memset(out, 0, sizeof(*out));
	char json_path[] = "/tmp/ebx-e2e-json-XXXXXX";
	char err_path[] = "/tmp/ebx-e2e-err-XXXXXX";
	int jfd = mkstemp(json_path);
	int efd = mkstemp(err_path);
	if (jfd < 0 || efd < 0) {
		perror("mkstemp");
		exit(2);
	}
	const char *argv[64];
	int n = 0;
	argv[n++] = entrybox_bin();
	for (int i = 0; args[i] && n < 60; i++)
		argv[n++] = args[i];
	if (with_json) {
		argv[n++] = "--json";
		argv[n++] = json_path;
	}
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(efd, 2);
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	int wst = 0;
	waitpid(pid, &wst, 0);
	out->status = WIFEXITED(wst) ? WEXITSTATUS(wst) : -1;
	ssize_t got = pread(efd, out->stderr_text, sizeof(out->stderr_text) - 1, 0);
	out->stderr_text[got > 0 ? got : 0] = '\0';
	for (char *p = out->stderr_text; *p; p++)
		if (*p == '\n')
			out->stderr_lines++;
	if (with_json)
		out->json = json_object_from_file(json_path);
	close(jfd);
	close(efd);
	unlink(json_path);
	unlink(err_path);
}

void e2e_free(struct e2e_run *r)
{
	if (r->json)
		json_object_put(r->json);
	r->json = NULL;
}

const char *e2e_str(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v))
		return "";
	return json_object_get_string(v);
}

long long e2e_int(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v))
		return -1;
	return json_object_get_int64(v);
}

void e2e_require_kvm(void)
{
	if (access("/dev/kvm", R_OK | W_OK) == 0)
		return;
	fprintf(stderr, "%s: /dev/kvm is not usable (%s); the kvm suite runs where KVM works: tools/svm-box.sh\n",
		program_invocation_short_name, strerror(errno));
	exit(EXIT_FAILURE);
}

void e2e_require_qemu(void)
{
	if (system("command -v qemu-system-x86_64 >/dev/null 2>&1") != 0) {
		printf("SKIP: qemu-system-x86_64 is not installed\n");
		fflush(stdout);
		exit(77);
	}
}

bool e2e_has_violation(json_object *o, const char *rule)
{
	json_object *arr;
	if (!o || !json_object_object_get_ex(o, "violations", &arr) || !json_object_is_type(arr, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *v = json_object_array_get_idx(arr, i);
		if (strcmp(e2e_str(v, "rule"), rule) == 0 && e2e_str(v, "symbol")[0] && e2e_str(v, "insn")[0])
			return true;
	}
	return false;
}

void e2e_hostile_guest(const char *name, char *buf, size_t len)
{
	const char *dir = getenv("HOSTILE_GUEST_DIR");
	ck_assert_msg(dir != NULL, "HOSTILE_GUEST_DIR is not set");
	snprintf(buf, len, "%s/hostile-%s.elf", dir, name);
	ck_assert_msg(access(buf, R_OK) == 0, "no guest %s", buf);
}

static void assert_hostile(const struct e2e_run *r, const char *engine, const char *reason)
{
	ck_assert_msg(r->json != NULL, "%s: no JSON; stderr: %s", engine, r->stderr_text);
	ck_assert_msg(r->status == 1, "%s: status %d; stderr: %s", engine, r->status, r->stderr_text);
	ck_assert_str_eq(e2e_str(r->json, "engine"), engine);
	ck_assert_str_eq(e2e_str(r->json, "end"), "hostile");
	ck_assert_str_eq(e2e_str(r->json, "outcome"), "hostile");
	ck_assert_msg(strstr(e2e_str(r->json, "end_reason"), reason) != NULL, "%s: end_reason '%s'", engine,
		      e2e_str(r->json, "end_reason"));
}

void e2e_assert_repeated_verdicts(const struct e2e_run *r, const char *engine)
{
	/* The CRLF line and the plain one count; the overlong one is cut, never parsed. */
	assert_hostile(r, engine, "the guest printed 2 result lines (one expected)");
	ck_assert_str_eq(e2e_str(r->json, "detail"), "second");
}

void e2e_assert_flood_stopped(const struct e2e_run *r, const char *engine)
{
	assert_hostile(r, engine, "the guest wrote more than 256 KiB to the console");
}
