/* SPDX-License-Identifier: MIT */
/*
 * NMIs: every model's NMI entry ends in nmi_handle().  The nested-nmi
 * scenario's probe makes the handler take an exception while a second NMI is
 * pending, so that exception's IRET unblocks NMIs and the second one nests
 * (entry/calling.h's NMI_ENTRY).
 */
#ifndef ENTRYBOX_NMI_H
#define ENTRYBOX_NMI_H

#include "sched/task.h"

/* An NMI reached C (from any context; GS is the kernel's). */
void nmi_handle(struct ebx_pt_regs *regs);

/* A #UD in kernel mode at the probe's instruction: skips it (the handler's
 * IRET is the point); false for any other. */
bool nmi_probe_fixup(struct ebx_pt_regs *regs);

/* SYS_NMI_NEST: one NMI to this CPU whose handler provokes a nested one.
 * 0 when both ran their handler one after the other, else a NMI_NEST_* code. */
long nmi_nest_probe(struct task *t);

#endif
