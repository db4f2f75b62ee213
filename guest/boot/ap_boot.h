/* SPDX-License-Identifier: MIT */
/* The AP trampoline (ap_boot.S) and the parameter block it carries, which
 * smp.c fills before each AP's STARTUP; for C and the assembler. */
#ifndef ENTRYBOX_AP_BOOT_H
#define ENTRYBOX_AP_BOOT_H

/* struct ap_boot_params */
#define AP_PARAM_BOOT_CR3  0
#define AP_PARAM_ENTRY     8
#define AP_PARAM_CR3       16
#define AP_PARAM_STACK     24
#define AP_PARAM_CPU       32
#define AP_PARAMS_SIZE     40

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct ap_boot_params {
	uint64_t boot_cr3;   /* boot.S's tables: identity + high half, below 4 GiB */
	uint64_t entry;      /* ap_start64 */
	uint64_t cr3;        /* the init PGD */
	uint64_t stack;      /* top of the AP's boot stack */
	uint64_t cpu;
};
_Static_assert(offsetof(struct ap_boot_params, boot_cr3) == AP_PARAM_BOOT_CR3, "AP parameter block");
_Static_assert(offsetof(struct ap_boot_params, entry) == AP_PARAM_ENTRY, "AP parameter block");
_Static_assert(offsetof(struct ap_boot_params, cr3) == AP_PARAM_CR3, "AP parameter block");
_Static_assert(offsetof(struct ap_boot_params, stack) == AP_PARAM_STACK, "AP parameter block");
_Static_assert(offsetof(struct ap_boot_params, cpu) == AP_PARAM_CPU, "AP parameter block");
_Static_assert(sizeof(struct ap_boot_params) == AP_PARAMS_SIZE, "AP parameter block");

/* The trampoline image, to be copied to AP_TRAMPOLINE_PHYS, and its parameter block. */
extern const char ap_trampoline[], ap_trampoline_end[], ap_trampoline_params[];
/* Where the trampoline leaves for, in kernel text. */
extern const char ap_start64[];
#endif

#endif
