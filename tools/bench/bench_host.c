/* SPDX-License-Identifier: MIT */
#include "bench_host.h"

#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

double bench_host_getppid_ns(uint64_t calls)
{
	if (calls == 0)
		return 0;
	/* syscall() and not getppid(): the C library must not answer from a cache. */
	double t0 = now_ns();
	for (uint64_t i = 0; i < calls; i++)
		syscall(SYS_getppid);
	return (now_ns() - t0) / (double)calls;
}
