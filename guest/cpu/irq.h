/* SPDX-License-Identifier: MIT */
/* Interrupt vectors (32..255) behind every entry model's stubs. */
#ifndef ENTRYBOX_IRQ_H
#define ENTRYBOX_IRQ_H

#include "lib/kernel.h"
#include "entrybox/abi.h"

#define IRQ_FIRST_VECTOR    32
#define IRQ_PIC_SPURIOUS1   0x27   /* the remapped 8259s' spurious IRQ7 and IRQ15 (pic.c) */
#define IRQ_PIC_SPURIOUS2   0x2f
#define IRQ_TIMER_VECTOR    0xec   /* Linux's LOCAL_TIMER_VECTOR */

/* Called by trap_dispatch for vector >= IRQ_FIRST_VECTOR, interrupts off, on
 * the interrupted task's kernel stack (or the kernel stack it interrupted). */
void irq_dispatch(struct ebx_pt_regs *regs, unsigned vector);

#endif
