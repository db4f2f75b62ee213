/* SPDX-License-Identifier: MIT */
/* Interrupt vectors (32..255) behind every entry model's stubs. */
#ifndef ENTRYBOX_IRQ_H
#define ENTRYBOX_IRQ_H

#include "lib/kernel.h"
#include "entrybox/abi.h"
#include "entrybox/x86.h"

#define IRQ_FIRST_VECTOR    X86_EXCEPTIONS
#define IRQ_PIC1_VECTOR     IRQ_FIRST_VECTOR          /* where pic.c moves the 8259s' IRQ0-7 */
#define IRQ_PIC2_VECTOR     (IRQ_FIRST_VECTOR + 8)    /* ... and IRQ8-15 */
#define IRQ_PIC_SPURIOUS1   (IRQ_PIC1_VECTOR + 7)     /* their spurious IRQ7 and IRQ15 */
#define IRQ_PIC_SPURIOUS2   (IRQ_PIC2_VECTOR + 7)
#define IRQ_TIMER_VECTOR    0xec   /* Linux's LOCAL_TIMER_VECTOR */

/* Called by trap_dispatch for vector >= IRQ_FIRST_VECTOR, interrupts off, on
 * the interrupted task's kernel stack (or the kernel stack it interrupted). */
void irq_dispatch(struct ebx_pt_regs *regs, unsigned vector);

#endif
