/* SPDX-License-Identifier: MIT */
/*
 * Test hosts on this machine: each a network namespace of its own, reached
 * over a veth pair, with addresses in a /24 of 10.0.0.0/8 that nothing on
 * this machine uses.  A test starts what it wants inside (a private libvirtd,
 * libvirt_daemon.h) and talks to it over the network as to another machine.
 *
 * Everything is named after the test's PID and removed by name -- the
 * processes left in each namespace by PID (`ip netns pids`), the namespaces,
 * the links -- by test_hosts_destroy, and, should the test die before it
 * gets there, by a janitor process that waits for the test to end.
 */
#ifndef ENTRYBOX_TEST_HOSTS_H
#define ENTRYBOX_TEST_HOSTS_H

#include <stdbool.h>
#include <sys/types.h>

#define TEST_HOSTS_MAX  4
#define TEST_HOSTS_SKIP 77

struct test_host {
	char netns[24];           /* ebx<pid>h<i> */
	char link_here[16];       /* the veth end in this namespace */
	char link_there[16];      /* the end in the host's namespace */
	char addr_here[24];       /* 10.R.<i+1>.1: this machine as the host sees it */
	char addr_there[24];      /* 10.R.<i+1>.2: the host */
};

struct test_hosts {
	unsigned n;
	struct test_host host[TEST_HOSTS_MAX];
	pid_t janitor;
	int janitor_fd;           /* its end of life: closed, the janitor cleans up and exits */
	char why[256];
};

/* Creates n hosts.  Returns 0; TEST_HOSTS_SKIP when this machine cannot
 * (not root, no `ip`, no network namespaces); -1 when it failed.  `why`
 * says which.  Call test_hosts_destroy in every case. */
int test_hosts_create(struct test_hosts *h, unsigned n);

/* Kills what still runs in the namespaces (by PID), deletes the namespaces
 * and links (by name), waits for the janitor.  Idempotent. */
void test_hosts_destroy(struct test_hosts *h);

/* Whether anything this test created is still there (for the test of the cleanup). */
bool test_hosts_left_over(const struct test_hosts *h);

#endif
