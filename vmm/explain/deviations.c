/* SPDX-License-Identifier: MIT */
#include "explain/deviations.h"

#include <string.h>

struct deviation {
	const char *backend;
	const char *scenario;
	const char *detail;   /* substring of the guest's result detail */
	const char *why;
};

static const struct deviation known[] = {
	/* Measured: the #PF frame of the repaired SYSCALL shows R11 = 0x4246 (NT
	 * set), and the guest's sysretq -- or the VMM writing RFLAGS itself --
	 * still lands in ring 3 with NT clear.  QEMU TCG keeps NT. */
	{ "pvm", "nt-syscall", "exited 0x604",
	  "kvm_pvm enters ring 3 with RFLAGS.NT clear although the SYSRET/IRET (or the VMM) set it" },
	/* Measured: the kernel's sysretl (CS 0x23 from MSR_STAR) lands in the
	 * 64-bit code segment; the same frame returned by IRET reaches
	 * compatibility mode.  QEMU TCG and svm return to 0x23. */
	{ "pvm", "compat-entry", "SYSCALL: came back outside compatibility mode",
	  "kvm_pvm's SYSRETL returns to the 64-bit code segment instead of the 32-bit one" },
	/* Measured: an NMI made pending inside the NMI handler arrives only after
	 * that handler's own IRET, not at the IRET of a #UD it took before; QEMU
	 * TCG and svm deliver it at the #UD's IRET, nested. */
	{ "pvm", "nested-nmi", "the second NMI did not nest",
	  "kvm_pvm keeps NMIs blocked across the IRET of an exception inside the NMI handler" },
	/* Measured: the guest's IRET to ring 3 with SS = 0x7 (its LDT's 16-bit
	 * data segment, which 32-bit code loaded with MOV SS just before) raises
	 * #GP(0x4) in ring 0, on the kernel stack or on the espfix ministack
	 * (there by way of #DF); QEMU TCG returns to that SS. */
	{ "pvm", "espfix", "the IRET to the 16-bit SS faulted in ring 0",
	  "kvm_pvm raises #GP(selector) at an IRET to ring 3 whose SS comes from the guest's LDT" },
	/* design.md §10: int $n (n != 3) from ring 3 gives #UD on kvm_pvm. */
	{ "pvm", "compat-entry", "int $0x80 raised #UD",
	  "kvm_pvm turns int $n from ring 3 into #UD" },
};

const char *deviation_explain(const struct run_result *r)
{
	if (strcmp(r->outcome, r->expected) == 0 || r->nviolations)
		return NULL;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const struct deviation *d = &known[i];
		if (strcmp(r->backend, d->backend) == 0 && strcmp(r->scenario, d->scenario) == 0 &&
		    strstr(r->detail, d->detail))
			return d->why;
	}
	return NULL;
}
