/* SPDX-License-Identifier: MIT */
/*
 * PC firmware (SeaBIOS on q35/pc) leaves the 8259 PICs programmed for real
 * mode: IRQ0, the PIT tick, arrives on vector 8 and would look like a #DF as
 * soon as a task runs with IF=1.  Remap them above the exceptions first (a
 * masked PIC can still deliver its spurious IRQ7/15), then mask all lines.
 */
#include "cpu/pic.h"
#include "cpu/irq.h"
#include "cpu/cpu.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1

#define ICW1_INIT_ICW4 0x11
#define ICW4_8086      0x01

void pic_disable(void)
{
	outb(PIC1_CMD, ICW1_INIT_ICW4);
	outb(PIC2_CMD, ICW1_INIT_ICW4);
	outb(PIC1_DATA, IRQ_PIC1_VECTOR);
	outb(PIC2_DATA, IRQ_PIC2_VECTOR);
	outb(PIC1_DATA, 1 << 2);   /* master: slave on IRQ2 */
	outb(PIC2_DATA, 2);        /* slave: cascade identity */
	outb(PIC1_DATA, ICW4_8086);
	outb(PIC2_DATA, ICW4_8086);
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
}
