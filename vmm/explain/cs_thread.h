/* SPDX-License-Identifier: MIT */
/* One capstone handle per thread and mode, closed when the thread ends: the
 * vCPU threads disassemble at every traced step, and capstone handles are
 * not shared between threads. */
#ifndef ENTRYBOX_EXPLAIN_CS_THREAD_H
#define ENTRYBOX_EXPLAIN_CS_THREAD_H

#include <capstone/capstone.h>
#include <stdbool.h>

/* x86-64, AT&T syntax; `detail` turns on operand details (slower). */
bool cs_thread_handle(bool detail, csh *out);

#endif
