/* SPDX-License-Identifier: MIT */
/* What the QEMU and libvirt engines share when they tell how a run ended. */
#ifndef ENTRYBOX_ENGINES_COMMON_H
#define ENTRYBOX_ENGINES_COMMON_H

#include "result/result.h"

/* The name of an isa-debug-exit value the guest writes (entrybox/abi.h). */
const char *engine_guest_exit_name(int v);

/* Without the guest's verdict, the outcome is how the run ended. */
void engine_end_as(struct run_result *r, enum run_end end);

#endif
