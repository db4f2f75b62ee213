/* SPDX-License-Identifier: MIT */
/* What the guest's console says about how it ended.  Engines that cannot see
 * the isa-debug-exit value (libvirt does not report QEMU's exit status) take
 * it from the last things the guest printed before writing it. */
#ifndef ENTRYBOX_CONSOLE_VERDICT_H
#define ENTRYBOX_CONSOLE_VERDICT_H

#include "result/result.h"

struct console_verdict {
	int last_words;           /* exit value announced by a panic or refusal line, -1 if none */
	int announced;            /* value of the guest's own exit event line, -1 if none */
	char last_console[160];   /* last plain console line: explains early ends */
};

void console_verdict_init(struct console_verdict *v);

/* Takes one console line (already free of control characters); a result
 * line fills the outcome fields of r and counts in r->result_lines. */
void console_verdict_line(struct console_verdict *v, const char *line, struct run_result *r);

/* The isa-debug-exit value that the guest writes after what it printed
 * (guest/main.c, guest/panic.c), or -1 when it printed no verdict. */
int console_verdict_exit_code(const struct console_verdict *v, const struct run_result *r);

#endif
