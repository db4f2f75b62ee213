/* SPDX-License-Identifier: MIT */
#include "cli/cli_common.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_fail(int status, const char *fmt, ...)
{
	va_list ap;
	fputs("entrybox: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

bool cli_parse_uint(const char *flag, const char *text, unsigned long min, unsigned long max,
		    unsigned long *out)
{
	/* strtoul accepts signs and blanks; a count given as "-1" or " 3" is a typo. */
	bool digits = text[0] != '\0';
	for (const char *p = text; *p; p++)
		digits = digits && isdigit((unsigned char)*p);
	errno = 0;
	unsigned long v = digits ? strtoul(text, NULL, 10) : 0;
	if (!digits || errno == ERANGE || v < min || v > max) {
		cli_fail(EBX_STATUS_USAGE, "%s takes a number from %lu to %lu, not '%s'", flag, min, max, text);
		return false;
	}
	*out = v;
	return true;
}

bool cli_parse_seconds(const char *flag, const char *text, double max, double *out)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(text, &end);
	bool shape = text[0] != '\0' && isdigit((unsigned char)text[0]) && end && *end == '\0';
	if (!shape || errno == ERANGE || !isfinite(v) || v <= 0 || v > max) {
		cli_fail(EBX_STATUS_USAGE, "%s takes seconds (more than 0, at most %.0f), not '%s'", flag, max,
			 text);
		return false;
	}
	*out = v;
	return true;
}

bool cli_parse_on_off(const char *flag, const char *text, bool *out)
{
	if (strcmp(text, "on") == 0 || strcmp(text, "off") == 0) {
		*out = strcmp(text, "on") == 0;
		return true;
	}
	cli_fail(EBX_STATUS_USAGE, "%s takes on or off, not '%s'", flag, text);
	return false;
}

/* One hour: longer than any scenario needs even with ring 0 emulated. */
#define RUN_TIMEOUT_MAX 3600.0

int cli_check_output_path(const char *flag, const char *path)
{
	struct stat st;
	char dir[PATH_MAX];

	if (strcmp(path, "-") == 0)
		return 0;
	if (path[0] == '\0')
		return cli_fail(EBX_STATUS_USAGE, "%s needs a file name", flag);
	if (strlen(path) >= sizeof(dir))
		return cli_fail(EBX_STATUS_USAGE, "%s %s: path too long", flag, path);
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return cli_fail(EBX_STATUS_USAGE, "%s %s: folder %s does not exist", flag, path, dir);
	if (access(dir, W_OK | X_OK) != 0)
		return cli_fail(EBX_STATUS_USAGE, "%s %s: cannot write in %s: %s", flag, path, dir, strerror(errno));
	if (stat(path, &st) == 0 && (!S_ISREG(st.st_mode) || access(path, W_OK) != 0))
		return cli_fail(EBX_STATUS_USAGE, "%s %s: %s", flag, path,
				S_ISREG(st.st_mode) ? strerror(errno) : "not a regular file");
	return 0;
}

int run_options_apply(struct run_options *o, int opt, const char *arg)
{
	switch (opt) {
	case OPT_TIMEOUT:
		return cli_parse_seconds("--timeout", arg, RUN_TIMEOUT_MAX, &o->timeout) ? 0 : EBX_STATUS_USAGE;
	case OPT_GUEST:
		o->guest = arg;
		return 0;
	case OPT_JSON:
		o->json = arg;
		return 0;
	case OPT_QUIET:
		o->verbosity = -1;
		return 0;
	case OPT_VERBOSE:
		o->verbosity = 1;
		return 0;
	default:
		return 1;
	}
}

/* The option as the user typed it, for the error line. */
static const char *offending(char **argv, int at)
{
	return at >= 1 ? argv[at] : "?";
}

static int option_error(const char *cmd, int c, char **argv)
{
	const char *arg = offending(argv, optind - 1);
	if (c == ':')
		return cli_fail(EBX_STATUS_USAGE, "%s: option '%s' needs a value", cmd, arg);
	if (optopt > 0 && optopt < 0x100)
		return cli_fail(EBX_STATUS_USAGE, "%s: unknown option '-%c' (see entrybox %s --help)", cmd, optopt,
				cmd);
	return cli_fail(EBX_STATUS_USAGE, "%s: unknown option '%s' (see entrybox %s --help)", cmd, arg, cmd);
}

int cli_parse(const char *cmd, int argc, char **argv, const struct option *longopts, cli_handler handle,
	      void *ctx)
{
	opterr = 0;
	optind = 1;
	int c;
	/* Leading ':' makes a missing value distinguishable from an unknown option. */
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == '?' || c == ':')
			return option_error(cmd, c, argv);
		int rc = handle(ctx, c, optarg);
		if (rc != 0)
			return rc;
	}
	for (int i = optind; i < argc; i++) {
		int rc = handle(ctx, 0, argv[i]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

#ifndef EBX_TOOLS_DIR
#error "EBX_TOOLS_DIR: the source tree's tools/ folder, set by meson"
#endif

const char *cli_svm_box_script(void)
{
	const char *env = getenv("ENTRYBOX_SVM_BOX");
	return env && env[0] ? env : EBX_TOOLS_DIR "/svm-box.sh";
}

int cli_require_kvm(const char *command, const char *alternative)
{
	if (access("/dev/kvm", R_OK | W_OK) == 0)
		return 0;
	return cli_fail(EBX_STATUS_ENV, "%s: /dev/kvm is not usable (%s); this machine has no KVM of its own: run it in the "
			"SVM box, %s ENTRYBOX-COMMAND...%s%s", command, strerror(errno), cli_svm_box_script(),
			alternative ? ", or " : "", alternative ? alternative : "");
}
