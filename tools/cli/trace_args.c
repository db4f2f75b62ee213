/* SPDX-License-Identifier: MIT */
#include "trace_args.h"

#include <string.h>

#include "cli/cli_common.h"

enum vmm_opt {
	VOPT_NONE, VOPT_TRACE, VOPT_TRACE_PATH, VOPT_TRACE_BARE, VOPT_TRACE_TRIPS, VOPT_TRACE_MAX_STEPS,
	VOPT_TRACE_DROP_STEP, VOPT_NO_CONFINE,
};

static const struct {
	const char *name;
	enum vmm_opt id;
	bool takes_value;
} vmm_options[] = {
	{ "--trace", VOPT_TRACE, true },
	{ "--trace-path", VOPT_TRACE_PATH, true },
	{ "--trace-bare", VOPT_TRACE_BARE, true },
	{ "--trace-trips", VOPT_TRACE_TRIPS, true },
	{ "--trace-max-steps", VOPT_TRACE_MAX_STEPS, true },
	{ "--trace-drop-step", VOPT_TRACE_DROP_STEP, true },
	{ "--no-confine", VOPT_NO_CONFINE, false },
};

/* Matches "--name" or "--name=value"; *inline_value points after '='. */
static enum vmm_opt match(const char *arg, bool *takes_value, const char **inline_value)
{
	*inline_value = NULL;
	for (size_t i = 0; i < sizeof(vmm_options) / sizeof(vmm_options[0]); i++) {
		size_t n = strlen(vmm_options[i].name);
		if (strncmp(arg, vmm_options[i].name, n) != 0)
			continue;
		if (arg[n] == '=' && vmm_options[i].takes_value)
			*inline_value = arg + n + 1;
		else if (arg[n] != '\0')
			continue;
		*takes_value = vmm_options[i].takes_value;
		return vmm_options[i].id;
	}
	return VOPT_NONE;
}

static int apply(struct vmm_args *out, enum vmm_opt id, const char *value)
{
	unsigned long n = 0;
	switch (id) {
	case VOPT_TRACE:
		if (value[0] == '\0')
			return cli_fail(EBX_STATUS_USAGE, "--trace needs a file name");
		out->trace.file = value;
		out->tracing = true;
		return 0;
	case VOPT_TRACE_PATH:
		if (!trace_path_parse(value, &out->trace.path, &out->trace.occurrence))
			return cli_fail(EBX_STATUS_USAGE,
					"--trace-path takes syscall[:N], null-syscall[:N] or user-fault[:N], not '%s'", value);
		return 0;
	case VOPT_TRACE_BARE:
		if (!cli_parse_uint("--trace-bare", value, 0, 100000, &n))
			return EBX_STATUS_USAGE;
		out->trace.bare_round_trips = (unsigned)n;
		return 0;
	case VOPT_TRACE_TRIPS:
		if (!cli_parse_uint("--trace-trips", value, 1, TRACE_MAX_TRIPS, &n))
			return EBX_STATUS_USAGE;
		out->trace.trips = (unsigned)n;
		return 0;
	case VOPT_TRACE_MAX_STEPS:
		if (!cli_parse_uint("--trace-max-steps", value, 1, TRACE_MAX_MAX_STEPS, &n))
			return EBX_STATUS_USAGE;
		out->trace.max_steps = n;
		return 0;
	case VOPT_TRACE_DROP_STEP:
		if (!cli_parse_uint("--trace-drop-step", value, 1, TRACE_MAX_MAX_STEPS, &n))
			return EBX_STATUS_USAGE;
		out->trace.drop_step = n;
		return 0;
	case VOPT_NO_CONFINE:
		out->no_confine = true;
		return 0;
	default:
		return cli_fail(EBX_STATUS_USAGE, "internal: unhandled option %d", (int)id);
	}
}

int vmm_args_extract(int *argc, char **argv, struct vmm_args *out)
{
	memset(out, 0, sizeof(*out));
	out->trace.path = TRACE_PATH_SYSCALL;
	out->trace.occurrence = 1;
	out->trace.bare_round_trips = TRACE_DEFAULT_BARE_ROUND_TRIPS;
	out->trace.trips = 1;
	out->trace.max_steps = TRACE_DEFAULT_MAX_STEPS;
	int kept = 1;
	bool path_or_bare = false;
	for (int i = 1; i < *argc; i++) {
		/* Everything after "--" belongs to the shared parser as it is. */
		if (strcmp(argv[i], "--") == 0) {
			while (i < *argc)
				argv[kept++] = argv[i++];
			break;
		}
		bool takes_value = false;
		const char *value = NULL;
		enum vmm_opt id = match(argv[i], &takes_value, &value);
		if (id == VOPT_NONE) {
			argv[kept++] = argv[i];
			continue;
		}
		if (takes_value && !value) {
			if (i + 1 >= *argc)
				return cli_fail(EBX_STATUS_USAGE, "%s needs a value", argv[i]);
			value = argv[++i];
		}
		path_or_bare |= id != VOPT_TRACE && id != VOPT_NO_CONFINE;
		int rc = apply(out, id, value);
		if (rc != 0)
			return rc;
	}
	argv[kept] = NULL;
	*argc = kept;
	if (path_or_bare && !out->tracing)
		return cli_fail(EBX_STATUS_USAGE, "--trace-path, --trace-bare, --trace-trips, --trace-max-steps and "
						  "--trace-drop-step need --trace FILE");
	return 0;
}
