/* SPDX-License-Identifier: MIT */
#include "engines/common.h"

#include <stdio.h>

#include "entrybox/abi.h"

const char *engine_guest_exit_name(int v)
{
	switch (v) {
	case EBX_GUEST_EXIT_PASS: return "pass";
	case EBX_GUEST_EXIT_FAIL: return "fail";
	case EBX_GUEST_EXIT_BAD_CMDLINE: return "bad command line";
	case EBX_GUEST_EXIT_PANIC: return "panic";
	case EBX_GUEST_EXIT_UNSUPPORTED: return "unsupported";
	default: return "unknown code";
	}
}

void engine_end_as(struct run_result *r, enum run_end end)
{
	r->end = end;
	snprintf(r->outcome, sizeof(r->outcome), "%s", result_end_name(end));
}
