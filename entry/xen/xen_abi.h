/* SPDX-License-Identifier: MIT */
/* Numbers xen.S shares with xen.c; the hypercall ones are abi.h's (xen.c
 * checks they agree), repeated because abi.h is C only. */
#ifndef ENTRYBOX_XEN_ABI_H
#define ENTRYBOX_XEN_ABI_H

#define XEN_PORT_HYPERCALL     0x0eb4
#define XEN_HC_SYSCALL_BOUNCE  1
#define XEN_HC_IRET            2

#endif
