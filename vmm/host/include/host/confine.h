/* SPDX-License-Identifier: MIT */
/*
 * seccomp confinement of the threads that handle a guest.  Each vCPU thread
 * confines itself before its first KVM_RUN, after set-up is complete (guest
 * loaded, vCPUs created, trace file and symbols opened): from then on it may
 * only run the guest, read and write descriptors it already has, and manage
 * memory, locks and signals.  Anything else -- opening files, exec, sockets,
 * ptrace -- fails with EPERM.
 *
 * EPERM rather than killing the process: whatever is refused has already
 * been prevented, and a refused call on a rare path (libdw loading line
 * tables, a sanitizer runtime) then ends as a reported error with the run's
 * result intact instead of a SIGSYS that loses it.
 */
#ifndef ENTRYBOX_CONFINE_H
#define ENTRYBOX_CONFINE_H

#include <stdbool.h>
#include <stddef.h>

/* Installs the filter on the calling thread.  False with a reason in err. */
bool confine_thread(char *err, size_t errlen);
/* The same for the gdb stub's connection thread, which also waits on, accepts,
 * receives from the sockets it was given (poll, accept4, setsockopt,
 * recvfrom) and closes them; it writes with write(2) like a vCPU thread. */
bool confine_debugger_thread(char *err, size_t errlen);

/* With ENTRYBOX_CONFINE_SELFTEST=1 in the environment: tries an execve and an
 * open that confinement must refuse and prints one line about each to stderr. */
void confine_selftest(void);

#endif
