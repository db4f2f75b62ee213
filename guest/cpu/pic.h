/* SPDX-License-Identifier: MIT */
#ifndef ENTRYBOX_PIC_H
#define ENTRYBOX_PIC_H

/* Moves the legacy 8259 pair off the exception vectors and masks every line. */
void pic_disable(void);

#endif
