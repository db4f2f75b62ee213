/* SPDX-License-Identifier: MIT */
#include "gdb/regs.h"

#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <string.h>

#define X87_BYTES        10
#define TAG_VALID        0u
#define TAG_ZERO         1u
#define TAG_SPECIAL      2u
#define TAG_EMPTY        3u
#define FSW_TOP(fsw)     (((fsw) >> 11) & 7u)
#define EFLAGS_RESERVED  0xffc08028ull    /* bits that read as zero, plus bit 1 checked apart */
#define FOP_MASK         0x7ffu

static const unsigned sizes[GDB_NREGS] = {
	[GDB_REG_RAX ... GDB_REG_R15] = 8,
	[GDB_REG_RIP] = 8, [GDB_REG_EFLAGS] = 4,
	[GDB_REG_CS ... GDB_REG_GS] = 4,
	[GDB_REG_ST0 ... GDB_REG_ST0 + 7] = X87_BYTES,
	[GDB_REG_FCTRL ... GDB_REG_FOP] = 4,
	[GDB_REG_XMM0 ... GDB_REG_XMM0 + 15] = 16,
	[GDB_REG_MXCSR] = 4,
	[GDB_REG_FS_BASE ... GDB_REG_EFER] = 8,
};

static const char *const names[GDB_NREGS] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
	"rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs",
	"st0", "st1", "st2", "st3", "st4", "st5", "st6", "st7",
	"fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop",
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
	"xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
	"mxcsr", "fs_base", "gs_base", "k_gs_base", "cr0", "cr2", "cr3", "cr4", "cr8", "efer",
};

bool gdb_reg(unsigned regno, struct gdb_reg_desc *out)
{
	if (regno >= GDB_NREGS)
		return false;
	unsigned offset = 0;
	for (unsigned i = 0; i < regno; i++)
		offset += sizes[i];
	*out = (struct gdb_reg_desc){ names[regno], sizes[regno], offset };
	return true;
}

size_t gdb_regs_size(void)
{
	size_t n = 0;
	for (unsigned i = 0; i < GDB_NREGS; i++)
		n += sizes[i];
	return n;
}

/* ---- the x87 tag word ----------------------------------------------------------------------------- */

/* KVM keeps FXSAVE's abridged tag (a bit per register: in use); gdb shows the
 * full tag word, which also classifies each register's contents. */
static unsigned classify(const uint8_t *r)
{
	unsigned exponent = ((unsigned)r[9] << 8 | r[8]) & 0x7fff;
	bool integer_bit = r[7] & 0x80;
	if (exponent == 0x7fff)
		return TAG_SPECIAL;
	if (exponent == 0) {
		for (int i = 0; i < 8; i++)
			if (r[i])
				return TAG_SPECIAL;
		return TAG_ZERO;
	}
	return integer_bit ? TAG_VALID : TAG_SPECIAL;
}

static uint32_t full_tag(const struct kvm_fpu *f)
{
	uint32_t tag = 0;
	unsigned top = FSW_TOP(f->fsw);
	for (unsigned phys = 0; phys < 8; phys++) {
		unsigned t = TAG_EMPTY;
		if (f->ftwx & (1u << phys))
			t = classify(f->fpr[(phys - top) & 7]);
		tag |= t << (2 * phys);
	}
	return tag;
}

static uint8_t abridged_tag(uint32_t tag)
{
	uint8_t out = 0;
	for (unsigned phys = 0; phys < 8; phys++)
		if (((tag >> (2 * phys)) & 3) != TAG_EMPTY)
			out |= (uint8_t)(1u << phys);
	return out;
}

/* ---- encoding ------------------------------------------------------------------------------------- */

/* The general registers in gdb's order. */
static const size_t gpr_offset[16] = {
	offsetof(struct kvm_regs, rax), offsetof(struct kvm_regs, rbx), offsetof(struct kvm_regs, rcx),
	offsetof(struct kvm_regs, rdx), offsetof(struct kvm_regs, rsi), offsetof(struct kvm_regs, rdi),
	offsetof(struct kvm_regs, rbp), offsetof(struct kvm_regs, rsp), offsetof(struct kvm_regs, r8),
	offsetof(struct kvm_regs, r9), offsetof(struct kvm_regs, r10), offsetof(struct kvm_regs, r11),
	offsetof(struct kvm_regs, r12), offsetof(struct kvm_regs, r13), offsetof(struct kvm_regs, r14),
	offsetof(struct kvm_regs, r15),
};

static __u64 *gpr_slot(struct kvm_regs *r, unsigned regno)
{
	return (__u64 *)((char *)r + gpr_offset[regno - GDB_REG_RAX]);
}

static const struct kvm_segment *segment(const struct kvm_sregs *s, unsigned regno)
{
	const struct kvm_segment *order[6] = { &s->cs, &s->ss, &s->ds, &s->es, &s->fs, &s->gs };
	return order[regno - GDB_REG_CS];
}

/* The value of a register of at most 8 bytes; the wider ones are copied apart. */
static uint64_t scalar(const struct gdb_cpu *c, unsigned regno)
{
	const struct kvm_fpu *f = &c->fpu;
	switch (regno) {
	case GDB_REG_RAX ... GDB_REG_R15: return *gpr_slot((struct kvm_regs *)&c->regs, regno);
	case GDB_REG_RIP: return c->regs.rip;
	case GDB_REG_EFLAGS: return c->regs.rflags;
	case GDB_REG_CS ... GDB_REG_GS: return segment(&c->sregs, regno)->selector;
	case GDB_REG_FCTRL: return f->fcw;
	case GDB_REG_FSTAT: return f->fsw;
	case GDB_REG_FTAG: return full_tag(f);
	/* In 64-bit mode FXSAVE keeps 64-bit instruction and operand pointers:
	 * gdb shows the high halves as the "segments". */
	case GDB_REG_FISEG: return f->last_ip >> 32;
	case GDB_REG_FIOFF: return (uint32_t)f->last_ip;
	case GDB_REG_FOSEG: return f->last_dp >> 32;
	case GDB_REG_FOOFF: return (uint32_t)f->last_dp;
	case GDB_REG_FOP: return f->last_opcode & FOP_MASK;
	case GDB_REG_MXCSR: return f->mxcsr;
	case GDB_REG_FS_BASE: return c->sregs.fs.base;
	case GDB_REG_GS_BASE: return c->sregs.gs.base;
	case GDB_REG_K_GS_BASE: return c->kernel_gs_base;
	case GDB_REG_CR0: return c->sregs.cr0;
	case GDB_REG_CR2: return c->sregs.cr2;
	case GDB_REG_CR3: return c->sregs.cr3;
	case GDB_REG_CR4: return c->sregs.cr4;
	case GDB_REG_CR8: return c->sregs.cr8;
	case GDB_REG_EFER: return c->sregs.efer;
	default: return 0;
	}
}

static void put_le(uint8_t *out, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		out[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *in, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)in[i] << (8 * i);
	return v;
}

void gdb_cpu_encode(const struct gdb_cpu *c, uint8_t *out)
{
	unsigned offset = 0;
	for (unsigned regno = 0; regno < GDB_NREGS; offset += sizes[regno], regno++) {
		uint8_t *dst = out + offset;
		if (regno >= GDB_REG_ST0 && regno < GDB_REG_ST0 + 8)
			memcpy(dst, c->fpu.fpr[regno - GDB_REG_ST0], X87_BYTES);
		else if (regno >= GDB_REG_XMM0 && regno < GDB_REG_XMM0 + 16)
			memcpy(dst, c->fpu.xmm[regno - GDB_REG_XMM0], 16);
		else
			put_le(dst, scalar(c, regno), sizes[regno]);
	}
}

/* ---- storing -------------------------------------------------------------------------------------- */

static bool canonical(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

static int store_fpu(struct gdb_cpu *c, unsigned regno, uint64_t v)
{
	struct kvm_fpu *f = &c->fpu;
	switch (regno) {
	case GDB_REG_FCTRL: f->fcw = (uint16_t)v; break;
	case GDB_REG_FSTAT: f->fsw = (uint16_t)v; break;
	case GDB_REG_FTAG: f->ftwx = abridged_tag((uint32_t)v); break;
	case GDB_REG_FISEG: f->last_ip = (f->last_ip & 0xffffffffull) | v << 32; break;
	case GDB_REG_FIOFF: f->last_ip = (f->last_ip & ~0xffffffffull) | (uint32_t)v; break;
	case GDB_REG_FOSEG: f->last_dp = (f->last_dp & 0xffffffffull) | v << 32; break;
	case GDB_REG_FOOFF: f->last_dp = (f->last_dp & ~0xffffffffull) | (uint32_t)v; break;
	case GDB_REG_FOP: f->last_opcode = (uint16_t)(v & FOP_MASK); break;
	default: f->mxcsr = (uint32_t)v; break;
	}
	return GDB_PART_FPU;
}

/* Registers that only change along with state a value cannot carry. */
static bool read_only(unsigned regno)
{
	return (regno >= GDB_REG_CS && regno <= GDB_REG_GS) || regno == GDB_REG_CR0 || regno == GDB_REG_CR4 ||
	       regno == GDB_REG_EFER;
}

static int store_scalar(struct gdb_cpu *c, unsigned regno, uint64_t v)
{
	if (read_only(regno))
		return v == scalar(c, regno) ? 0 : -EPERM;
	switch (regno) {
	case GDB_REG_RAX ... GDB_REG_R15: *gpr_slot(&c->regs, regno) = v; return GDB_PART_REGS;
	case GDB_REG_RIP: c->regs.rip = v; return GDB_PART_REGS;
	case GDB_REG_EFLAGS:
		if ((v & EFLAGS_RESERVED) || !(v & 2))
			return -EINVAL;
		c->regs.rflags = v;
		return GDB_PART_REGS;
	case GDB_REG_FCTRL ... GDB_REG_FOP:
	case GDB_REG_MXCSR:
		return store_fpu(c, regno, v);
	case GDB_REG_FS_BASE:
	case GDB_REG_GS_BASE:
	case GDB_REG_K_GS_BASE:
		if (!canonical(v))
			return -EINVAL;
		if (regno == GDB_REG_K_GS_BASE) {
			c->kernel_gs_base = v;
			return GDB_PART_MSR;
		}
		(regno == GDB_REG_FS_BASE ? &c->sregs.fs : &c->sregs.gs)->base = v;
		return GDB_PART_SREGS;
	case GDB_REG_CR2: c->sregs.cr2 = v; return GDB_PART_SREGS;
	case GDB_REG_CR3: c->sregs.cr3 = v; return GDB_PART_SREGS;
	case GDB_REG_CR8:
		if (v > 15)
			return -EINVAL;
		c->sregs.cr8 = v;
		return GDB_PART_SREGS;
	default:
		return -ENOENT;
	}
}

int gdb_cpu_store(struct gdb_cpu *c, unsigned regno, const uint8_t *val, unsigned *parts)
{
	if (regno >= GDB_NREGS)
		return -ENOENT;
	int part;
	if (regno >= GDB_REG_ST0 && regno < GDB_REG_ST0 + 8) {
		memcpy(c->fpu.fpr[regno - GDB_REG_ST0], val, X87_BYTES);
		part = GDB_PART_FPU;
	} else if (regno >= GDB_REG_XMM0 && regno < GDB_REG_XMM0 + 16) {
		memcpy(c->fpu.xmm[regno - GDB_REG_XMM0], val, 16);
		part = GDB_PART_FPU;
	} else {
		part = store_scalar(c, regno, get_le(val, sizes[regno]));
	}
	if (part < 0)
		return part;
	*parts |= (unsigned)part;
	return 0;
}
