/* SPDX-License-Identifier: MIT */
#include "host/confine.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

/* The type byte of every /dev/kvm ioctl request (_IOC type field). */
#define IOCTL_TYPE_MASK 0xff00u
#define IOCTL_TYPE_KVM  (KVMIO << 8)

/* What a vCPU thread does after set-up, and why. */
static const int thread_allowed[] = {
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
	/* A stop without a handler (SIGSTOP, a ptrace attach: a debugger on the
	 * VMM, LeakSanitizer's check) resumes a waiting poll, futex or sleep
	 * with restart_syscall, which only continues a call already allowed. */
	SCMP_SYS(restart_syscall),
};

/* What the gdb stub's connection thread does on top, when the run has one:
 * it waits on, accepts from and reads without blocking the sockets it bound
 * before confinement (it writes with write(2) like everything else). */
static const int debugger_allowed[] = {
	SCMP_SYS(poll), SCMP_SYS(ppoll), /* the listening socket, the client, the wake-up eventfd */
	SCMP_SYS(accept4), SCMP_SYS(setsockopt), /* one gdb at a time, TCP_NODELAY on it */
	SCMP_SYS(recvfrom),              /* a read that must not block (MSG_DONTWAIT) */
};

/* What the whole process does after set-up, on top of what its threads do,
 * and why; the calls with argument conditions are added by process_rules(). */
static const int process_allowed[] = {
	SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(readv), SCMP_SYS(lseek), /* symbols from the open ELF */
	SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(pwrite64), /* summary, JSON, trace, console echo */
	SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	SCMP_SYS(close),                 /* tearing the VM down, closing the result files */
	SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(rseq), /* threads start and join */
	SCMP_SYS(sched_getaffinity),     /* pthread_getattr_np (sanitizer runtimes, on a new thread) */
	SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(brk), SCMP_SYS(madvise),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(sigaltstack),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(tgkill),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(sched_yield),
	SCMP_SYS(getrandom),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
	/* A stop without a handler (SIGSTOP, a ptrace attach: a debugger on the
	 * VMM, LeakSanitizer's check) resumes a waiting poll, futex or sleep
	 * with restart_syscall, which only continues a call already allowed. */
	SCMP_SYS(restart_syscall),
};

static bool add_all(scmp_filter_ctx ctx, const int *calls, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0) != 0)
			return false;
	return true;
}

/* ioctl on /dev/kvm's objects only: no terminal ioctl (TIOCSTI would type
 * into the user's shell), nothing on other descriptors.  Memory never
 * executable: the process runs no code it did not start with.  New threads
 * only (the vCPU threads of a sweep point), never a new process. */
static bool process_rules(scmp_filter_ctx ctx)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				SCMP_A1(SCMP_CMP_MASKED_EQ, IOCTL_TYPE_MASK, IOCTL_TYPE_KVM)) == 0 &&
	       seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) == 0 &&
	       seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) == 0 &&
	       seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)) == 0 &&
	       /* clone3 passes its flags in memory, out of a filter's sight: glibc
		* falls back to clone on ENOSYS. */
	       seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) == 0 &&
	       /* A vCPU thread adds its own filter: filters only ever narrow. */
	       seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(seccomp), 0) == 0 &&
	       seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				SCMP_A0(SCMP_CMP_EQ, PR_SET_NO_NEW_PRIVS)) == 0;
}

static bool load(scmp_filter_ctx ctx, bool all_threads, bool rules_ok, char *err, size_t errlen)
{
	int rc = rules_ok ? 0 : -EINVAL;
	/* No new privileges: required for an unprivileged filter, and right anyway. */
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	if (rc == 0 && all_threads)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0) {
		snprintf(err, errlen, "cannot install the seccomp filter: %s", strerror(rc < 0 ? -rc : EINVAL));
		return false;
	}
	return true;
}

bool confine_thread(char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx) {
		snprintf(err, errlen, "seccomp_init failed");
		return false;
	}
	bool ok = add_all(ctx, thread_allowed, sizeof(thread_allowed) / sizeof(thread_allowed[0]));
	return load(ctx, false, ok, err, errlen);
}

bool confine_process(bool serves_debugger, char *err, size_t errlen)
{
#ifdef __SANITIZE_ADDRESS__
	/* LeakSanitizer checks at exit from a ptrace'd helper process, which
	 * the filter refuses: the check runs now, over set-up, instead. */
	__lsan_do_leak_check();
#endif
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx) {
		snprintf(err, errlen, "seccomp_init failed");
		return false;
	}
	bool ok = add_all(ctx, process_allowed, sizeof(process_allowed) / sizeof(process_allowed[0])) &&
		  process_rules(ctx) &&
		  (!serves_debugger || add_all(ctx, debugger_allowed, sizeof(debugger_allowed) / sizeof(debugger_allowed[0])));
	return load(ctx, true, ok, err, errlen);
}

static void report(const char *who, const char *what, long rc, int saved_errno)
{
	if (rc >= 0)
		fprintf(stderr, "entrybox: confine selftest (%s): %s was allowed\n", who, what);
	else
		fprintf(stderr, "entrybox: confine selftest (%s): %s refused: %s\n", who, what, strerror(saved_errno));
}

static void try_execve(const char *who)
{
	/* A path that does not exist: unconfined, the answer is ENOENT and nothing runs. */
	char *const argv[] = { "/nonexistent/entrybox-confine-selftest", NULL };
	errno = 0;
	int rc = execve(argv[0], argv, NULL);
	report(who, "execve", rc, errno);
}

static void try_open(const char *who)
{
	errno = 0;
	int rc = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	int saved = errno;
	if (rc >= 0)
		close(rc);
	report(who, "open", rc, saved);
}

static void try_socket(const char *who)
{
	errno = 0;
	int rc = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int saved = errno;
	if (rc >= 0)
		close(rc);
	report(who, "socket", rc, saved);
}

static void try_terminal_ioctl(const char *who)
{
	int n = 0;
	errno = 0;
	int rc = ioctl(STDERR_FILENO, FIONREAD, &n);
	report(who, "ioctl FIONREAD", rc, errno);
}

static void try_exec_memory(const char *who)
{
	errno = 0;
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int saved = errno;
	if (p != MAP_FAILED)
		munmap(p, 4096);
	report(who, "mmap PROT_EXEC", p == MAP_FAILED ? -1 : 0, saved);
}

void confine_selftest(void)
{
	const char *flag = getenv("ENTRYBOX_CONFINE_SELFTEST");
	if (!flag || strcmp(flag, "1") != 0)
		return;
	const char *who = gettid() == getpid() ? "main thread" : "vCPU thread";
	try_execve(who);
	try_open(who);
	try_socket(who);
	if (gettid() == getpid()) {
		/* What only the process filter refuses (a vCPU thread has both). */
		try_terminal_ioctl(who);
		try_exec_memory(who);
	}
}
