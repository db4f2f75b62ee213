/* SPDX-License-Identifier: MIT */
/* entrybox run: the guest under our own VMM, checked at every exit. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/guest_image.h"
#include "gdb_args.h"

/* A run under gdb ends when its user says so. */
#define GDB_NO_TIME_LIMIT_S (100.0 * 365 * 24 * 3600)
#include "inject_args.h"
#include "machine/loader.h"
#include "run/vm.h"
#include "run_args.h"
#include "run_output.h"
#include "trace_args.h"

static const char run_help[] =
	"usage: entrybox run [--entry M] [--pti on|off] [--pcid on|off] [--vcpus N] [--tasks N]\n"
	"                    [--scenario S] [--iters N] [--timeout S] [--guest ELF] [--json FILE|-]\n"
	"                    [--quiet|--verbose] [--trace FILE [--trace-path syscall|user-fault[:N]]\n"
	"                    [--trace-bare N]] [--no-confine] [--inject SPEC]... [--sweep-mode snapshot|reboot]\n"
	"                    [--sweep-horizon return|end] [--gdb [HOST:]PORT [--gdb-wait]]\n"
	"                    [KEY=VALUE]...\n"
	"Boots the guest under entrybox's VMM on /dev/kvm and checks every rule at every exit.\n"
	"--trace single-steps one entry path (default: the first SYSCALL round trip) and writes one\n"
	"JSON line per instruction plus a summary; --trace-bare N steps N more round trips without\n"
	"rules to compare the stepping rate (default 16). --no-confine skips the seccomp filter.\n"
	"--inject delivers an event at an instruction or sweeps a path (grammar: entrybox list).\n"
	"--gdb serves gdb's remote protocol on HOST:PORT (HOST 127.0.0.1 by default, PORT 0: any free\n"
	"port, said on stderr); a violation, a panic, a triple fault or an injection stops the VM for\n"
	"gdb. --gdb-wait stops it before the first guest instruction. With --gdb there is no time limit\n"
	"unless --timeout gives one, and it does not count the time gdb holds the VM.\n"
	"KEY=VALUE arguments go to the guest command line as they are. Models and scenarios: entrybox list.\n"
	"Exit status: 0 outcome as expected, no violation; 1 mismatch or violation; 2 bad input; 3 no KVM.\n";

static int check_kvm(void)
{
	return cli_require_kvm("run", "'entrybox qemu' (no per-exit checks)");
}

/* The run confines itself once set up and may open nothing after: the
 * JSON file is opened first, and removed again when there was no run to
 * write (an error before set-up, which is before confinement). */
static int open_json(struct run_options *o)
{
	if (!o->json || strcmp(o->json, "-") == 0)
		return 0;
	o->json_stream = fopen(o->json, "w");
	if (!o->json_stream)
		return cli_fail(EBX_STATUS_USAGE, "cannot write JSON to '%s': %s", o->json, strerror(errno));
	return 0;
}

static void close_json(struct run_options *o, bool written)
{
	if (!o->json_stream)
		return;
	fclose(o->json_stream);
	o->json_stream = NULL;
	if (!written)
		unlink(o->json);
}

static int boot(struct run_args *a, const struct vmm_args *va, const struct inject_args *ia,
		const struct gdb_args *ga, const char *guest, const char *cmdline)
{
	struct run_result *r = calloc(1, sizeof(*r));
	if (!r)
		return cli_fail(EBX_STATUS_ENV, "out of memory");
	r->guest_exit_code = -1;
	struct vm_config cfg = {
		.guest_path = guest,
		.cmdline = cmdline,
		.vcpus = (unsigned)a->sel.vcpus,
		/* Debugging has no time limit unless one is given; the one given
		 * does not count the time gdb holds the VM at its prompt. */
		.timeout_seconds = a->opts.timeout > 0 || !ga->on ? a->opts.timeout : GDB_NO_TIME_LIMIT_S,
		.ram_bytes = 0,
		.diag = stderr,
		.echo_serial = a->opts.verbosity > 0,
		.trace = va->tracing ? &va->trace : NULL,
		.no_confine = va->no_confine,
		.inject = ia->specs,
		.ninject = ia->n,
		.sweep_reboot = ia->sweep_reboot,
		.gdb = ga->on ? &ga->cfg : NULL,
		.sweep_to_end = ia->sweep_to_end,
	};
	int rc = open_json(&a->opts);
	if (rc != 0) {
		free(r);
		return rc;
	}
	enum ebx_status status = cli_status(vm_run(&cfg, r));
	bool ran = run_output_ran(r, status);
	rc = ran ? run_output(&a->opts, &a->sel, r, status) : (int)status;
	close_json(&a->opts, ran);
	result_release(r);
	free(r);
	return rc;
}

int cmd_run(int argc, char **argv)
{
	struct run_args a = { .with_accel = false, .help = run_help };
	struct vmm_args va;
	int rc = vmm_args_extract(&argc, argv, &va);
	if (rc != 0)
		return rc;
	struct inject_args ia;
	if ((rc = inject_args_extract(&argc, argv, &ia)) != 0)
		return rc;
	struct gdb_args ga;
	if ((rc = gdb_args_extract(&argc, argv, &ga)) != 0)
		return rc;
	for (size_t i = 0; ga.on && i < ia.n; i++)
		if (inject_spec_is_sweep(&ia.specs[i]))
			return cli_fail(EBX_STATUS_USAGE, "--gdb does not go with a sweep (--inject %s): one run per point",
					ia.specs[i].text);
	rc = run_args_parse("run", argc, argv, &a);
	if (rc != 0)
		return rc == CLI_HELP_SHOWN ? EBX_STATUS_OK : rc;
	char cmdline[LOADER_CMDLINE_MAX];
	char guest[PATH_MAX];
	if ((rc = selection_cmdline(&a.sel, cmdline, sizeof(cmdline))) != 0 ||
	    (a.opts.json && (rc = cli_check_output_path("--json", a.opts.json)) != 0) ||
	    (va.tracing && (rc = cli_check_output_path("--trace", va.trace.file)) != 0) ||
	    (rc = guest_image_resolve(a.opts.guest, guest, sizeof(guest))) != 0 || (rc = check_kvm()) != 0)
		return rc;
	if (a.opts.verbosity > 0)
		fprintf(stderr, "entrybox: guest %s, command line: %s\n", guest, cmdline);
	return boot(&a, &va, &ia, &ga, guest, cmdline);
}
