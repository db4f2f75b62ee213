/* SPDX-License-Identifier: MIT */
/* SYSRET to 64-bit mode, as the SDM (vol. 2, SYSRET) describes it. */
#include <string.h>

#include "entrybox/x86.h"
#include "stub_internal.h"

#define SEG_TYPE_CODE_READ_ACCESSED 0xb
#define SEG_TYPE_DATA_WRITE_ACCESSED 0x3

bool sysret_is_64(const uint8_t *code, size_t n)
{
	static const uint8_t sysretq[] = { 0x48, 0x0f, 0x07 };
	return n >= sizeof(sysretq) && memcmp(code, sysretq, sizeof(sysretq)) == 0;
}

static bool canonical(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

bool sysret_emulate(struct kvm_regs *r, struct kvm_sregs *sr, uint64_t star)
{
	if (!canonical(r->rcx))
		return false;
	uint16_t base = (uint16_t)(star >> STAR_SYSRET_CS_SHIFT);
	r->rip = r->rcx;
	r->rflags = (r->r11 & RFLAGS_SYSRET_MASK) | RFLAGS_FIXED;
	/* SYSRET loads flat segments with fixed attributes, not read from the GDT. */
	kvm_flat_segment(&sr->cs, (uint16_t)((base + 16) | 3), SEG_TYPE_CODE_READ_ACCESSED, 3, KVM_FLAT_CODE64);
	kvm_flat_segment(&sr->ss, (uint16_t)((base + 8) | 3), SEG_TYPE_DATA_WRITE_ACCESSED, 3, KVM_FLAT_DATA);
	return true;
}
