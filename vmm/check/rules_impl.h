/* SPDX-License-Identifier: MIT */
/*
 * Internal to the rule files: the rule functions the table in rules.c lists,
 * and the snapshot classification they share (rules_snap.c).
 */
#ifndef ENTRYBOX_RULES_IMPL_H
#define ENTRYBOX_RULES_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "check/rules.h"

/* Lowest non-canonical address above the user half: every user address is below it. */
#define RULE_USER_LIMIT   0x0000800000000000ull
#define RULE_RFLAGS_IF    (1ull << 9)

/* Formats v->detail (one line) and returns false, so a rule can `return rule_fail(...)`. */
__attribute__((format(printf, 2, 3)))
bool rule_fail(struct violation *v, const char *fmt, ...);

/* The layout is validated and (with need_cpu) the snapshot's CPU is one of it;
 * otherwise fills v and returns false. */
bool rule_have_layout(const struct vcpu_snap *s, const struct layout *l, bool need_cpu,
		      struct violation *v);

/* User mode as the rules judge it: CPL 3, or the first instruction after an
 * entry from CPL 3, where CR3 and GS still hold the user's values. */
bool snap_user_mode(const struct vcpu_snap *s);
/* "CPL3" or "user boundary", for details. */
const char *snap_mode_name(const struct vcpu_snap *s);
uint64_t snap_pgd(const struct vcpu_snap *s);

/* Reads guest memory as the kernel sees it: under CR3, and when CR3 is the user
 * half of a KPTI pair that lacks the page, under that pair's kernel half. */
bool snap_read(const struct vcpu_snap *s, const struct layout *l, uint64_t gva, void *dst, size_t len);

/* The stack RSP is using.  RSP equal to a stack's top (nothing pushed yet)
 * counts as that stack, since the next push lands inside it. */
const struct ebx_stack_desc *snap_stack_of_rsp(const struct layout *l, uint64_t rsp, bool *in_guard);
/* What the layout's flags say a stack is: kernel code runs on it; it is a
 * ring-0 application's own stack; it is neither (a ring-3 task's stack). */
bool stack_is_kernel(const struct ebx_stack_desc *st);
bool stack_is_app(const struct ebx_stack_desc *st);
bool stack_is_user(const struct ebx_stack_desc *st);

bool rule_cr3_user_mode(const struct vcpu_snap *s, const struct layout *l, struct violation *v);
bool rule_user_cr3_only_in_entry(const struct vcpu_snap *s, const struct layout *l, struct violation *v);
bool rule_user_cr3_kernel_access(const struct vcpu_snap *s, const struct layout *l, struct violation *v);
bool rule_gs_base(const struct vcpu_snap *s, const struct layout *l, struct violation *v);
bool rule_stack_bounds(const struct vcpu_snap *s, const struct layout *l, struct violation *v);
bool rule_tss_rsp0(const struct vcpu_snap *s, const struct layout *l, struct violation *v);
bool rule_ist(const struct vcpu_snap *s, const struct layout *l, struct violation *v);
bool rule_if_off_on_entry_stack(const struct vcpu_snap *s, const struct layout *l, struct violation *v);
bool rule_stack_owner(const struct vcpu_snap *s, const struct layout *l, struct violation *v);
bool rule_sysret_ss(const struct vcpu_snap *s, const struct layout *l, struct violation *v);
bool rule_ukl_in_user(const struct vcpu_snap *s, const struct layout *l, struct violation *v);
/* The UKL in_user word of the snapshot's CPU; false when the guest has none. */
bool snap_in_user(const struct vcpu_snap *s, const struct layout *l, uint32_t *in_user);

#endif
