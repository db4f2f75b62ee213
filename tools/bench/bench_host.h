/* SPDX-License-Identifier: MIT */
/* The host's own system call round trip: the reference every guest figure
 * is compared with. */
#ifndef ENTRYBOX_BENCH_HOST_H
#define ENTRYBOX_BENCH_HOST_H

#include <stdint.h>

/* Nanoseconds per syscall(SYS_getppid) over `calls` calls. */
double bench_host_getppid_ns(uint64_t calls);

#endif
