/* SPDX-License-Identifier: MIT */
#include "run_output.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "entrybox/abi.h"
#include "explain/symbols.h"
#include "summary.h"

bool run_output_ran(const struct run_result *r, enum ebx_status status)
{
	/* Statuses 2 and 3 also come from a guest that ran and refused its command
	 * line or lacked a CPU feature; only then did it leave an exit code. */
	return status == EBX_STATUS_OK || status == EBX_STATUS_MISMATCH || r->guest_exit_code >= 0;
}

void run_output_describe_panic(struct run_result *r, const char *guest, const char *engine_note)
{
	struct guest_panic *p = &r->panic;
	char err[200];
	if (!p->exception || p->symbol[0])
		return;
	struct symtab *syms = symtab_open(guest, err, sizeof(err));
	if (syms) {
		symtab_describe(syms, p->rip, p->symbol, sizeof(p->symbol));
		symtab_source_line(syms, p->rip, p->source, sizeof(p->source));
		symtab_close(syms);
	}
	if (!p->cr3_kind[0])
		snprintf(p->cr3_kind, sizeof(p->cr3_kind), "not known: %s", engine_note);
}

/* A verdict printed before the run went wrong is not the run's outcome: every
 * engine reports how such a run ended instead, a guest panic included. */
static void outcome_from_end(struct run_result *r)
{
	if (r->end != RUN_END_GUEST_EXIT)
		snprintf(r->outcome, sizeof(r->outcome), "%s", result_end_name(r->end));
	else if (r->guest_exit_code == EBX_GUEST_EXIT_PANIC)
		snprintf(r->outcome, sizeof(r->outcome), "panic");
}

/* Statuses 2 and 3 from a run mean the guest refused the input or the
 * machine: say why in one line, as for errors the CLI finds itself. */
static void explain_refusal(const struct run_result *r, enum ebx_status status)
{
	const char *why = r->refused[0] ? r->refused : r->end_reason;
	if (status == EBX_STATUS_USAGE)
		cli_fail(status, "the guest refused its command line: %s", why);
	else if (status == EBX_STATUS_ENV)
		cli_fail(status, "the guest cannot run this selection here: %s", why);
}

int run_output(const struct run_options *o, const struct selection *s, struct run_result *r,
	       enum ebx_status status)
{
	selection_fill_result(s, r);
	outcome_from_end(r);
	explain_refusal(r, status);
	bool json_on_stdout = o->json && strcmp(o->json, "-") == 0;
	if (o->verbosity >= 0)
		summary_print(json_on_stdout ? stderr : stdout, r, status);
	int written = !o->json ? 0 : o->json_stream ? result_write_json_stream(r, o->json_stream)
						    : result_write_json(r, o->json);
	if (written != 0) {
		int failed = cli_fail(EBX_STATUS_USAGE, "cannot write JSON to '%s': %s", o->json, strerror(errno));
		return status == EBX_STATUS_OK ? failed : (int)status;
	}
	return (int)status;
}
