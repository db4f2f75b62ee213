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
/* The console's own: any CPU, any context (early boot, a panic on the
 * user's GS) may print, so it is claimed, never waited for. */
static struct event_buffer console_buffer __aligned(4096);
static int console_busy;
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

bool hv_console(const char *s, size_t len)
{
	if (!under_entrybox || len == 0 || len > EBX_EVENT_MAX_PAYLOAD ||
	    __atomic_exchange_n(&console_busy, 1, __ATOMIC_ACQUIRE))
		return false;
	/* cpu 0 always exists; which CPU wrote is not the VMM's business here. */
	console_buffer.ev = (struct ebx_event){ .magic = EBX_EVENT_MAGIC, .kind = EBX_EV_CONSOLE, .cpu = 0,
						 .length = (uint32_t)len };
	memcpy(console_buffer.payload, s, len);
	outl(EBX_PORT_CHECKPOINT, (uint32_t)kimage_to_phys(&console_buffer));
	__atomic_store_n(&console_busy, 0, __ATOMIC_RELEASE);
	return true;
}
