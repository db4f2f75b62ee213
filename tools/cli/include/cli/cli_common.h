/* SPDX-License-Identifier: MIT */
/* What every entrybox subcommand shares: one-line errors, value parsing, and
 * the getopt_long loop with the exit statuses of docs/design.md §8. */
#ifndef ENTRYBOX_CLI_COMMON_H
#define ENTRYBOX_CLI_COMMON_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli/status.h"

/* Long-option ids (above any short option character). */
enum cli_opt {
	OPT_ENTRY = 0x100, OPT_PTI, OPT_PCID, OPT_VCPUS, OPT_TASKS, OPT_SCENARIO, OPT_ITERS,
	OPT_TIMEOUT, OPT_GUEST, OPT_JSON, OPT_QUIET, OPT_VERBOSE, OPT_ACCEL, OPT_HELP,
};

/* Returned by parsers when --help was printed: exit 0 without running. */
#define CLI_HELP_SHOWN (-1)

/* Prints "entrybox: <message>" as one line on stderr and returns status. */
int cli_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 0 when /dev/kvm can be opened; else one line that names the SVM box (a
 * real KVM nested in QEMU, tools/svm-box.sh) and `alternative`, and
 * EBX_STATUS_ENV.  `command` is the entrybox command asking. */
int cli_require_kvm(const char *command, const char *alternative);
/* Where tools/svm-box.sh is: $ENTRYBOX_SVM_BOX, else the source tree's. */
const char *cli_svm_box_script(void);

/* Strict decimal in [min, max]; otherwise one error line naming `flag`, returns false. */
bool cli_parse_uint(const char *flag, const char *text, unsigned long min, unsigned long max,
		    unsigned long *out);
/* Seconds as a positive decimal (fractions allowed) up to max. */
bool cli_parse_seconds(const char *flag, const char *text, double max, double *out);
bool cli_parse_on_off(const char *flag, const char *text, bool *out);

/* Options of a run on any engine, beyond the guest selection. */
struct run_options {
	const char *guest;        /* --guest, NULL = default image */
	const char *json;         /* --json FILE or "-", NULL = none */
	FILE *json_stream;        /* FILE opened before the run (a confined run opens nothing), or NULL */
	double timeout;           /* --timeout, 0 = engine default */
	int verbosity;            /* -1 --quiet, 0 default, 1 --verbose */
};

#define RUN_LONG_OPTIONS \
	{ "timeout", required_argument, NULL, OPT_TIMEOUT }, \
	{ "guest", required_argument, NULL, OPT_GUEST }, \
	{ "json", required_argument, NULL, OPT_JSON }, \
	{ "quiet", no_argument, NULL, OPT_QUIET }, \
	{ "verbose", no_argument, NULL, OPT_VERBOSE }, \
	{ "help", no_argument, NULL, OPT_HELP }

/* A file the run will write (--json FILE, --trace FILE): 0 when it can be
 * written -- its folder exists and is writable, and the file, if there, is a
 * writable regular file -- else EBX_STATUS_USAGE after one line naming flag.
 * Checked before the run, so a long run does not end in an unwritable path.
 * "-" (stdout) passes. */
int cli_check_output_path(const char *flag, const char *path);

/* Applies one run option: 0 done, EBX_STATUS_USAGE after an error line, 1 not a run option. */
int run_options_apply(struct run_options *o, int opt, const char *arg);

/* One parser callback per subcommand: handles an option id (returning 0, a
 * status after an error line, or CLI_HELP_SHOWN) or a positional argument
 * (opt == 0). */
typedef int (*cli_handler)(void *ctx, int opt, const char *arg);

/* Runs getopt_long over argv (argv[0] is the subcommand name); unknown options
 * and missing values are usage errors with one line on stderr. */
int cli_parse(const char *cmd, int argc, char **argv, const struct option *longopts, cli_handler handle,
	      void *ctx);

#endif
