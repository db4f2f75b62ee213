/* SPDX-License-Identifier: MIT */
#include "gdb_args.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/cli_common.h"

int gdb_args_extract(int *argc, char **argv, struct gdb_args *out)
{
	memset(out, 0, sizeof(*out));
	bool wait = false;
	int w = 1, i = 1;
	while (i < *argc && strcmp(argv[i], "--") != 0) {
		const char *value = NULL;
		int used = 1;
		if (strcmp(argv[i], "--gdb-wait") == 0) {
			wait = true;
		} else if (strncmp(argv[i], "--gdb=", 6) == 0) {
			value = argv[i] + 6;
		} else if (strcmp(argv[i], "--gdb") == 0) {
			if (i + 1 >= *argc)
				return cli_fail(EBX_STATUS_USAGE, "--gdb needs [HOST:]PORT");
			value = argv[i + 1];
			used = 2;
		} else {
			argv[w++] = argv[i++];
			continue;
		}
		if (value) {
			char err[200];
			if (!gdb_config_parse(value, &out->cfg, err, sizeof(err)))
				return cli_fail(EBX_STATUS_USAGE, "%s", err);
			out->on = true;
		}
		i += used;
	}
	while (i < *argc)   /* whatever follows "--" stays as it is */
		argv[w++] = argv[i++];
	argv[w] = NULL;
	*argc = w;
	if (wait && !out->on)
		return cli_fail(EBX_STATUS_USAGE, "--gdb-wait needs --gdb [HOST:]PORT");
	out->cfg.wait = wait;
	/* Where a gdb round trip goes, for whoever tunes the stub. */
	const char *profile = getenv("ENTRYBOX_GDB_PROFILE");
	out->cfg.profile = profile && strcmp(profile, "1") == 0;
	return 0;
}

/* A port nobody holds right now: bound, read back, released. */
static int free_port(const char *host, uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ok = fd >= 0 && inet_pton(AF_INET, host, &sa.sin_addr) == 1 &&
		 bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && getsockname(fd, (struct sockaddr *)&sa, &len) == 0;
	int saved = errno;
	if (fd >= 0)
		close(fd);
	if (!ok)
		return cli_fail(EBX_STATUS_ENV, "--gdb %s: no free port: %s", host, strerror(saved));
	*port = ntohs(sa.sin_port);
	return 0;
}

int gdb_args_endpoint(const struct gdb_config *cfg, char *out, size_t len)
{
	uint16_t port = cfg->port;
	if (port == 0) {
		int rc = free_port(cfg->host, &port);
		if (rc != 0)
			return rc;
	}
	snprintf(out, len, "tcp:%s:%u", cfg->host, port);
	fprintf(stderr, "entrybox: gdb: listening on %s:%u (QEMU's stub%s)\n", cfg->host, port,
		cfg->wait ? "; the VM waits before its first instruction" : "");
	return 0;
}
