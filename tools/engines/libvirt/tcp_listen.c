/* SPDX-License-Identifier: MIT */
#include "tcp_listen.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int listen_on(const struct addrinfo *ai, unsigned *port)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -1;
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	/* One peer is expected: the hypervisor's serial port. */
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	*port = sa.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&sa)->sin6_port)
					 : ntohs(((struct sockaddr_in *)&sa)->sin_port);
	return fd;
}

int tcp_listen_any_port(const char *host, unsigned *port, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *list = NULL;
	int rc = getaddrinfo(host, "0", &hints, &list);
	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
		return -1;
	}
	int fd = -1;
	for (const struct addrinfo *ai = list; ai && fd < 0; ai = ai->ai_next)
		fd = listen_on(ai, port);
	if (fd < 0)
		snprintf(err, errlen, "cannot listen on %s: %s", host, strerror(errno));
	freeaddrinfo(list);
	return fd;
}
