/* SPDX-License-Identifier: MIT */
#include "gdb_args.h"

#include <string.h>

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
	return 0;
}
