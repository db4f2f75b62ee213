/* SPDX-License-Identifier: MIT */
/*
 * Rule switch-live-frame, judged at the guest's context-switch checkpoints
 * (abi.h EBX_EV_SWITCH): a stack every task of a CPU uses (EBX_STACKF_SHARED)
 * may hold a task's live frames only while that task runs.  A task that
 * leaves its CPU with RSP on such a stack leaves them for the next entry on
 * that CPU to overwrite -- unless the CPU stays reserved for it, and then no
 * other task may come in until it is back.
 */
#ifndef ENTRYBOX_SWITCH_CHECK_H
#define ENTRYBOX_SWITCH_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include "check/layout.h"
#include "check/rules.h"
#include "check/snap.h"

#define SWITCH_RULE "switch-live-frame"
#define SWITCH_RULE_SUMMARY \
	"at a context switch no stack shared by a CPU's tasks still holds the leaving task's live frame (switch checkpoint)"

/* What one CPU's checkpoints left for the next: a task that went with its
 * frame on a shared stack of the CPU, reserving it. */
struct switch_cpu_state {
	bool pinned;
	uint32_t task;
	char stack[EBX_NAME_LEN];
};

/* Judges one checkpoint of s->cpu (s: the vCPU at it, ev: its record,
 * cpu: that CPU's state, updated).  False with v filled on a violation. */
bool switch_check(const struct vcpu_snap *s, const struct layout *l, const struct ebx_ev_switch *ev,
		  struct switch_cpu_state *cpu, struct violation *v);

#endif
