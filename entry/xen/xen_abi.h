/* SPDX-License-Identifier: MIT */
/* Numbers xen.S shares with xen.c.  The hypercall ones are abi.h's, repeated
 * because abi.h is C only (checked below). */
#ifndef ENTRYBOX_XEN_ABI_H
#define ENTRYBOX_XEN_ABI_H

#include "entrybox/x86.h"

#define XEN_PORT_HYPERCALL     0x0eb4
#define XEN_HC_SYSCALL_BOUNCE  1
#define XEN_HC_IRET            2

/* The iret hypercall's frame at RSP (abi.h EBX_HC_IRET): RAX R11 RCX, then
 * the frame IRETQ pops. */
#define HC_RAX      0
#define HC_R11      8
#define HC_RCX      16
#define HC_RIP      (24 + IRET_RIP)
#define HC_CS       (24 + IRET_CS)
#define HC_RFL      (24 + IRET_RFLAGS)
#define HC_RSP      (24 + IRET_RSP)
#define HC_SS       (24 + IRET_SS)

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>
#include "entrybox/abi.h"

_Static_assert(XEN_PORT_HYPERCALL == EBX_PORT_HYPERCALL, "xen_abi.h and abi.h disagree");
_Static_assert(XEN_HC_SYSCALL_BOUNCE == EBX_HC_SYSCALL_BOUNCE, "xen_abi.h and abi.h disagree");
_Static_assert(XEN_HC_IRET == EBX_HC_IRET, "xen_abi.h and abi.h disagree");

struct xen_iret_frame {
	uint64_t rax, r11, rcx;
	struct x86_iret_frame hw;
};
_Static_assert(offsetof(struct xen_iret_frame, rax) == HC_RAX, "iret hypercall frame");
_Static_assert(offsetof(struct xen_iret_frame, r11) == HC_R11, "iret hypercall frame");
_Static_assert(offsetof(struct xen_iret_frame, rcx) == HC_RCX, "iret hypercall frame");
_Static_assert(offsetof(struct xen_iret_frame, hw.rip) == HC_RIP, "iret hypercall frame");
_Static_assert(offsetof(struct xen_iret_frame, hw.cs) == HC_CS, "iret hypercall frame");
_Static_assert(offsetof(struct xen_iret_frame, hw.rflags) == HC_RFL, "iret hypercall frame");
_Static_assert(offsetof(struct xen_iret_frame, hw.rsp) == HC_RSP, "iret hypercall frame");
_Static_assert(offsetof(struct xen_iret_frame, hw.ss) == HC_SS, "iret hypercall frame");
#endif

#endif
