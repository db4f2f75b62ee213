/* SPDX-License-Identifier: MIT */
/*
 * seccomp confinement of the VMM.  A run confines the whole process once
 * set-up is complete (guest loaded, VM and vCPUs created, the trace file,
 * the symbols and the JSON output opened): from then on, in every thread,
 * it may only run the guest through ioctls on /dev/kvm's objects, read and
 * write descriptors it already has, start threads (the vCPUs), and manage
 * memory that is never executable, locks and signals.  Each vCPU thread
 * confines itself further before its first KVM_RUN.  Anything else --
 * opening files, exec, a new process, sockets, terminal ioctls, ptrace --
 * fails with EPERM.
 *
 * EPERM rather than killing the process: whatever is refused has already
 * been prevented, and a refused call on a rare path (libdw loading line
 * tables, a sanitizer runtime) then ends as a reported error with the run's
 * result intact instead of a SIGSYS that loses it.
 *
 * Under AddressSanitizer the leak check that would run at exit needs ptrace
 * and a helper process; confine_process() runs it at confinement instead.
 */
#ifndef ENTRYBOX_CONFINE_H
#define ENTRYBOX_CONFINE_H

#include <stdbool.h>
#include <stddef.h>

/* Installs the vCPU thread's filter on the calling thread.  False with a reason in err. */
bool confine_thread(char *err, size_t errlen);

/* Installs the process filter on every thread of the process, and on every
 * thread it starts later; with serves_debugger also what the gdb stub's
 * connection thread does with the sockets it bound before (poll, accept4,
 * setsockopt, a non-blocking recvfrom).  False with a reason in err. */
bool confine_process(bool serves_debugger, char *err, size_t errlen);

/* With ENTRYBOX_CONFINE_SELFTEST=1 in the environment: tries calls that
 * confinement must refuse (execve, open, socket; from the main thread also a
 * terminal ioctl and executable memory) and prints one line about each to
 * stderr, naming the thread. */
void confine_selftest(void);

#endif
