/* SPDX-License-Identifier: MIT */
/*
 * Named invariants checked at every VM exit (docs/design.md §6).  A rule sees a
 * snapshot of one vCPU plus the validated layout and may read guest memory
 * through the snapshot's reader; it never touches KVM itself, so the rules are
 * unit-tested on synthetic states.
 */
#ifndef ENTRYBOX_RULES_H
#define ENTRYBOX_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "check/layout.h"
#include "check/snap.h"

struct violation {
	const char *rule;     /* the rule's name */
	char detail[320];     /* one line: what was expected and what was seen */
};

struct rule {
	const char *name;
	const char *summary;  /* one line for `entrybox list` */
	/* Returns true when the state satisfies the rule; otherwise fills v->detail. */
	bool (*check)(const struct vcpu_snap *s, const struct layout *l, struct violation *v);
};

const struct rule *rules_table(size_t *count);
const struct rule *rules_find(const char *name);

/* Evaluate every rule; write at most `max` violations; return how many rules failed. */
size_t rules_check_all(const struct vcpu_snap *s, const struct layout *l, struct violation *out, size_t max);

#endif
