/* SPDX-License-Identifier: MIT */
/* A private libvirtd + virtlogd for tests: everything they write lives in one
 * temporary folder, seen through a private mount namespace, so they neither
 * need nor touch a system libvirt installation. */
#ifndef ENTRYBOX_LIBVIRT_DAEMON_H
#define ENTRYBOX_LIBVIRT_DAEMON_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#define LIBVIRT_DAEMON_SKIP 77   /* meson's "skipped" exit status */

/* Where the daemons run, for a test host of their own (NULL fields: as here). */
struct libvirt_daemon_place {
	const char *netns;        /* a network namespace (`ip netns` name) to run in */
	const char *listen_addr;  /* libvirtd also listens on TCP there (port 16509, no authentication) */
	const char *hide_dir;     /* an empty tmpfs over this folder: the host does not see what is in it */
};

struct libvirt_daemons {
	char dir[PATH_MAX];       /* the private folder (removed by stop) */
	char uri[PATH_MAX + 64];  /* qemu:///system?socket=<dir>/sock/libvirt-sock */
	char tcp_uri[96];         /* qemu+tcp://<listen_addr>/system, "" without listen_addr */
	struct libvirt_daemon_place place;
	pid_t keeper;             /* holds the namespace and reaps every orphan in it */
	pid_t libvirtd, virtlogd;
	unsigned made_dirs;       /* mount points we had to create on the host, one bit each */
	char why[256];            /* the reason start did not succeed */
};

/* Starts both daemons and waits for libvirtd's socket.  Returns 0;
 * LIBVIRT_DAEMON_SKIP when this machine cannot run them (not root, packages
 * missing, no mount namespaces); or -1 when they were there but failed.  `why`
 * says which.  Call libvirt_daemons_stop in every case. */
int libvirt_daemons_start(struct libvirt_daemons *d);
/* The same in a place of their own (place may be NULL; its strings must outlive d). */
int libvirt_daemons_start_in(struct libvirt_daemons *d, const struct libvirt_daemon_place *place);

/* Stops both daemons by PID (SIGTERM, then SIGKILL after a grace period),
 * waits for the keeper and removes the private folder (kept, with the
 * daemons' logs, when $ENTRYBOX_KEEP_LIBVIRT_DIR is set). */
void libvirt_daemons_stop(struct libvirt_daemons *d);

#endif
