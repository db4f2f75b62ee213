/* SPDX-License-Identifier: MIT */
/*
 * The --inject grammar (docs/design.md §7), parsed without touching KVM or the
 * guest image so every form and every error is unit-tested:
 *
 *   pf-user-stack[@TASK]             take the stack page(s) around the task's user or
 *                                    application RSP where the scenario asks
 *                                    (EBX_EV_INJECT_POINT), else at its first syscall entry
 *   pf-user-stack@LOC                the same when the guest reaches LOC
 *   pf-user-stack@each:PATH          sweep
 *   KIND@LOC[:ARG]                   deliver once when the guest reaches LOC
 *   KIND@each:PATH[:ARG]             sweep: one run per instruction of PATH
 *   KIND  = nmi | irq | db | pf | gp
 *   LOC   = SYMBOL[+OFF] | 0xADDR
 *   PATH  = SYMBOL | SYMBOL..SYMBOL | syscall
 *   ARG   = irq: vector 32..255 (default 32); pf: CR2 (default 0); others none
 */
#ifndef ENTRYBOX_INJECT_SPEC_H
#define ENTRYBOX_INJECT_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INJECT_SPEC_MAX   128
#define INJECT_SYMBOL_MAX 64
#define INJECT_IRQ_DEFAULT_VECTOR 32u

enum inject_kind { INJ_NMI = 0, INJ_IRQ, INJ_DB, INJ_PF, INJ_GP, INJ_PF_USER_STACK, INJ_KIND_COUNT };

enum inject_path { PATH_NONE = 0, PATH_SYMBOL, PATH_RANGE, PATH_SYSCALL };

struct inject_loc {
	bool is_addr;
	uint64_t addr;                     /* is_addr */
	char symbol[INJECT_SYMBOL_MAX];    /* !is_addr */
	uint64_t offset;
};

struct inject_spec {
	char text[INJECT_SPEC_MAX];        /* as the user wrote it */
	enum inject_kind kind;
	struct inject_loc loc;             /* KIND@LOC (pf-user-stack: has_loc) */
	bool has_loc;
	enum inject_path path;             /* != PATH_NONE: a sweep */
	char path_from[INJECT_SYMBOL_MAX], path_to[INJECT_SYMBOL_MAX];
	uint64_t arg;                      /* vector (irq) or CR2 (pf) */
	bool has_task;                     /* pf-user-stack@TASK */
	uint32_t task;
};

/* Parses one spec.  On failure returns false with one line in err that names
 * the offending part and what was expected. */
bool inject_spec_parse(const char *text, struct inject_spec *out, char *err, size_t errlen);

const char *inject_kind_name(enum inject_kind k);
/* One-line summary of a kind, for `entrybox list`. */
const char *inject_kind_summary(enum inject_kind k);
/* The grammar, several lines, for `entrybox list`. */
extern const char inject_grammar[];

/* KIND@LOC: delivered once at an instruction. */
static inline bool inject_spec_has_loc(const struct inject_spec *s)
{
	return s->has_loc;
}

static inline bool inject_spec_is_sweep(const struct inject_spec *s)
{
	return s->path != PATH_NONE;
}

#endif
