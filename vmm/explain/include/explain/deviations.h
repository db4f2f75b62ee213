/* SPDX-License-Identifier: MIT */
/*
 * Where a KVM backend is known to differ from the architecture, pinned to the
 * exact symptom a scenario shows.  A run whose mismatch is one of these is
 * still a mismatch (status 1) -- the guest did not get what the CPU promises --
 * but reports say why, and the matrix shows it as a backend deviation rather
 * than a defect of the entry model.
 */
#ifndef ENTRYBOX_DEVIATIONS_H
#define ENTRYBOX_DEVIATIONS_H

#include "result/result.h"

/* The explanation for r's mismatch, or NULL when it is not a known deviation. */
const char *deviation_explain(const struct run_result *r);

#endif
