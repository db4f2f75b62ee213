/* SPDX-License-Identifier: MIT */
/* entrybox run: the guest under our own VMM, checked at every exit. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "guest_image.h"
#include "loader.h"
#include "run_args.h"
#include "run_output.h"
#include "vm.h"

static const char run_help[] =
	"usage: entrybox run [--entry M] [--pti on|off] [--pcid on|off] [--vcpus N] [--tasks N]\n"
	"                    [--scenario S] [--iters N] [--timeout S] [--guest ELF] [--json FILE|-]\n"
	"                    [--quiet|--verbose] [KEY=VALUE]...\n"
	"Boots the guest under entrybox's VMM on /dev/kvm and checks every rule at every exit.\n"
	"KEY=VALUE arguments go to the guest command line as they are. Models and scenarios: entrybox list.\n"
	"Exit status: 0 outcome as expected, no violation; 1 mismatch or violation; 2 bad input; 3 no KVM.\n";

static int check_kvm(void)
{
	if (access("/dev/kvm", R_OK | W_OK) == 0)
		return 0;
	return cli_fail(EBX_STATUS_ENV, "/dev/kvm is not usable (%s): run needs KVM; 'entrybox qemu' runs without it",
			strerror(errno));
}

static int boot(const struct run_args *a, const char *guest, const char *cmdline)
{
	struct run_result *r = calloc(1, sizeof(*r));
	if (!r)
		return cli_fail(EBX_STATUS_ENV, "out of memory");
	r->guest_exit_code = -1;
	struct vm_config cfg = {
		.guest_path = guest,
		.cmdline = cmdline,
		.vcpus = (unsigned)a->sel.vcpus,
		.timeout_seconds = a->opts.timeout,
		.ram_bytes = 0,
		.echo_serial = a->opts.verbosity > 0,
	};
	enum ebx_status status = vm_run(&cfg, r);
	int rc = run_output_ran(r, status) ? run_output(&a->opts, &a->sel, r, status) : (int)status;
	free(r);
	return rc;
}

int cmd_run(int argc, char **argv)
{
	struct run_args a = { .with_accel = false, .help = run_help };
	int rc = run_args_parse("run", argc, argv, &a);
	if (rc != 0)
		return rc == CLI_HELP_SHOWN ? EBX_STATUS_OK : rc;
	char cmdline[LOADER_CMDLINE_MAX];
	char guest[PATH_MAX];
	if ((rc = selection_cmdline(&a.sel, cmdline, sizeof(cmdline))) != 0 ||
	    (rc = guest_image_resolve(a.opts.guest, guest, sizeof(guest))) != 0 || (rc = check_kvm()) != 0)
		return rc;
	if (a.opts.verbosity > 0)
		fprintf(stderr, "entrybox: guest %s, command line: %s\n", guest, cmdline);
	return boot(&a, guest, cmdline);
}
