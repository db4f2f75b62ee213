/* SPDX-License-Identifier: MIT */
/* A listening TCP socket on a port the kernel picks: where a hypervisor on
 * another host (or this one) sends the guest's serial console. */
#ifndef ENTRYBOX_TCP_LISTEN_H
#define ENTRYBOX_TCP_LISTEN_H

#include <stddef.h>

/* Listens on `host` (an address or name of this machine), port chosen by the
 * kernel, non-blocking and close-on-exec.  Returns the fd and the port, or
 * -1 with one line in err. */
int tcp_listen_any_port(const char *host, unsigned *port, char *err, size_t errlen);

#endif
