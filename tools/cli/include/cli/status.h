/* SPDX-License-Identifier: MIT */
/* The exit statuses of entrybox (docs/design.md §8), and how a run's verdict maps
 * onto them. */
#ifndef ENTRYBOX_STATUS_H
#define ENTRYBOX_STATUS_H

#include "result/result.h"

enum ebx_status {
	EBX_STATUS_OK = 0,          /* outcome matched expectation, no violation */
	EBX_STATUS_MISMATCH = 1,    /* outcome differs from expectation, or a violation */
	EBX_STATUS_USAGE = 2,       /* bad usage or bad input (flags, ELF, cmdline) */
	EBX_STATUS_ENV = 3,         /* environment missing: no /dev/kvm, no QEMU, CPU lacks a feature */
};

/* A run's JSON "status" is its exit status: the verdicts keep the same numbers. */
_Static_assert((int)RUN_VERDICT_OK == (int)EBX_STATUS_OK, "verdict OK is exit status 0");
_Static_assert((int)RUN_VERDICT_MISMATCH == (int)EBX_STATUS_MISMATCH, "verdict MISMATCH is exit status 1");
_Static_assert((int)RUN_VERDICT_BAD_INPUT == (int)EBX_STATUS_USAGE, "verdict BAD_INPUT is exit status 2");
_Static_assert((int)RUN_VERDICT_ENVIRONMENT == (int)EBX_STATUS_ENV, "verdict ENVIRONMENT is exit status 3");

static inline enum ebx_status cli_status(enum run_verdict v)
{
	return (enum ebx_status)v;
}

#endif
