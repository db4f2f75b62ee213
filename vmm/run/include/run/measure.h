/* SPDX-License-Identifier: MIT */
/*
 * The guest-marked measurement region (EBX_EV_MEASURE_BEGIN..END): every
 * instruction executed in it is counted by single-stepping, and each SYSCALL
 * round trip inside it on its own (SYSCALL through SYSRET, kernel side).
 * An observer of the exit loop, with its own stepping owner.
 */
#ifndef ENTRYBOX_MEASURE_H
#define ENTRYBOX_MEASURE_H

#include <stdbool.h>
#include "run/observer.h"

struct session;

extern const struct exit_observer measure_observer;

/* Creates the measurement state and registers its observer; false when out of memory. */
bool measure_setup(struct session *s);
void measure_teardown(struct session *s);
/* The vCPU is inside the guest-marked region. */
bool measure_in_region(const struct session *s, unsigned vcpu);

#endif
