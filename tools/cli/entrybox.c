/* SPDX-License-Identifier: MIT */
/* entrybox: one command per subcommand function (docs/design.md §8). */
#include <stdio.h>
#include <string.h>

#include "cli/cli_common.h"
#include "cli/commands.h"

static const char usage[] =
	"usage: entrybox <command> [options]\n"
	"  run   [selection] [--timeout S] [--guest ELF] [--json FILE|-] [--quiet|--verbose] [KEY=VALUE]...\n"
	"        boot the guest under entrybox's VMM on /dev/kvm, checking every rule at every exit\n"
	"  qemu  [selection] [--accel kvm|tcg] [--timeout S] [--guest ELF] [--json FILE|-] [KEY=VALUE]...\n"
	"        boot the same guest under qemu-system-x86_64\n"
	"  libvirt [selection] [--connect URI] [--domain-type kvm|qemu] [--timeout S] [--json FILE|-] ...\n"
	"        boot the same guest as a transient libvirt domain (any libvirt URI, remote hosts too)\n"
	"  list  models, scenarios and rules\n"
	"  matrix [--jobs N] [--out DIR] [--engine kvm,qemu-tcg] [filters] [KEY=VALUE]...\n"
	"        every model x mode x scenario in parallel: table, results.json/.csv, plots\n"
	"  bench [--iterations N] [--models M,...] [--out FILE]\n"
	"        cost per syscall round trip per model and mode, with references and ratios\n"
	"  new-model NAME --from MODEL [--source DIR]\n"
	"        start a new entry model as a renamed copy of MODEL (its folder and rows)\n"
	"selection: [--entry M] [--pti on|off] [--pcid on|off] [--vcpus N] [--tasks N] [--scenario S] [--iters N]\n"
	"'entrybox <command> --help' describes one command.\n"
	"Exit status: 0 as expected; 1 mismatch or violation; 2 bad usage or input; 3 environment missing.\n";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "run", cmd_run },
	{ "qemu", cmd_qemu },
	{ "libvirt", cmd_libvirt },
	{ "list", cmd_list },
	{ "matrix", cmd_matrix },
	{ "bench", cmd_bench },
	{ "new-model", cmd_new_model },
};

int main(int argc, char **argv)
{
	if (argc < 2)
		return cli_fail(EBX_STATUS_USAGE, "missing command (run, qemu, libvirt, matrix, bench, list, new-model; see entrybox --help)");
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		fputs(usage, stdout);
		return EBX_STATUS_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	return cli_fail(EBX_STATUS_USAGE, "unknown command '%s' (run, qemu, libvirt, matrix, bench, list, new-model; see entrybox --help)", name);
}
