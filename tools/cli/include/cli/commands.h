/* SPDX-License-Identifier: MIT */
/* The entrybox subcommands (docs/design.md §8).  Each takes argv with argv[0] the
 * subcommand's name and returns the process exit status. */
#ifndef ENTRYBOX_COMMANDS_H
#define ENTRYBOX_COMMANDS_H

int cmd_run(int argc, char **argv);
int cmd_qemu(int argc, char **argv);
int cmd_libvirt(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_matrix(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_new_model(int argc, char **argv);

#endif
