/* SPDX-License-Identifier: MIT */
/* entrybox libvirt: the same guest and command line as a libvirt domain. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/guest_image.h"
#include "engines/libvirt.h"
#include "machine/loader.h"
#include "run_output.h"

/* Beyond the ids cli_common.h hands out to the shared options. */
enum { OPT_CONNECT = 0x400, OPT_DOMAIN_TYPE, OPT_CONSOLE_HOST, OPT_IMAGE };

static const char libvirt_help[] =
	"usage: entrybox libvirt [--entry M] [--pti on|off] [--pcid on|off] [--vcpus N] [--tasks N]\n"
	"                        [--scenario S] [--iters N] [--connect URI] [--domain-type kvm|qemu]\n"
	"                        [--console-host ADDR] [--image auto|upload|same-path] [--timeout S]\n"
	"                        [--guest ELF] [--json FILE|-] [--quiet|--verbose] [KEY=VALUE]...\n"
	"Boots the same guest as a transient libvirt domain through any libvirt URI (default: libvirt's own\n"
	"default). --domain-type qemu (the default) is TCG on q35, the reference CPU; kvm is microvm with the\n"
	"host CPU. --image: how the guest image reaches the libvirt host; auto (the default) boots it in place\n"
	"on this machine's hypervisor and uploads it to another host (a volume of its storage pool 'entrybox'),\n"
	"upload always uploads, same-path expects it at the same path there and checks that it is. The guest's\n"
	"serial port connects over TCP to --console-host (an address of this machine the libvirt host reaches;\n"
	"default 127.0.0.1, right for local URIs). No per-exit checks. A lost connection ends the run as\n"
	"host-lost.\n"
	"Exit status: 0 outcome as expected; 1 mismatch; 2 bad input; 3 no libvirt connection, image or domain.\n";

static const struct option libvirt_long_options[] = {
	SELECTION_LONG_OPTIONS,
	RUN_LONG_OPTIONS,
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "domain-type", required_argument, NULL, OPT_DOMAIN_TYPE },
	{ "console-host", required_argument, NULL, OPT_CONSOLE_HOST },
	{ "image", required_argument, NULL, OPT_IMAGE },
	{ NULL, 0, NULL, 0 },
};

struct libvirt_args {
	struct selection sel;
	struct run_options opts;
	const char *uri;
	const char *console_host;
	enum libvirt_domain_type type;
	enum libvirt_image_mode image;
};

static int set_image_mode(struct libvirt_args *a, const char *arg)
{
	static const char *const names[] = { [LIBVIRT_IMAGE_AUTO] = "auto", [LIBVIRT_IMAGE_UPLOAD] = "upload",
					     [LIBVIRT_IMAGE_SAME_PATH] = "same-path" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(arg, names[i]) == 0) {
			a->image = (enum libvirt_image_mode)i;
			return 0;
		}
	return cli_fail(EBX_STATUS_USAGE, "--image takes auto, upload or same-path, not '%s'", arg);
}

static int set_domain_type(struct libvirt_args *a, const char *arg)
{
	if (strcmp(arg, "kvm") == 0)
		a->type = LIBVIRT_DOMAIN_KVM;
	else if (strcmp(arg, "qemu") == 0)
		a->type = LIBVIRT_DOMAIN_QEMU;
	else
		return cli_fail(EBX_STATUS_USAGE, "--domain-type takes kvm or qemu, not '%s'", arg);
	return 0;
}

static int handle(void *ctx, int opt, const char *arg)
{
	struct libvirt_args *a = ctx;
	switch (opt) {
	case 0:
		return selection_add_extra(&a->sel, arg);
	case OPT_HELP:
		fputs(libvirt_help, stdout);
		return CLI_HELP_SHOWN;
	case OPT_CONNECT:
		if (!*arg)
			return cli_fail(EBX_STATUS_USAGE, "--connect takes a libvirt URI");
		a->uri = arg;
		return 0;
	case OPT_DOMAIN_TYPE:
		return set_domain_type(a, arg);
	case OPT_IMAGE:
		return set_image_mode(a, arg);
	case OPT_CONSOLE_HOST:
		if (!*arg)
			return cli_fail(EBX_STATUS_USAGE, "--console-host takes an address of this machine");
		a->console_host = arg;
		return 0;
	default:
		break;
	}
	int rc = selection_apply(&a->sel, opt, arg);
	if (rc != 1)
		return rc;
	rc = run_options_apply(&a->opts, opt, arg);
	/* getopt_long only returns ids from our table, so this is a table bug. */
	return rc != 1 ? rc : cli_fail(EBX_STATUS_USAGE, "internal: unhandled option %d", opt);
}

static int boot(const struct libvirt_args *a, const char *guest, const char *cmdline)
{
	struct run_result *r = calloc(1, sizeof(*r));
	if (!r)
		return cli_fail(EBX_STATUS_ENV, "out of memory");
	r->guest_exit_code = -1;
	struct libvirt_config cfg = {
		.uri = a->uri,
		.guest_path = guest,
		.image = a->image,
		.cmdline = cmdline,
		.type = a->type,
		.vcpus = (unsigned)a->sel.vcpus,
		.timeout_seconds = a->opts.timeout,
		.echo_serial = a->opts.verbosity > 0,
		.console_host = a->console_host,
	};
	enum ebx_status status = cli_status(libvirt_run(&cfg, r));
	run_output_describe_panic(r, guest, "libvirt runs no per-exit checks");
	int rc = run_output_ran(r, status) ? run_output(&a->opts, &a->sel, r, status) : (int)status;
	free(r);
	return rc;
}

/* libvirt resolves <kernel> on the host that runs the domain: it needs an
 * absolute path (with --image same-path, the same one on a remote host). */
static int absolute_guest(const char *guest, char *out, size_t outlen)
{
	char resolved[PATH_MAX];
	if (!realpath(guest, resolved))
		return cli_fail(EBX_STATUS_USAGE, "guest image %s: cannot resolve its path", guest);
	if ((size_t)snprintf(out, outlen, "%s", resolved) >= outlen)
		return cli_fail(EBX_STATUS_USAGE, "guest image path too long");
	return 0;
}

int cmd_libvirt(int argc, char **argv)
{
	struct libvirt_args a = { .type = LIBVIRT_DOMAIN_QEMU };
	selection_defaults(&a.sel);
	int rc = cli_parse("libvirt", argc, argv, libvirt_long_options, handle, &a);
	if (rc != 0)
		return rc == CLI_HELP_SHOWN ? EBX_STATUS_OK : rc;
	char cmdline[LOADER_CMDLINE_MAX];
	char found[PATH_MAX], guest[PATH_MAX];
	if ((rc = selection_cmdline(&a.sel, cmdline, sizeof(cmdline))) != 0 ||
	    (a.opts.json && (rc = cli_check_output_path("--json", a.opts.json)) != 0) ||
	    (rc = guest_image_resolve(a.opts.guest, found, sizeof(found))) != 0 ||
	    (rc = absolute_guest(found, guest, sizeof(guest))) != 0)
		return rc;
	if (a.opts.verbosity > 0)
		fprintf(stderr, "entrybox: libvirt %s, guest %s, command line: %s\n", a.uri ? a.uri : "(default URI)",
			guest, cmdline);
	return boot(&a, guest, cmdline);
}
