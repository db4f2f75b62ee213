/* SPDX-License-Identifier: MIT */
/* Values kpti.S passes to kpti.c, for the assembler and C alike. */
#ifndef ENTRYBOX_KPTI_ABI_H
#define ENTRYBOX_KPTI_ABI_H

/* Or-ed into the vector an exception stub passes to C when the exception
 * was a faulting IRET to user, turned into a fault of the user context. */
#define KPTI_VEC_BAD_IRET 0x100

#endif
