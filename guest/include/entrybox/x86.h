/* SPDX-License-Identifier: MIT */
/*
 * x86-64 facts (Intel SDM), written once for the guest kernel, the entry
 * models and the VMM: exception vectors and error codes, RFLAGS, control
 * registers, EFER, debug registers, MSRs, selectors and descriptors, the IDT
 * gate, the frame the CPU pushes on an event, the 64-bit TSS, the local APIC.
 *
 * Usable from C and from the assembler: constants are plain expressions
 * (X86_BIT() is 1ull << n in C, 1 << n in gas; a _NR name is a bit's number,
 * for bt/bts); structures and the decode helpers are C only.  Paging -- PTE bits, CR3 fields -- is pagetables.h's.
 * Nothing here is entrybox's own choice: selectors, IST assignment and the
 * KPTI CR3 convention are the guest's (entry/percpu.h).
 */
#ifndef ENTRYBOX_X86_H
#define ENTRYBOX_X86_H

#ifdef __ASSEMBLER__
#define X86_UL(x)   x
#else
#define X86_UL(x)   x##ull
#endif
#define X86_BIT(n)  (X86_UL(1) << (n))

#define X86_MAX_INSN_LEN 15   /* bytes: a longer instruction raises #GP */

/* ---- exception vectors (SDM vol. 3 §6.3.1) ---------------------------------------------- */
#define VEC_DE      0    /* divide error */
#define VEC_DB      1    /* debug */
#define VEC_NMI     2
#define VEC_BP      3    /* int3 */
#define VEC_OF      4    /* into */
#define VEC_BR      5    /* bound */
#define VEC_UD      6    /* invalid opcode */
#define VEC_NM      7    /* device not available */
#define VEC_DF      8    /* double fault (error code 0) */
#define VEC_OLD_MF  9    /* coprocessor segment overrun: never raised in long mode */
#define VEC_TS      10   /* invalid TSS */
#define VEC_NP      11   /* segment not present */
#define VEC_SS      12   /* stack-segment fault */
#define VEC_GP      13   /* general protection */
#define VEC_PF      14   /* page fault */
#define VEC_MF      16   /* x87 floating point */
#define VEC_AC      17   /* alignment check */
#define VEC_MC      18   /* machine check */
#define VEC_XM      19   /* SIMD floating point */
#define VEC_VE      20   /* virtualization exception */
#define VEC_CP      21   /* control protection */
#define VEC_HV      28   /* hypervisor injection (AMD) */
#define VEC_VC      29   /* VMM communication (AMD) */
#define VEC_SX      30   /* security exception (AMD) */
#define VEC_COMPAT_SYSCALL 0x80  /* int $0x80: the 32-bit syscall gate (Linux's IA32_SYSCALL_VECTOR) */
#define X86_EXCEPTIONS  32   /* vectors 0..31 are the CPU's; 32..255 are interrupts */
#define IDT_ENTRIES     256

/* The exceptions that push an error code (1, else 0; gas and C alike). */
#define VEC_HAS_ERROR(v) ((v) == VEC_DF || (v) == VEC_TS || (v) == VEC_NP || (v) == VEC_SS || \
			  (v) == VEC_GP || (v) == VEC_PF || (v) == VEC_AC || (v) == VEC_CP || \
			  (v) == VEC_VC || (v) == VEC_SX)

/* #PF error code. */
#define PF_ERR_PRESENT  X86_BIT(0)   /* a protection violation, not a missing page */
#define PF_ERR_WRITE    X86_BIT(1)
#define PF_ERR_USER     X86_BIT(2)   /* CPL 3 */
#define PF_ERR_RSVD     X86_BIT(3)   /* a reserved bit set in a paging entry */
#define PF_ERR_FETCH    X86_BIT(4)   /* instruction fetch */

/* ---- RFLAGS ---------------------------------------------------------------------------- */
#define RFLAGS_CF       X86_BIT(0)
#define RFLAGS_FIXED_NR 1             /* reads as 1, must be written as 1 */
#define RFLAGS_FIXED    X86_BIT(RFLAGS_FIXED_NR)
#define RFLAGS_PF       X86_BIT(2)
#define RFLAGS_AF       X86_BIT(4)
#define RFLAGS_ZF       X86_BIT(6)
#define RFLAGS_SF       X86_BIT(7)
#define RFLAGS_TF       X86_BIT(8)
#define RFLAGS_IF       X86_BIT(9)
#define RFLAGS_DF       X86_BIT(10)
#define RFLAGS_OF       X86_BIT(11)
#define RFLAGS_IOPL     (X86_UL(3) << 12)
#define RFLAGS_NT       X86_BIT(14)
#define RFLAGS_RF       X86_BIT(16)
#define RFLAGS_VM       X86_BIT(17)
#define RFLAGS_AC       X86_BIT(18)
#define RFLAGS_VIF      X86_BIT(19)
#define RFLAGS_VIP      X86_BIT(20)
#define RFLAGS_ID       X86_BIT(21)
/* What SYSRET restores from R11: RFLAGS := (R11 & this) | RFLAGS_FIXED. */
#define RFLAGS_SYSRET_MASK X86_UL(0x3c7fd7)

/* ---- control registers ----------------------------------------------------------------- */
#define CR0_PE          X86_BIT(0)    /* protected mode */
#define CR0_MP          X86_BIT(1)
#define CR0_EM          X86_BIT(2)
#define CR0_TS          X86_BIT(3)
#define CR0_ET          X86_BIT(4)
#define CR0_NE          X86_BIT(5)
#define CR0_WP          X86_BIT(16)   /* supervisor writes honour read-only pages */
#define CR0_AM          X86_BIT(18)
#define CR0_NW          X86_BIT(29)
#define CR0_CD          X86_BIT(30)
#define CR0_PG          X86_BIT(31)   /* paging */

/* CR3's fields (PGD address, PCID, NOFLUSH) are pagetables.h's: PT_CR3_*. */

#define CR4_VME         X86_BIT(0)
#define CR4_PVI         X86_BIT(1)
#define CR4_TSD         X86_BIT(2)
#define CR4_DE          X86_BIT(3)
#define CR4_PSE         X86_BIT(4)
#define CR4_PAE         X86_BIT(5)
#define CR4_MCE         X86_BIT(6)
#define CR4_PGE         X86_BIT(7)
#define CR4_PCE         X86_BIT(8)
#define CR4_OSFXSR      X86_BIT(9)
#define CR4_OSXMMEXCPT  X86_BIT(10)
#define CR4_UMIP        X86_BIT(11)
#define CR4_LA57        X86_BIT(12)
#define CR4_FSGSBASE    X86_BIT(16)
#define CR4_PCIDE       X86_BIT(17)
#define CR4_OSXSAVE     X86_BIT(18)
#define CR4_SMEP        X86_BIT(20)
#define CR4_SMAP        X86_BIT(21)
#define CR4_PKE         X86_BIT(22)

/* ---- debug registers ------------------------------------------------------------------- */
#define DR6_B(n)        X86_BIT(n)    /* breakpoint n (0..3) matched */
#define DR6_BD          X86_BIT(13)
#define DR6_BS          X86_BIT(14)   /* single step */
#define DR6_BT          X86_BIT(15)
#define DR6_RESET_VALUE X86_UL(0xffff0ff0)  /* the bits that read as 1; the CPU never clears the rest */
#define DR7_L(n)        X86_BIT((n) * 2)       /* breakpoint n enabled (local) */
#define DR7_G(n)        X86_BIT((n) * 2 + 1)   /* breakpoint n enabled (global) */
#define DR7_FIXED       X86_BIT(10)            /* reads as 1 */
#define DR7_GD          X86_BIT(13)
#define DR7_RW_SHIFT(n)  (16 + (n) * 4)        /* 00 execute, 01 write, 11 read/write */
#define DR7_LEN_SHIFT(n) (18 + (n) * 4)        /* 00 1 byte, 01 2, 11 4, 10 8 */

/* ---- MSRs ------------------------------------------------------------------------------ */
#define MSR_APIC_BASE       0x0000001b
#define MSR_EFER            0xc0000080
#define MSR_STAR            0xc0000081   /* SYSCALL CS in 47:32, SYSRET CS base in 63:48 */
#define MSR_LSTAR           0xc0000082   /* SYSCALL target in 64-bit mode */
#define MSR_CSTAR           0xc0000083   /* SYSCALL target in compatibility mode */
#define MSR_SFMASK          0xc0000084   /* RFLAGS bits SYSCALL clears */
#define MSR_FS_BASE         0xc0000100
#define MSR_GS_BASE         0xc0000101
#define MSR_KERNEL_GS_BASE  0xc0000102   /* swapped with GS.base by swapgs */
#define STAR_SYSCALL_CS_SHIFT 32         /* SYSCALL: CS = this, SS = this + 8 */
#define STAR_SYSRET_CS_SHIFT  48         /* SYSRET to 64-bit: CS = this + 16, SS = this + 8 */

#define EFER_SCE        X86_BIT(0)    /* SYSCALL/SYSRET */
#define EFER_LME        X86_BIT(8)    /* long mode enable */
#define EFER_LMA        X86_BIT(10)   /* long mode active */
#define EFER_NXE        X86_BIT(11)   /* no-execute pages */

/* ---- CPUID ----------------------------------------------------------------------------- */
#define CPUID1_ECX_PCID        X86_BIT(17)
#define CPUID1_ECX_X2APIC      X86_BIT(21)
#define CPUID1_ECX_HYPERVISOR  X86_BIT(31)
#define CPUID7_EBX_FSGSBASE    X86_BIT(0)    /* leaf 7 subleaf 0 */

/* ---- the local APIC in xAPIC mode (SDM vol. 3 §11) ------------------------------------ */
#define APIC_DEFAULT_PHYS   0xfee00000   /* its register page after reset */
#define APIC_ID             0x020        /* ID in bits 31:24 */
#define APIC_ID_SHIFT       24
#define APIC_TPR            0x080
#define APIC_EOI            0x0b0
#define APIC_SVR            0x0f0        /* spurious vector in bits 7:0 */
#define APIC_ICR_LOW        0x300        /* writing it sends the IPI */
#define APIC_ICR_HIGH       0x310        /* destination in bits 31:24 */
#define APIC_LVT_TIMER      0x320
#define APIC_TIMER_INIT     0x380
#define APIC_TIMER_CUR      0x390
#define APIC_TIMER_DIV      0x3e0
#define APIC_SVR_ENABLE     X86_BIT(8)
#define APIC_LVT_MASKED     X86_BIT(16)
#define APIC_LVT_PERIODIC   X86_BIT(17)
#define APIC_TIMER_DIV_1    0xb
#define APIC_TIMER_DIV_16   0x3
#define APIC_ICR_INIT       (X86_UL(5) << 8)
#define APIC_ICR_STARTUP    (X86_UL(6) << 8)
#define APIC_ICR_NMI        (X86_UL(4) << 8)
#define APIC_ICR_PENDING    X86_BIT(12)
#define APIC_ICR_ASSERT     X86_BIT(14)
#define APIC_ICR_DEST_SHIFT 24
/* An MSI is a write to this page: destination APIC ID in address bits 19:12,
 * vector in the data's bits 7:0 (physical mode, fixed delivery). */
#define MSI_ADDR_BASE       APIC_DEFAULT_PHYS
#define MSI_ADDR_DEST_SHIFT 12

/* ---- selectors and segment descriptors ------------------------------------------------- */
#define SEL_RPL_MASK    3             /* requested privilege level; in CS, the CPL */
#define SEL_TI          X86_BIT(2)    /* LDT, not GDT */
#define SEL_INDEX_SHIFT 3

/* Access byte (descriptor bits 47:40). */
#define DESC_ACCESSED   0x01
#define DESC_RW         0x02          /* code: readable; data: writable */
#define DESC_CODE       0x08
#define DESC_S          0x10          /* code or data, not a system descriptor */
#define DESC_DPL(n)     ((n) << 5)
#define DESC_P          0x80
/* System descriptor and gate types (access byte bits 3:0, S clear). */
#define DESC_TYPE_LDT        0x2
#define DESC_TYPE_TSS64      0x9      /* available 64-bit TSS */
#define DESC_TYPE_TSS64_BUSY 0xb
#define DESC_TYPE_INTR_GATE  0xe      /* clears IF on delivery */
#define DESC_TYPE_TRAP_GATE  0xf
/* Flags (descriptor bits 55:52). */
#define DESC_FLAG_L     0x2           /* 64-bit code segment */
#define DESC_FLAG_DB    0x4           /* 32-bit default operand size / stack */
#define DESC_FLAG_G     0x8           /* limit counted in 4 KiB pages */

/* An 8-byte descriptor; the low half of a 16-byte system descriptor, whose
 * high half is base >> 32. */
#define DESC_SEG(base, limit, access, flags)                                                 \
	(((limit) & X86_UL(0xffff)) | (((base) & X86_UL(0xffffff)) << 16) |                  \
	 (((access) & X86_UL(0xff)) << 40) | ((((limit) >> 16) & X86_UL(0xf)) << 48) |        \
	 (((flags) & X86_UL(0xf)) << 52) | ((((base) >> 24) & X86_UL(0xff)) << 56))
/* Flat segments, base 0 and 4 GiB, as long mode leaves them. */
#define DESC_FLAT(access, flags)  DESC_SEG(0, 0xfffff, access, flags)
#define DESC_CODE64(dpl)   DESC_FLAT(DESC_P | DESC_DPL(dpl) | DESC_S | DESC_CODE | DESC_RW | DESC_ACCESSED, \
				     DESC_FLAG_G | DESC_FLAG_L)
#define DESC_CODE32(dpl)   DESC_FLAT(DESC_P | DESC_DPL(dpl) | DESC_S | DESC_CODE | DESC_RW | DESC_ACCESSED, \
				     DESC_FLAG_G | DESC_FLAG_DB)
#define DESC_DATA(dpl)     DESC_FLAT(DESC_P | DESC_DPL(dpl) | DESC_S | DESC_RW | DESC_ACCESSED, \
				     DESC_FLAG_G | DESC_FLAG_DB)

/* ---- what the CPU pushes on an event in 64-bit mode (SDM vol. 3 §6.14.2) ------------- */
/* Below it, for some exceptions, the error code; IRETQ pops exactly this. */
#define IRET_RIP        0
#define IRET_CS         8
#define IRET_RFLAGS     16
#define IRET_RSP        24
#define IRET_SS         32
#define IRET_FRAME_SIZE 40

/* ---- the 64-bit TSS (SDM vol. 3 §8.7) -------------------------------------------------- */
#define TSS_RSP0        4
#define TSS_IST(n)      (36 + 8 * ((n) - 1))   /* IST1..IST7 */
#define TSS_IOMAP_BASE  102
#define TSS_SIZE        104

/* ---- IDT gates (SDM vol. 3 §6.14.1): 16 bytes each --------------------------------------- */
#define GATE_SIZE       16

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct x86_iret_frame {
	uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(offsetof(struct x86_iret_frame, rip) == IRET_RIP, "iret frame");
_Static_assert(offsetof(struct x86_iret_frame, cs) == IRET_CS, "iret frame");
_Static_assert(offsetof(struct x86_iret_frame, rflags) == IRET_RFLAGS, "iret frame");
_Static_assert(offsetof(struct x86_iret_frame, rsp) == IRET_RSP, "iret frame");
_Static_assert(offsetof(struct x86_iret_frame, ss) == IRET_SS, "iret frame");
_Static_assert(sizeof(struct x86_iret_frame) == IRET_FRAME_SIZE, "iret frame");

struct x86_tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(offsetof(struct x86_tss, rsp) == TSS_RSP0, "TSS layout");
_Static_assert(offsetof(struct x86_tss, ist) == TSS_IST(1), "TSS layout");
_Static_assert(offsetof(struct x86_tss, ist[6]) == TSS_IST(7), "TSS layout");
_Static_assert(offsetof(struct x86_tss, iomap_base) == TSS_IOMAP_BASE, "TSS layout");
_Static_assert(sizeof(struct x86_tss) == TSS_SIZE, "TSS size");

/* An IDT gate as two quadwords: offset 15:0, selector, IST, type/DPL/P,
 * offset 31:16 | offset 63:32. */
struct x86_gate {
	uint64_t lo, hi;
};
_Static_assert(sizeof(struct x86_gate) == GATE_SIZE, "IDT gate size");

static inline struct x86_gate x86_gate_make(uint64_t target, uint16_t selector, unsigned ist, unsigned type,
					    unsigned dpl)
{
	uint64_t access = DESC_P | DESC_DPL((uint64_t)dpl & 3) | (type & 0xf);
	struct x86_gate g = {
		.lo = (target & 0xffff) | ((uint64_t)selector << 16) | ((uint64_t)(ist & 7) << 32) | (access << 40) |
		      (((target >> 16) & 0xffff) << 48),
		.hi = target >> 32,
	};
	return g;
}

/* A gate as it lies in memory (little-endian), e.g. read from a guest's IDT. */
static inline struct x86_gate x86_gate_from_bytes(const uint8_t raw[GATE_SIZE])
{
	struct x86_gate g = { 0, 0 };
	for (unsigned i = 0; i < 8; i++) {
		g.lo |= (uint64_t)raw[i] << (8 * i);
		g.hi |= (uint64_t)raw[8 + i] << (8 * i);
	}
	return g;
}

static inline uint64_t x86_gate_target(struct x86_gate g)
{
	return (g.lo & 0xffff) | (((g.lo >> 48) & 0xffff) << 16) | ((g.hi & 0xffffffff) << 32);
}
static inline uint16_t x86_gate_selector(struct x86_gate g) { return (uint16_t)(g.lo >> 16); }
static inline unsigned x86_gate_ist(struct x86_gate g) { return (unsigned)(g.lo >> 32) & 7; }
static inline unsigned x86_gate_type(struct x86_gate g) { return (unsigned)(g.lo >> 40) & 0xf; }
static inline unsigned x86_gate_dpl(struct x86_gate g) { return (unsigned)(g.lo >> 45) & 3; }
static inline bool x86_gate_present(struct x86_gate g) { return ((g.lo >> 40) & DESC_P) != 0; }

static inline struct x86_gate x86_gate_with_ist(struct x86_gate g, unsigned ist)
{
	g.lo = (g.lo & ~(7ull << 32)) | ((uint64_t)(ist & 7) << 32);
	return g;
}

/* "#PF" and the like for vectors 0..31; NULL for interrupts. */
static inline const char *x86_vector_name(unsigned v)
{
	static const char *const names[X86_EXCEPTIONS] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#MF-old", "#TS", "#NP",
		"#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23",
		"#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
	};
	return v < X86_EXCEPTIONS ? names[v] : NULL;
}
#endif /* !__ASSEMBLER__ */

#endif
