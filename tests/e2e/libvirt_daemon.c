/* SPDX-License-Identifier: MIT */
/*
 * A private libvirtd + virtlogd.  A privileged libvirtd keeps its state in
 * fixed places (/etc/libvirt, /run/libvirt, /var/{lib,cache,log}/libvirt),
 * and the QEMU driver refuses to start unless the user "libvirt-qemu" exists
 * (Debian's libvirt-daemon-system would create it and start system services).
 * So a keeper process enters a new mount namespace, binds folders of our
 * temporary folder over those places (and a passwd/group with that user over
 * /etc/passwd and /etc/group), and starts both daemons inside.  Nothing of
 * it is visible outside the namespace; the client reaches libvirtd through a
 * socket in the temporary folder.
 *
 * The keeper is also the subreaper of everything below it: libvirt daemonizes
 * QEMU and then waits until the process is gone, so an init that reaps
 * orphans late would add seconds to every domain and every capability probe.
 */
#include "libvirt_daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define QEMU_USER_LINE  "libvirt-qemu:x:64055:64055:libvirt QEMU:/var/lib/libvirt:/usr/sbin/nologin\n"
#define QEMU_GROUP_LINE "libvirt-qemu:x:64055:\n"
#define SOCKET_WAIT_S   30.0
#define STOP_GRACE_S    15.0
#define TCP_PORT        16509

/* Private folder (relative to d->dir) -> the place libvirt expects it. */
static const struct {
	const char *sub, *target;
} binds[] = {
	{ "etc", "/etc/libvirt" },
	{ "run", "/run/libvirt" },
	{ "lib", "/var/lib/libvirt" },
	{ "cache", "/var/cache/libvirt" },
	{ "log", "/var/log/libvirt" },
};
#define NBINDS (sizeof(binds) / sizeof(binds[0]))

/* What the keeper tells the test once the daemons run (or why they do not). */
struct keeper_report {
	int status;               /* 0, LIBVIRT_DAEMON_SKIP or -1 */
	pid_t libvirtd, virtlogd;
	char why[200];
};

struct programs {
	char libvirtd[PATH_MAX], virtlogd[PATH_MAX];
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void say(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* ---- preparing the private folder --------------------------------------------------- */

static bool find_program(const char *name, char *out, size_t outlen)
{
	static const char *const dirs[] = { "/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/bin", "/bin" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(out, outlen, "%s/%s", dirs[i], name);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

static bool write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	bool ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok;
}

static bool write_path(const struct libvirt_daemons *d, const char *name, const char *text)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/%s", d->dir, name);
	return write_file(path, text);
}

/* A copy of /etc/<name> with `extra` appended unless the entry already exists. */
static bool copy_with_entry(const struct libvirt_daemons *d, const char *name, const char *extra, bool present)
{
	char src[64], dst[PATH_MAX + 32];
	snprintf(src, sizeof(src), "/etc/%s", name);
	snprintf(dst, sizeof(dst), "%s/%s", d->dir, name);
	FILE *in = fopen(src, "r"), *out = fopen(dst, "w");
	bool ok = in && out;
	char buf[4096];
	size_t n;
	while (ok && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		ok = fwrite(buf, 1, n, out) == n;
	if (ok && !present)
		ok = fputs(extra, out) >= 0;
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		ok = false;
	return ok;
}

static bool write_configs(const struct libvirt_daemons *d)
{
	char text[3 * PATH_MAX], tcp[256] = "listen_tcp = 0\n";
	/* The socket sits in our folder; no authentication on it: only root
	 * reaches it.  A test host also listens on plain TCP without
	 * authentication, on an address inside a network namespace the test
	 * made: nothing outside this machine can reach it. */
	if (d->place.listen_addr)
		snprintf(tcp, sizeof(tcp), "listen_tcp = 1\ntcp_port = \"%d\"\nlisten_addr = \"%s\"\nauth_tcp = \"none\"\n",
			 TCP_PORT, d->place.listen_addr);
	snprintf(text, sizeof(text),
		 "unix_sock_dir = \"%s/sock\"\nauth_unix_rw = \"none\"\nauth_unix_ro = \"none\"\n"
		 "listen_tls = 0\n%slog_outputs = \"3:file:%s/libvirtd.log\"\n", d->dir, tcp, d->dir);
	if (!write_path(d, "libvirtd.conf", text))
		return false;
	snprintf(text, sizeof(text), "log_outputs = \"3:file:%s/virtlogd.log\"\n", d->dir);
	if (!write_path(d, "virtlogd.conf", text))
		return false;
	/* QEMU runs as root so it can read the build tree's guest image as it is;
	 * no relabelling of that image, no security driver to configure.  No
	 * private /dev either: libvirt's copy lacks /dev/kvm where /dev is a
	 * devtmpfs of a nested VM (the SVM box). */
	if (!write_path(d, "etc/qemu.conf",
			"user = \"root\"\ngroup = \"root\"\ndynamic_ownership = 0\nsecurity_driver = \"none\"\n"
			"namespaces = []\n"))
		return false;
	bool have_user = getpwnam("libvirt-qemu") != NULL;
	return copy_with_entry(d, "passwd", QEMU_USER_LINE, have_user) &&
	       copy_with_entry(d, "group", QEMU_GROUP_LINE, have_user);
}

static bool make_folders(struct libvirt_daemons *d)
{
	char path[PATH_MAX + 32];
	static const char *const subs[] = { "sock", "etc", "run", "lib", "cache", "log" };
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", d->dir, subs[i]);
		if (mkdir(path, 0700) != 0)
			return false;
	}
	/* Bind mounts need their mount points; libvirtd would create them anyway. */
	for (size_t i = 0; i < NBINDS; i++) {
		if (mkdir(binds[i].target, 0755) == 0)
			d->made_dirs |= 1u << i;
		else if (errno != EEXIST)
			return false;
	}
	return true;
}

/* ---- the keeper ---------------------------------------------------------------------- */

static bool bind_over(const char *src, const char *target, char *why, size_t whylen)
{
	if (mount(src, target, NULL, MS_BIND, NULL) == 0)
		return true;
	say(why, whylen, "bind %s over %s: %s", src, target, strerror(errno));
	return false;
}

static bool enter_network_namespace(const char *name, struct keeper_report *rep)
{
	char path[128];
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
		say(rep->why, sizeof(rep->why), "cannot enter network namespace %s: %s", name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	close(fd);
	return true;
}

static bool enter_private_namespace(const struct libvirt_daemons *d, struct keeper_report *rep)
{
	if (d->place.netns && !enter_network_namespace(d->place.netns, rep))
		return false;
	if (unshare(CLONE_NEWNS) != 0) {
		rep->status = LIBVIRT_DAEMON_SKIP;
		say(rep->why, sizeof(rep->why), "no private mount namespace (unshare: %s)", strerror(errno));
		return false;
	}
	/* Our binds must not propagate back to the host's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		say(rep->why, sizeof(rep->why), "make / private: %s", strerror(errno));
		return false;
	}
	char src[PATH_MAX + 32];
	for (size_t i = 0; i < NBINDS; i++) {
		snprintf(src, sizeof(src), "%s/%s", d->dir, binds[i].sub);
		if (!bind_over(src, binds[i].target, rep->why, sizeof(rep->why)))
			return false;
	}
	snprintf(src, sizeof(src), "%s/passwd", d->dir);
	if (!bind_over(src, "/etc/passwd", rep->why, sizeof(rep->why)))
		return false;
	snprintf(src, sizeof(src), "%s/group", d->dir);
	if (!bind_over(src, "/etc/group", rep->why, sizeof(rep->why)))
		return false;
	if (d->place.hide_dir && mount("tmpfs", d->place.hide_dir, "tmpfs", MS_NODEV | MS_NOSUID, "size=64k") != 0) {
		say(rep->why, sizeof(rep->why), "hide %s: %s", d->place.hide_dir, strerror(errno));
		return false;
	}
	return true;
}

static pid_t spawn_daemon(const struct libvirt_daemons *d, const char *program, const char *name)
{
	char conf[PATH_MAX + 32], pidfile[PATH_MAX + 32], out[PATH_MAX + 32];
	snprintf(conf, sizeof(conf), "%s/%s.conf", d->dir, name);
	snprintf(pidfile, sizeof(pidfile), "%s/%s.pid", d->dir, name);
	snprintf(out, sizeof(out), "%s/%s.out", d->dir, name);
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* The daemons end with the keeper, whatever ends it. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	int null_fd = open("/dev/null", O_RDONLY);
	int out_fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (null_fd < 0 || out_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(126);
	if (d->place.listen_addr && strcmp(name, "libvirtd") == 0)
		execl(program, program, "-f", conf, "-p", pidfile, "--listen", (char *)NULL);
	else
		execl(program, program, "-f", conf, "-p", pidfile, (char *)NULL);
	_exit(127);
}

static bool wait_for_socket(const char *path, pid_t owner, double seconds)
{
	double end = now_seconds() + seconds;
	struct stat st;
	while (now_seconds() < end) {
		if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			return true;
		if (waitpid(owner, NULL, WNOHANG) == owner)
			return false;   /* it died before listening */
		usleep(20 * 1000);
	}
	return false;
}

static bool start_daemons(const struct libvirt_daemons *d, const struct programs *p, struct keeper_report *rep)
{
	rep->virtlogd = spawn_daemon(d, p->virtlogd, "virtlogd");
	if (rep->virtlogd < 0 || !wait_for_socket("/run/libvirt/virtlogd-sock", rep->virtlogd, SOCKET_WAIT_S)) {
		say(rep->why, sizeof(rep->why), "virtlogd did not start (see %s/virtlogd.out)", d->dir);
		return false;
	}
	rep->libvirtd = spawn_daemon(d, p->libvirtd, "libvirtd");
	if (rep->libvirtd < 0) {
		say(rep->why, sizeof(rep->why), "fork: %s", strerror(errno));
		return false;
	}
	return true;
}

/* Reaps every child and orphan until both daemons are gone. */
static void reap_until_daemons_exit(pid_t libvirtd, pid_t virtlogd)
{
	while (libvirtd > 0 || virtlogd > 0) {
		pid_t pid = waitpid(-1, NULL, 0);
		if (pid < 0 && errno == ECHILD)
			return;
		if (pid == libvirtd)
			libvirtd = 0;
		if (pid == virtlogd)
			virtlogd = 0;
	}
}

static void kill_daemons(const struct keeper_report *rep)
{
	if (rep->libvirtd > 0)
		kill(rep->libvirtd, SIGKILL);
	if (rep->virtlogd > 0)
		kill(rep->virtlogd, SIGKILL);
}

static __attribute__((noreturn)) void keeper_main(const struct libvirt_daemons *d, const struct programs *p,
						  pid_t test_pid, int report_fd)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != test_pid)
		_exit(1);   /* the test died before we could watch it */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	struct keeper_report rep = { .status = -1 };
	bool up = enter_private_namespace(d, &rep) && start_daemons(d, p, &rep);
	if (up)
		rep.status = 0;
	if (write(report_fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		up = false;
	close(report_fd);
	if (!up) {
		kill_daemons(&rep);
		_exit(1);
	}
	reap_until_daemons_exit(rep.libvirtd, rep.virtlogd);
	_exit(0);
}

/* ---- the test's side ----------------------------------------------------------------- */

static int prerequisites(struct libvirt_daemons *d, struct programs *p)
{
	if (geteuid() != 0) {
		say(d->why, sizeof(d->why), "a private libvirtd needs root");
		return LIBVIRT_DAEMON_SKIP;
	}
	if (!find_program("libvirtd", p->libvirtd, sizeof(p->libvirtd)) ||
	    !find_program("virtlogd", p->virtlogd, sizeof(p->virtlogd))) {
		say(d->why, sizeof(d->why), "libvirtd or virtlogd missing (install libvirt-daemon; tools/setup.sh does)");
		return LIBVIRT_DAEMON_SKIP;
	}
	char qemu[PATH_MAX];
	if (!find_program("qemu-system-x86_64", qemu, sizeof(qemu))) {
		say(d->why, sizeof(d->why), "qemu-system-x86_64 missing (install qemu-system-x86)");
		return LIBVIRT_DAEMON_SKIP;
	}
	return 0;
}

static int read_report(struct libvirt_daemons *d, int fd)
{
	struct keeper_report rep;
	ssize_t n;
	do
		n = read(fd, &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(rep)) {
		say(d->why, sizeof(d->why), "the daemon keeper died before reporting");
		return -1;
	}
	d->libvirtd = rep.libvirtd > 0 ? rep.libvirtd : 0;
	d->virtlogd = rep.virtlogd > 0 ? rep.virtlogd : 0;
	rep.why[sizeof(rep.why) - 1] = '\0';
	snprintf(d->why, sizeof(d->why), "%s", rep.why);
	return rep.status;
}

static int spawn_keeper(struct libvirt_daemons *d, const struct programs *p)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		say(d->why, sizeof(d->why), "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t test_pid = getpid();
	d->keeper = fork();
	if (d->keeper == 0) {
		close(fds[0]);
		keeper_main(d, p, test_pid, fds[1]);
	}
	close(fds[1]);
	if (d->keeper < 0) {
		d->keeper = 0;
		close(fds[0]);
		say(d->why, sizeof(d->why), "fork: %s", strerror(errno));
		return -1;
	}
	int rc = read_report(d, fds[0]);
	close(fds[0]);
	return rc;
}

int libvirt_daemons_start(struct libvirt_daemons *d)
{
	return libvirt_daemons_start_in(d, NULL);
}

int libvirt_daemons_start_in(struct libvirt_daemons *d, const struct libvirt_daemon_place *place)
{
	memset(d, 0, sizeof(*d));
	if (place)
		d->place = *place;
	if (d->place.listen_addr)
		snprintf(d->tcp_uri, sizeof(d->tcp_uri), "qemu+tcp://%s/system", d->place.listen_addr);
	struct programs p;
	int rc = prerequisites(d, &p);
	if (rc != 0)
		return rc;
	/* Inside the SVM box /tmp is the host's, shared over 9p, where a unix
	 * socket cannot be bound (ENXIO); the box's own /run is a local tmpfs. */
	const char *base = getenv("ENTRYBOX_IN_BOX") ? "/run" : "/tmp";
	snprintf(d->dir, sizeof(d->dir), "%s/entrybox-libvirt-XXXXXX", base);
	if (!mkdtemp(d->dir)) {
		say(d->why, sizeof(d->why), "mkdtemp: %s", strerror(errno));
		d->dir[0] = '\0';
		return -1;
	}
	if (!make_folders(d) || !write_configs(d)) {
		say(d->why, sizeof(d->why), "cannot prepare %s: %s", d->dir, strerror(errno));
		return -1;
	}
	snprintf(d->uri, sizeof(d->uri), "qemu:///system?socket=%s/sock/libvirt-sock", d->dir);
	if ((rc = spawn_keeper(d, &p)) != 0)
		return rc;
	char sock[PATH_MAX + 32];
	snprintf(sock, sizeof(sock), "%s/sock/libvirt-sock", d->dir);
	double end = now_seconds() + SOCKET_WAIT_S;
	struct stat st;
	while (stat(sock, &st) != 0 || !S_ISSOCK(st.st_mode)) {
		if (now_seconds() > end || kill(d->libvirtd, 0) != 0) {
			say(d->why, sizeof(d->why), "libvirtd did not listen on %s (see %s/libvirtd.log)", sock, d->dir);
			return -1;
		}
		usleep(20 * 1000);
	}
	return 0;
}

static bool keeper_gone(pid_t keeper, double seconds)
{
	double end = now_seconds() + seconds;
	do {
		pid_t rc = waitpid(keeper, NULL, WNOHANG);
		if (rc == keeper || (rc < 0 && errno == ECHILD))
			return true;
		usleep(20 * 1000);
	} while (now_seconds() < end);
	return false;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void libvirt_daemons_stop(struct libvirt_daemons *d)
{
	if (d->keeper > 0) {
		/* By PID only: the daemons are ours, nothing else of that name is. */
		if (d->libvirtd > 0)
			kill(d->libvirtd, SIGTERM);
		if (d->virtlogd > 0)
			kill(d->virtlogd, SIGTERM);
		if (!keeper_gone(d->keeper, STOP_GRACE_S)) {
			if (d->libvirtd > 0)
				kill(d->libvirtd, SIGKILL);
			if (d->virtlogd > 0)
				kill(d->virtlogd, SIGKILL);
			kill(d->keeper, SIGKILL);
			keeper_gone(d->keeper, STOP_GRACE_S);
		}
		d->keeper = d->libvirtd = d->virtlogd = 0;
	}
	if (d->dir[0] && getenv("ENTRYBOX_KEEP_LIBVIRT_DIR") == NULL)
		nftw(d->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	for (size_t i = 0; i < NBINDS; i++)
		if (d->made_dirs & (1u << i))
			rmdir(binds[i].target);
	d->made_dirs = 0;
}
