/* SPDX-License-Identifier: MIT */
/* entrybox qemu: the same guest and command line under qemu-system-x86_64. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "cli/guest_image.h"
#include "gdb_args.h"
#include "engines/qemu.h"
#include "machine/loader.h"
#include "run_args.h"
#include "run_output.h"

static const char qemu_help[] =
	"usage: entrybox qemu [--entry M] [--pti on|off] [--pcid on|off] [--vcpus N] [--tasks N]\n"
	"                     [--scenario S] [--iters N] [--accel kvm|tcg] [--timeout S] [--guest ELF]\n"
	"                     [--json FILE|-] [--quiet|--verbose] [--gdb [HOST:]PORT [--gdb-wait]] [KEY=VALUE]...\n"
	"Boots the same guest under qemu-system-x86_64 (microvm). TCG (the default) is the reference CPU;\n"
	"KVM gives boot timing. QEMU runs no per-exit checks. $ENTRYBOX_QEMU overrides the QEMU binary.\n"
	"--gdb opens QEMU's own gdb stub there (PORT 0: a free port, said on stderr); --gdb-wait holds the\n"
	"guest before its first instruction.\n"
	"Exit status: 0 outcome as expected; 1 mismatch; 2 bad input; 3 no QEMU (or no /dev/kvm for kvm).\n";

static int boot(const struct run_args *a, const struct gdb_args *ga, const char *guest, const char *cmdline)
{
	char endpoint[96] = "";
	if (ga->on) {
		int rc = gdb_args_endpoint(&ga->cfg, endpoint, sizeof(endpoint));
		if (rc != 0)
			return rc;
	}
	struct run_result *r = calloc(1, sizeof(*r));
	if (!r)
		return cli_fail(EBX_STATUS_ENV, "out of memory");
	r->guest_exit_code = -1;
	struct qemu_config cfg = {
		.qemu_path = NULL,
		.guest_path = guest,
		.cmdline = cmdline,
		.accel = a->accel_kvm ? QEMU_ACCEL_KVM : QEMU_ACCEL_TCG,
		.vcpus = (unsigned)a->sel.vcpus,
		.timeout_seconds = a->opts.timeout,
		.echo_serial = a->opts.verbosity > 0,
		.gdb = ga->on ? endpoint : NULL,
		.gdb_wait = ga->cfg.wait,
	};
	enum ebx_status status = cli_status(qemu_run(&cfg, r));
	run_output_describe_panic(r, guest, "QEMU runs no per-exit checks");
	int rc = run_output_ran(r, status) ? run_output(&a->opts, &a->sel, r, status) : (int)status;
	free(r);
	return rc;
}

int cmd_qemu(int argc, char **argv)
{
	struct run_args a = { .with_accel = true, .help = qemu_help };
	struct gdb_args ga;
	int rc = gdb_args_extract(&argc, argv, &ga);
	if (rc != 0)
		return rc;
	rc = run_args_parse("qemu", argc, argv, &a);
	if (rc != 0)
		return rc == CLI_HELP_SHOWN ? EBX_STATUS_OK : rc;
	char cmdline[LOADER_CMDLINE_MAX];
	char guest[PATH_MAX];
	if ((rc = selection_cmdline(&a.sel, cmdline, sizeof(cmdline))) != 0 ||
	    (a.opts.json && (rc = cli_check_output_path("--json", a.opts.json)) != 0) ||
	    (rc = guest_image_resolve(a.opts.guest, guest, sizeof(guest))) != 0)
		return rc;
	if (a.opts.verbosity > 0)
		fprintf(stderr, "entrybox: guest %s, command line: %s\n", guest, cmdline);
	return boot(&a, &ga, guest, cmdline);
}
