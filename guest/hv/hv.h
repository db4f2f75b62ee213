/* SPDX-License-Identifier: MIT */
/* Talking to our VMM: detection by CPUID signature, checkpoint events. */
#ifndef ENTRYBOX_HV_H
#define ENTRYBOX_HV_H

#include "lib/kernel.h"

/* Reads the hypervisor CPUID leaf once; checkpoints are sent only when it names our VMM. */
void hv_detect(void);
bool hv_is_entrybox(void);
/* Copies the payload into this CPU's event buffer and writes its physical
 * address to the checkpoint port.  No-op under other hypervisors. */
void hv_checkpoint(unsigned cpu, uint32_t kind, const void *payload, uint32_t len);
/* Under our VMM: hands a console chunk over in one exit (EBX_EV_CONSOLE).
 * False elsewhere, or while another CPU or context is using it. */
bool hv_console(const char *s, size_t len);

#endif
