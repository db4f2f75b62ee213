/* SPDX-License-Identifier: MIT */
#include "host/confine.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What a vCPU thread does after set-up, and why. */
static const int allowed[] = {
	SCMP_SYS(ioctl),                 /* KVM_RUN and register access on the vCPU and VM fds */
	SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(lseek), /* libdw reads the open guest ELF lazily */
	SCMP_SYS(write), SCMP_SYS(writev), /* console echo, trace lines */
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), /* stdio sizes a stream's buffer on first use */
	SCMP_SYS(futex),                 /* the session lock */
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect), SCMP_SYS(brk),
	SCMP_SYS(madvise),               /* malloc, including per-thread arenas */
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), /* the kick signal's handler */
	SCMP_SYS(sigaltstack),           /* sanitizer runtimes tear down a thread's signal stack */
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(tgkill), /* pthread_kill: kicking the other vCPUs */
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), /* trace timing */
	SCMP_SYS(sched_yield),
	SCMP_SYS(getrandom),             /* json-c seeds its hash tables on first use (trace lines) */
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};

bool confine_thread(char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx) {
		snprintf(err, errlen, "seccomp_init failed");
		return false;
	}
	int rc = 0;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	/* No new privileges: required for an unprivileged filter, and right anyway. */
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0) {
		snprintf(err, errlen, "cannot install the seccomp filter: %s", strerror(-rc));
		return false;
	}
	return true;
}

static void report(const char *what, int rc, int saved_errno)
{
	if (rc >= 0)
		fprintf(stderr, "entrybox: confine selftest: %s was allowed\n", what);
	else
		fprintf(stderr, "entrybox: confine selftest: %s refused: %s\n", what, strerror(saved_errno));
}

void confine_selftest(void)
{
	const char *flag = getenv("ENTRYBOX_CONFINE_SELFTEST");
	if (!flag || strcmp(flag, "1") != 0)
		return;
	/* A path that does not exist: unconfined, the answer is ENOENT and nothing runs. */
	char *const argv[] = { "/nonexistent/entrybox-confine-selftest", NULL };
	errno = 0;
	int rc = execve(argv[0], argv, NULL);
	report("execve", rc, errno);
	errno = 0;
	rc = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	int saved = errno;
	if (rc >= 0)
		close(rc);
	report("open", rc, saved);
}

/* The gdb stub's connection thread: a vCPU thread's calls plus these. */
static const int debugger_allowed[] = {
	SCMP_SYS(poll), SCMP_SYS(ppoll), /* the listening socket, the client, the wake-up eventfd */
	SCMP_SYS(accept4), SCMP_SYS(setsockopt), /* one gdb at a time, TCP_NODELAY on it */
	SCMP_SYS(recvfrom),              /* a read that must not block (MSG_DONTWAIT) */
	SCMP_SYS(close),                 /* a client that left, a second one turned away */
};

bool confine_debugger_thread(char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx) {
		snprintf(err, errlen, "seccomp_init failed");
		return false;
	}
	int rc = 0;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	for (size_t i = 0; i < sizeof(debugger_allowed) / sizeof(debugger_allowed[0]) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, debugger_allowed[i], 0);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0) {
		snprintf(err, errlen, "cannot install the seccomp filter: %s", strerror(-rc));
		return false;
	}
	return true;
}
