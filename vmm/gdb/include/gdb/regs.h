/* SPDX-License-Identifier: MIT */
/*
 * The registers gdb sees, in the order of the target description
 * (`gdb_target_xml()`): gdb's x86-64 core (general registers, RIP, EFLAGS,
 * selectors, x87), SSE, the FS/GS bases, and a system feature of our own
 * (KERNEL_GS_BASE, CR0, CR2, CR3, CR4, CR8, EFER), all in that order in a
 * `g` packet.  Pure: a vCPU's state in, bytes out and back, so the mapping
 * is tested without KVM.
 */
#ifndef ENTRYBOX_GDB_REGS_H
#define ENTRYBOX_GDB_REGS_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gdb_regno {
	GDB_REG_RAX = 0, GDB_REG_RBX, GDB_REG_RCX, GDB_REG_RDX, GDB_REG_RSI, GDB_REG_RDI, GDB_REG_RBP, GDB_REG_RSP,
	GDB_REG_R8, GDB_REG_R15 = GDB_REG_R8 + 7,
	GDB_REG_RIP, GDB_REG_EFLAGS,
	GDB_REG_CS, GDB_REG_SS, GDB_REG_DS, GDB_REG_ES, GDB_REG_FS, GDB_REG_GS,
	GDB_REG_ST0, GDB_REG_FCTRL = GDB_REG_ST0 + 8, GDB_REG_FSTAT, GDB_REG_FTAG, GDB_REG_FISEG, GDB_REG_FIOFF,
	GDB_REG_FOSEG, GDB_REG_FOOFF, GDB_REG_FOP,
	GDB_REG_XMM0, GDB_REG_MXCSR = GDB_REG_XMM0 + 16,
	GDB_REG_FS_BASE, GDB_REG_GS_BASE,
	GDB_REG_K_GS_BASE, GDB_REG_CR0, GDB_REG_CR2, GDB_REG_CR3, GDB_REG_CR4, GDB_REG_CR8, GDB_REG_EFER,
	GDB_NREGS
};

struct gdb_reg_desc {
	const char *name;
	unsigned bytes;
	unsigned offset;          /* into a `g` packet's bytes */
};

/* The register's name, size and place in a `g` packet; false past the last. */
bool gdb_reg(unsigned regno, struct gdb_reg_desc *out);
/* The bytes of a whole `g` packet. */
size_t gdb_regs_size(void);
/* The target description (one document, every feature inline). */
const char *gdb_target_xml(size_t *len);

/* One vCPU's state as the debugger reads and writes it. */
struct gdb_cpu {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	uint64_t kernel_gs_base;  /* MSR_KERNEL_GS_BASE */
};

/* Which parts of a gdb_cpu a store changed. */
enum gdb_cpu_part { GDB_PART_REGS = 1, GDB_PART_SREGS = 2, GDB_PART_FPU = 4, GDB_PART_MSR = 8 };

/* All registers in `g` order into out (gdb_regs_size() bytes). */
void gdb_cpu_encode(const struct gdb_cpu *c, uint8_t *out);
/*
 * One register from its `g` bytes (little-endian, gdb_reg(regno)->bytes).
 * 0 and the changed part ORed into *parts; -EPERM for a register the
 * debugger may not change (a selector, CR0, CR4, EFER: loading them takes
 * more than a value) unless the value is the one it has; -EINVAL for a
 * non-canonical base or a value with reserved bits; -ENOENT past the last.
 */
int gdb_cpu_store(struct gdb_cpu *c, unsigned regno, const uint8_t *val, unsigned *parts);

#endif
