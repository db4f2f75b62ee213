/* SPDX-License-Identifier: MIT */
#include "hv/hv.h"
#include "cpu/cpu.h"
#include "lib/lib.h"
#include "lib/panic.h"
#include "entrybox/abi.h"

struct event_buffer {
	struct ebx_event ev;
	uint8_t payload[EBX_EVENT_MAX_PAYLOAD];
};

/* In the kernel image, so below 4 GiB physical as the 32-bit port write needs. */
static struct event_buffer event_buffers[EBX_MAX_CPUS] __aligned(4096);
static bool under_entrybox;

void hv_detect(void)
{
	uint32_t r[4];

	cpuid(EBX_CPUID_LEAF, 0, r);
	under_entrybox = r[1] == EBX_CPUID_SIG_EBX && r[2] == EBX_CPUID_SIG_ECX && r[3] == EBX_CPUID_SIG_EDX;
}

bool hv_is_entrybox(void)
{
	return under_entrybox;
}

void hv_checkpoint(unsigned cpu, uint32_t kind, const void *payload, uint32_t len)
{
	if (!under_entrybox)
		return;
	if (cpu >= EBX_MAX_CPUS || len > EBX_EVENT_MAX_PAYLOAD)
		panic("checkpoint %u: cpu %u, payload %u bytes", kind, cpu, len);
	struct event_buffer *b = &event_buffers[cpu];
	b->ev = (struct ebx_event){ .magic = EBX_EVENT_MAGIC, .kind = kind, .cpu = cpu, .length = len };
	memcpy(b->payload, payload, len);
	outl(EBX_PORT_CHECKPOINT, (uint32_t)kimage_to_phys(b));
}
