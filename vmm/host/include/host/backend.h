/* SPDX-License-Identifier: MIT */
/* Which KVM vendor module serves /dev/kvm (docs/design.md §10): it decides how SYSCALL
 * from ring 3 behaves, whether cycle counts of ring-0 code mean anything, and
 * which breakpoints fire. */
#ifndef ENTRYBOX_BACKEND_H
#define ENTRYBOX_BACKEND_H

#include <stdbool.h>

enum kvm_backend { BACKEND_UNKNOWN = 0, BACKEND_VMX, BACKEND_SVM, BACKEND_PVM };

/* Reads /sys/module to tell; `sysfs_root` is "/sys" except in tests. */
enum kvm_backend backend_detect(const char *sysfs_root);
const char *backend_name(enum kvm_backend b);
/* True where guest ring 0 runs natively, so cycle counts of entry code are real. */
bool backend_cycles_meaningful(enum kvm_backend b);

#endif
