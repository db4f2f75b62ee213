/* SPDX-License-Identifier: MIT */
/* Ring-0 UKL applications: the scenarios' programs for entry=ukl tasks. */
#ifndef ENTRYBOX_UKL_APP_H
#define ENTRYBOX_UKL_APP_H

#include <stdint.h>

/* Where an application's `pushfq; call` enters the kernel: the booted
 * model's entry, which sets it when it selects a mode with applications
 * (a model's symbols are its own, so the applications call through this). */
extern uint64_t ukl_app_kernel_entry;

/* A task's first instruction as an application (its pt_regs RIP): asks for
 * its id, scenario and iterations, then runs ukl_app_start. */
__attribute__((noreturn)) void ukl_app_entry(void);
/* user_start's twin: task id, scenario index, iterations. */
__attribute__((noreturn)) void ukl_app_start(uint64_t id, uint64_t scenario, uint64_t iters);

#endif
