/* SPDX-License-Identifier: MIT */
/* The rule table (docs/design.md §6): one row per
 * named invariant, in the order they are evaluated and listed.  The rules
 * judge stacks by the flags the model's traits give them, never by a model's
 * name or a stack's kind. */
#include "check/rules.h"

#include <string.h>
#include "rules_impl.h"

static const struct rule rule_table[] = {
	{ "cr3-user-mode",
	  "in user mode CR3 is the running task's user PGD (pti=on) or its PGD (pti=off); pcid=on: user PCID",
	  rule_cr3_user_mode },
	{ "user-cr3-only-in-entry",
	  "kernel code runs on a user CR3 only inside entry text",
	  rule_user_cr3_only_in_entry },
	{ "user-cr3-kernel-access",
	  "while CR3 is a user PGD no kernel-only page is touched (#PF address) and RSP is on no stack it does not map",
	  rule_user_cr3_kernel_access },
	{ "gs-base",
	  "GS.base is this CPU's percpu in the kernel; in user mode KERNEL_GS_BASE holds it and GS.base does not (unless CR4.FSGSBASE lets user mode write it)",
	  rule_gs_base },
	{ "stack-bounds",
	  "kernel RSP on a registered kernel stack, off guard pages, canary intact, >= 64 bytes above base",
	  rule_stack_bounds },
	{ "tss-rsp0",
	  "TR is this CPU's TSS and TSS.RSP0 is the top of the landing stack (the CPU's, or the running task's)",
	  rule_tss_rsp0 },
	{ "ist",
	  "every IST slot the IDT uses points at the top of this CPU's IST stack of that index",
	  rule_ist },
	{ "if-off-on-entry-stack",
	  "interrupts are off while RSP is on a stack every task of the CPU shares (entry, per-vCPU, IST)",
	  rule_if_off_on_entry_stack },
	{ "stack-owner",
	  "a task's stack is used only while it runs, a CPU's only by that CPU; a shared stack the C part of entry runs on holds no other task's live frame",
	  rule_stack_owner },
	{ "sysret-ss",
	  "at the SYSRET of the fast exit SS is a data segment, not the null selector an interrupt from user mode leaves (AMD keeps SS's attributes)",
	  rule_sysret_ss },
	{ "ukl-in-user",
	  "entry=ukl: the in_user word (0 kernel, 1 application, 2 entry/exit) agrees with RSP's stack and RIP",
	  rule_ukl_in_user },
};

const struct rule *rules_table(size_t *count)
{
	if (count)
		*count = sizeof(rule_table) / sizeof(rule_table[0]);
	return rule_table;
}

const struct rule *rules_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(rule_table) / sizeof(rule_table[0]); i++)
		if (strcmp(rule_table[i].name, name) == 0)
			return &rule_table[i];
	return NULL;
}

/* Until the guest has published a valid layout there is no contract to check
 * the state against, so nothing is evaluated (and nothing counted). */
size_t rules_check_all(const struct vcpu_snap *s, const struct layout *l, struct violation *out, size_t max)
{
	size_t failed = 0;

	if (!s || !l || !l->valid)
		return 0;
	for (size_t i = 0; i < sizeof(rule_table) / sizeof(rule_table[0]); i++) {
		struct violation v = { .rule = rule_table[i].name, .detail = "" };
		if (rule_table[i].check(s, l, &v))
			continue;
		if (out && failed < max)
			out[failed] = v;
		failed++;
	}
	return failed;
}
