/* SPDX-License-Identifier: MIT */
/*
 * Checks where mistakes happen, part two: the guest's context-switch
 * checkpoints (abi.h EBX_EV_SWITCH) judged by rule switch-live-frame
 * (check/switch_check.h).  A violation is reported at the call that
 * switches stacks, with the chain of callers that led there, so a sleep on
 * a shared entry stack names the code that decided to sleep.
 */
#ifndef ENTRYBOX_SWITCH_WATCH_H
#define ENTRYBOX_SWITCH_WATCH_H

#include <stdbool.h>
#include "run/observer.h"

struct session;

extern const struct exit_observer switch_watch_observer;

bool switch_watch_setup(struct session *s);
void switch_watch_teardown(struct session *s);

#endif
