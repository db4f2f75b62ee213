/* SPDX-License-Identifier: MIT */
/* The leading bytes of the binary fuzz inputs, shared by the targets that
 * read them and gen_seeds.c, which writes their seed corpora. */
#ifndef ENTRYBOX_FUZZ_INPUTS_H
#define ENTRYBOX_FUZZ_INPUTS_H

#include <stdint.h>

/* fuzz_events: then guest RAM from address 0. */
struct fuzz_events_input {
	uint32_t port_value;      /* the checkpoint port's value: a record's address */
	uint32_t pad;
	uint64_t cr3;             /* the guest's CR3 at the checkpoint */
	uint64_t gpr[16];         /* its registers at the SYSCALL, in KVM's order */
};

#define FUZZ_EVENTS_RAM (64u * 1024u)

/* fuzz_xen_hv: then FUZZ_XEN_PERCPU_TAKEN bytes of the CPU's per-CPU page,
 * then the task's kernel stack. */
struct fuzz_xen_input {
	uint8_t nr;               /* hypercall number, modulo 4 */
	uint8_t flags;            /* FUZZ_XEN_* */
	uint8_t task;             /* whose PGD CR3 names and whose kernel stack RSP is on */
	uint8_t pad;
	uint32_t rsp_off;         /* RSP = that stack's base + rsp_off % (size + 256) - 128 */
	uint64_t raw_rsp, raw_cr3, raw_gs, rcx, r11, kernel_gs;
};

enum {
	FUZZ_XEN_PTI = 1,         /* the layout with KPTI PGD pairs */
	FUZZ_XEN_CPU1 = 2,        /* the hypercall comes from CPU 1 */
	FUZZ_XEN_USER_MODE = 4,   /* CPL 3 */
	FUZZ_XEN_RAW_GS = 8,      /* GS base = raw_gs, not the CPU's per-CPU page */
	FUZZ_XEN_USER_HALF = 16,  /* CR3 = the task's user PGD */
	FUZZ_XEN_RAW_CR3 = 32,
	FUZZ_XEN_RAW_RSP = 64,
};

#define FUZZ_XEN_PERCPU_TAKEN 512
#define FUZZ_XEN_KSTACKS_GVA  0xffffc90000000000ull
#define FUZZ_XEN_STACK_SIZE   0x4000ull

#endif
