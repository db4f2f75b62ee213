/* SPDX-License-Identifier: MIT */
#include "inject_args.h"

#include <string.h>

#include "cli/cli_common.h"

/* "--flag VALUE" or "--flag=VALUE": the value, and how many argv slots it took. */
static const char *value_of(int argc, char **argv, int i, const char *flag, int *used)
{
	size_t len = strlen(flag);
	if (strncmp(argv[i], flag, len) != 0)
		return NULL;
	if (argv[i][len] == '=') {
		*used = 1;
		return argv[i] + len + 1;
	}
	if (argv[i][len] != '\0')
		return NULL;
	*used = 2;
	return i + 1 < argc ? argv[i + 1] : "";
}

static int add_spec(struct inject_args *out, const char *text)
{
	char err[256];
	if (out->n >= INJECT_ARGS_MAX)
		return cli_fail(EBX_STATUS_USAGE, "at most %d --inject per run", INJECT_ARGS_MAX);
	if (!inject_spec_parse(text, &out->specs[out->n], err, sizeof(err)))
		return cli_fail(EBX_STATUS_USAGE, "%s", err);
	for (size_t i = 0; i < out->n; i++)
		if (inject_spec_is_sweep(&out->specs[i]) && inject_spec_is_sweep(&out->specs[out->n]))
			return cli_fail(EBX_STATUS_USAGE, "--inject %s: one @each: sweep per run", text);
	out->n++;
	return 0;
}

int inject_args_extract(int *argc, char **argv, struct inject_args *out)
{
	memset(out, 0, sizeof(*out));
	int w = 1, i = 1;
	bool mode_given = false;
	while (i < *argc && strcmp(argv[i], "--") != 0) {
		int used = 0;
		const char *v;
		if ((v = value_of(*argc, argv, i, "--inject", &used))) {
			int rc = add_spec(out, v);
			if (rc)
				return rc;
		} else if ((v = value_of(*argc, argv, i, "--sweep-mode", &used))) {
			if (strcmp(v, "snapshot") != 0 && strcmp(v, "reboot") != 0)
				return cli_fail(EBX_STATUS_USAGE, "--sweep-mode takes snapshot or reboot, not '%s'", v);
			out->sweep_reboot = strcmp(v, "reboot") == 0;
			mode_given = true;
		} else if ((v = value_of(*argc, argv, i, "--sweep-horizon", &used))) {
			if (strcmp(v, "return") != 0 && strcmp(v, "end") != 0)
				return cli_fail(EBX_STATUS_USAGE, "--sweep-horizon takes return or end, not '%s'", v);
			out->sweep_to_end = strcmp(v, "end") == 0;
			mode_given = true;
		} else {
			argv[w++] = argv[i++];
			continue;
		}
		i += used;
	}
	while (i < *argc)   /* whatever follows "--" stays as it is */
		argv[w++] = argv[i++];
	argv[w] = NULL;
	*argc = w;
	bool any_sweep = false;
	for (size_t k = 0; k < out->n; k++)
		any_sweep |= inject_spec_is_sweep(&out->specs[k]);
	if (mode_given && !any_sweep)
		return cli_fail(EBX_STATUS_USAGE, "--sweep-mode and --sweep-horizon need an --inject KIND@each:PATH");
	return 0;
}
