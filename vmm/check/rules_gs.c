/* SPDX-License-Identifier: MIT */
/* Rule gs-base: SWAPGS discipline.  The kernel finds its per-CPU data through
 * GS; user mode must leave it in KERNEL_GS_BASE for the next SWAPGS on entry,
 * and -- unless it can write GS itself (CR4.FSGSBASE) -- never hold it in GS. */
#include "rules_impl.h"

#include <inttypes.h>

#define CR4_FSGSBASE (1ull << 16)

/* With CR4.FSGSBASE user mode writes any GS base it likes with WRGSBASE,
 * a per-CPU page's address included: seeing one in GS proves nothing then. */
static bool user_writes_gs(const struct vcpu_snap *s)
{
	return (s->cr4 & CR4_FSGSBASE) != 0;
}

static bool check_user_gs(const struct vcpu_snap *s, const struct layout *l, uint64_t percpu,
			  struct violation *v)
{
	for (uint32_t i = 0; i < l->raw.ncpus && !user_writes_gs(s); i++)
		if (s->gs_base == l->raw.cpus[i].percpu_gva)
			return rule_fail(v, "%s with GS.base=0x%" PRIx64 ": percpu of cpu %" PRIu32
					 " (expects a user GS base)", snap_mode_name(s), s->gs_base, i);
	if (s->kernel_gs_base != percpu)
		return rule_fail(v, "%s with KERNEL_GS_BASE=0x%" PRIx64 ": expects cpu %" PRIu32
				 " percpu 0x%" PRIx64, snap_mode_name(s), s->kernel_gs_base, s->cpu, percpu);
	return true;
}

bool rule_gs_base(const struct vcpu_snap *s, const struct layout *l, struct violation *v)
{
	uint64_t percpu;

	if (!rule_have_layout(s, l, true, v))
		return false;
	percpu = l->raw.cpus[s->cpu].percpu_gva;
	if (snap_user_mode(s))
		return check_user_gs(s, l, percpu, v);
	if (layout_in_entry_text(l, s->rip)) {
		/* Entry code swaps GS somewhere in its first instructions, so either
		 * side may hold the percpu here -- but only one of them, unless user
		 * mode wrote it into GS itself. */
		if ((s->gs_base == percpu) != (s->kernel_gs_base == percpu))
			return true;
		if (s->gs_base == percpu && user_writes_gs(s))
			return true;
		return rule_fail(v, "CPL%u in entry text RIP=0x%" PRIx64 ": GS.base=0x%" PRIx64
				 " KERNEL_GS_BASE=0x%" PRIx64 " (expects exactly one = cpu %" PRIu32
				 " percpu 0x%" PRIx64 ")", s->cpl, s->rip, s->gs_base, s->kernel_gs_base,
				 s->cpu, percpu);
	}
	if (s->gs_base != percpu)
		return rule_fail(v, "CPL%u RIP=0x%" PRIx64 " with GS.base=0x%" PRIx64 ": expects cpu %"
				 PRIu32 " percpu 0x%" PRIx64, s->cpl, s->rip, s->gs_base, s->cpu, percpu);
	return true;
}
