/* SPDX-License-Identifier: MIT */
/*
 * What the entry stubs leave on the stack and hand to C, for the assembler
 * and C alike: every offset the assembler uses into these frames is named
 * here and checked against the C structure it stands for.
 */
#ifndef ENTRYBOX_FRAMES_H
#define ENTRYBOX_FRAMES_H

#include "entrybox/x86.h"

/* Or-ed into the vector an exception stub passes to C when the exception
 * was a faulting IRET to user, turned into a fault of the user context. */
#define ENTRY_VEC_BAD_IRET 0x100

/* The error code an NMI's handler sees when a nested NMI made the first one
 * repeat its work (calling.h's NMI_ENTRY); otherwise 0. */
#define NMI_REPEAT_ASKED 2

/* struct ebx_pt_regs (abi.h), as PUSH_REGS builds it below the hardware
 * frame: its tail from PTR_RIP is the frame the CPU pushes (IRET_*). */
#define PTR_R15      0
#define PTR_R14      8
#define PTR_R13      16
#define PTR_R12      24
#define PTR_RBP      32
#define PTR_RBX      40
#define PTR_R11      48
#define PTR_R10      56
#define PTR_R9       64
#define PTR_R8       72
#define PTR_RAX      80
#define PTR_RCX      88
#define PTR_RDX      96
#define PTR_RSI      104
#define PTR_RDI      112
#define PTR_ORIG_RAX 120
#define PTR_RIP      128
#define PTR_CS       136
#define PTR_RFLAGS   144
#define PTR_RSP      152
#define PTR_SS       160
#define PTR_SIZE     168

/* A vector stub's frame: the vector and the error code (the CPU's, or -1)
 * on top of the hardware frame.  The error code sits where pt_regs has
 * orig_rax, so the frame below the vector becomes pt_regs' tail. */
#define STUB_VECTOR      0
#define STUB_ERROR       8
#define STUB_RIP         (16 + IRET_RIP)
#define STUB_CS          (16 + IRET_CS)
#define STUB_RFLAGS      (16 + IRET_RFLAGS)
#define STUB_RSP         (16 + IRET_RSP)
#define STUB_SS          (16 + IRET_SS)
#define STUB_FRAME_SIZE  (16 + IRET_FRAME_SIZE)

#ifndef __ASSEMBLER__
#include <stddef.h>
#include "entrybox/abi.h"

struct entry_stub_frame {
	uint64_t vector, error;
	struct x86_iret_frame hw;
};

_Static_assert(offsetof(struct ebx_pt_regs, r15) == PTR_R15, "pt_regs offsets");
_Static_assert(offsetof(struct ebx_pt_regs, r14) == PTR_R14, "pt_regs offsets");
_Static_assert(offsetof(struct ebx_pt_regs, r13) == PTR_R13, "pt_regs offsets");
_Static_assert(offsetof(struct ebx_pt_regs, r12) == PTR_R12, "pt_regs offsets");
_Static_assert(offsetof(struct ebx_pt_regs, rbp) == PTR_RBP, "pt_regs offsets");
_Static_assert(offsetof(struct ebx_pt_regs, rbx) == PTR_RBX, "pt_regs offsets");
_Static_assert(offsetof(struct ebx_pt_regs, r11) == PTR_R11, "pt_regs offsets");
_Static_assert(offsetof(struct ebx_pt_regs, r10) == PTR_R10, "pt_regs offsets");
_Static_assert(offsetof(struct ebx_pt_regs, r9) == PTR_R9, "pt_regs offsets");
_Static_assert(offsetof(struct ebx_pt_regs, r8) == PTR_R8, "pt_regs offsets");
_Static_assert(offsetof(struct ebx_pt_regs, rax) == PTR_RAX, "pt_regs offsets");
_Static_assert(offsetof(struct ebx_pt_regs, rcx) == PTR_RCX, "pt_regs offsets");
_Static_assert(offsetof(struct ebx_pt_regs, rdx) == PTR_RDX, "pt_regs offsets");
_Static_assert(offsetof(struct ebx_pt_regs, rsi) == PTR_RSI, "pt_regs offsets");
_Static_assert(offsetof(struct ebx_pt_regs, rdi) == PTR_RDI, "pt_regs offsets");
_Static_assert(offsetof(struct ebx_pt_regs, orig_rax) == PTR_ORIG_RAX, "pt_regs offsets");
_Static_assert(offsetof(struct ebx_pt_regs, rip) == PTR_RIP, "pt_regs offsets");
_Static_assert(offsetof(struct ebx_pt_regs, cs) == PTR_CS, "pt_regs offsets");
_Static_assert(offsetof(struct ebx_pt_regs, rflags) == PTR_RFLAGS, "pt_regs offsets");
_Static_assert(offsetof(struct ebx_pt_regs, rsp) == PTR_RSP, "pt_regs offsets");
_Static_assert(offsetof(struct ebx_pt_regs, ss) == PTR_SS, "pt_regs offsets");
_Static_assert(sizeof(struct ebx_pt_regs) == PTR_SIZE, "pt_regs size");
/* The hardware frame ends pt_regs, with orig_rax where the error code was. */
_Static_assert(PTR_RIP + IRET_FRAME_SIZE == PTR_SIZE, "pt_regs ends with the hardware frame");
_Static_assert(PTR_CS - PTR_RIP == IRET_CS && PTR_RFLAGS - PTR_RIP == IRET_RFLAGS &&
	       PTR_RSP - PTR_RIP == IRET_RSP && PTR_SS - PTR_RIP == IRET_SS, "pt_regs' hardware frame");
_Static_assert(PTR_RIP - PTR_ORIG_RAX == STUB_RIP - STUB_ERROR, "the error code becomes orig_rax");

_Static_assert(offsetof(struct entry_stub_frame, vector) == STUB_VECTOR, "stub frame");
_Static_assert(offsetof(struct entry_stub_frame, error) == STUB_ERROR, "stub frame");
_Static_assert(offsetof(struct entry_stub_frame, hw.rip) == STUB_RIP, "stub frame");
_Static_assert(offsetof(struct entry_stub_frame, hw.cs) == STUB_CS, "stub frame");
_Static_assert(offsetof(struct entry_stub_frame, hw.rflags) == STUB_RFLAGS, "stub frame");
_Static_assert(offsetof(struct entry_stub_frame, hw.rsp) == STUB_RSP, "stub frame");
_Static_assert(offsetof(struct entry_stub_frame, hw.ss) == STUB_SS, "stub frame");
_Static_assert(sizeof(struct entry_stub_frame) == STUB_FRAME_SIZE, "stub frame size");
#endif

#endif
