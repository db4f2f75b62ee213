/* SPDX-License-Identifier: MIT */
#include "cpu/nmi.h"
#include "cpu/cpu.h"
#include "cpu/lapic.h"
#include "lib/printf.h"
#include "scenarios/scenario.h"
#include "percpu.h"
#include "frames.h"
#include "user/user_abi.h"

#define PROBE_WAIT 1000000

struct nmi_cpu {
	unsigned handled;           /* NMIs whose handler ran here */
	unsigned in_handler;        /* depth: the handler runs now */
	unsigned overlapped;        /* a handler began while another ran: its frames were overwritten */
	unsigned repeats;           /* rounds a nested NMI asked the first one to repeat */
	bool probe_armed;           /* the next NMI here provokes a nested one */
};

static struct nmi_cpu cpus[EBX_MAX_CPUS];

extern const char nmi_probe_ud2[];

/* The exception whose IRET unblocks NMIs inside the handler. */
static void nmi_probe_fault(void)
{
	__asm__ volatile(".globl nmi_probe_ud2\n"
			 "nmi_probe_ud2:\n\t"
			 "ud2" : : : "memory");
}

void nmi_handle(struct ebx_pt_regs *regs)
{
	struct nmi_cpu *c = &cpus[this_cpu()->cpu % EBX_MAX_CPUS];

	if (c->in_handler++) {
		/* Only an NMI entry without the nested-NMI logic lets a second
		 * handler start on the same stack as the first, whose hardware
		 * frame, registers and C frames this one has just overwritten:
		 * nothing can return there, so say so while we can. */
		char detail[128];

		c->overlapped++;
		ksnprintf(detail, sizeof(detail), "cpu %u: a nested NMI ran its handler over the first NMI's stack (frame "
			  "overwritten; interrupted rip 0x%llx)", this_cpu()->cpu, (unsigned long long)regs->rip);
		scenario_failed_now(detail);
	}
	c->handled++;
	if (regs->orig_rax == NMI_REPEAT_ASKED)
		c->repeats++;
	if (c->probe_armed) {
		c->probe_armed = false;
		/* Pending until an IRET: the #UD's, right here. */
		lapic_send_self_nmi();
		nmi_probe_fault();
	}
	c->in_handler--;
}

bool nmi_probe_fixup(struct ebx_pt_regs *regs)
{
	if (regs->rip != (uint64_t)nmi_probe_ud2)
		return false;
	regs->rip += 2;
	return true;
}

long nmi_nest_probe(struct task *t)
{
	struct nmi_cpu *c = &cpus[this_cpu()->cpu % EBX_MAX_CPUS];
	unsigned before = c->handled, overlapped = c->overlapped, repeats = c->repeats;

	(void)t;
	c->probe_armed = true;
	if (!lapic_send_self_nmi())
		return NMI_NEST_NOT_SENT;
	/* NMIs are not masked by IF: both arrive before the ICR is read back idle;
	 * wait a little for a slow hypervisor anyway. */
	for (unsigned i = 0; i < PROBE_WAIT && c->handled < before + 2; i++)
		__asm__ volatile("pause");
	if (c->overlapped != overlapped)
		return NMI_NEST_OVERLAPPED;
	if (c->handled != before + 2)
		return NMI_NEST_MISSING;
	return c->repeats == repeats + 1 ? 0 : NMI_NEST_NOT_NESTED;
}
