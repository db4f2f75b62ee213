/* SPDX-License-Identifier: MIT */
/*
 * The cost of one VM exit under this VMM, as a reference for everything else
 * it measures: a tiny VM whose only code is `out %al,$0x80; jmp .-2`, run
 * exit after exit.  Bare, the loop does nothing but KVM_RUN; with rules it
 * also does what the VMM does at every exit (a snapshot of the vCPU and
 * every rule evaluated against a minimal valid layout).
 */
#ifndef ENTRYBOX_BENCH_EXIT_H
#define ENTRYBOX_BENCH_EXIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bench_exit_sample {
	uint64_t exits;           /* port-0x80 exits timed */
	double ns_per_exit;       /* wall time per exit round trip */
	uint64_t rule_failures;   /* with rules: failed rule evaluations seen (the state is not a kernel's) */
	uint64_t checks;          /* with rules: rule evaluations */
};

/* Builds the VM, runs `exits` round trips (after a short warm-up) and tears
 * it down.  False with one line in err when it cannot. */
bool bench_exit_measure(bool with_rules, uint64_t exits, struct bench_exit_sample *out, char *err, size_t errlen);

#endif
