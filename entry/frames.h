/* SPDX-License-Identifier: MIT */
/* What the entry stubs leave on the stack and hand to C, for the assembler
 * and C alike. */
#ifndef ENTRYBOX_FRAMES_H
#define ENTRYBOX_FRAMES_H

/* Or-ed into the vector an exception stub passes to C when the exception
 * was a faulting IRET to user, turned into a fault of the user context. */
#define ENTRY_VEC_BAD_IRET 0x100

#endif
