/* SPDX-License-Identifier: MIT */
/* What a finished run leaves behind: the human summary and the JSON file. */
#ifndef ENTRYBOX_RUN_OUTPUT_H
#define ENTRYBOX_RUN_OUTPUT_H

#include "cli/cli_common.h"
#include "cli/selection.h"
#include "result/result.h"

/* Whether the engine got as far as running the guest (else it already
 * printed its one error line and there is nothing to summarise). */
bool run_output_ran(const struct run_result *r, enum ebx_status status);
/* For engines without our VMM: names the panic's RIP from the guest image's
 * symbols and says why the CR3 it was taken on is not known. */
void run_output_describe_panic(struct run_result *r, const char *guest, const char *engine_note);

/* Prints the summary (to stderr when the JSON goes to stdout, nowhere with
 * --quiet) and writes --json.  Returns the exit status: the run's, or
 * EBX_STATUS_USAGE when an otherwise good run cannot write its JSON. */
int run_output(const struct run_options *o, const struct selection *s, struct run_result *r,
	       enum ebx_status status);

#endif
