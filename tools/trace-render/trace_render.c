/* SPDX-License-Identifier: MIT */
/*
 * entrybox-trace-render: draws a trace written by `entrybox run --trace` as a
 * picture -- SVG always, PNG through gnuplot when asked.
 * Exit status: 0 done, 1 drawing failed, 2 bad usage or bad trace, 3 gnuplot missing.
 */
#include <stdio.h>
#include <string.h>

#include "trace_model.h"

static const char usage[] =
	"usage: entrybox-trace-render TRACE.jsonl OUT.svg [--png OUT.png]\n"
	"Draws a trace of 'entrybox run --trace': instruction index on x; lanes for the stack\n"
	"region, the CR3 half and the CPL; failed rules and events (boundary, exceptions) marked.\n";

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	const char *png = NULL;
	if (argc == 5 && strcmp(argv[3], "--png") == 0)
		png = argv[4];
	else if (argc != 3) {
		fputs(usage, stderr);
		return 2;
	}
	char err[256];
	struct trace_model m;
	if (!trace_model_load(argv[1], &m, err, sizeof(err))) {
		fprintf(stderr, "entrybox-trace-render: %s\n", err);
		return 2;
	}
	int rc = 0;
	if (!trace_svg_write(&m, argv[2])) {
		fprintf(stderr, "entrybox-trace-render: %s: cannot write\n", argv[2]);
		rc = 1;
	}
	if (rc == 0 && png) {
		rc = trace_png_write(&m, png, err, sizeof(err));
		if (rc != 0)
			fprintf(stderr, "entrybox-trace-render: %s\n", err);
	}
	trace_model_free(&m);
	return rc;
}
