/* SPDX-License-Identifier: MIT */
#include "inject/inject_spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char inject_grammar[] =
	"  pf-user-stack[@TASK]     take the stack page(s) around TASK's user or application RSP: where the\n"
	"                           scenario asks, else at the task's first syscall entry\n"
	"  pf-user-stack@LOC        the same when the guest reaches LOC (also @each:PATH)\n"
	"  KIND@LOC[:ARG]           deliver KIND once, when the guest reaches LOC\n"
	"  KIND@each:PATH[:ARG]     sweep: one run per instruction of PATH (--sweep-mode snapshot|reboot)\n"
	"  KIND = nmi | irq | db | pf | gp;  LOC = SYMBOL[+OFF] | 0xADDR\n"
	"  PATH = SYMBOL (its whole size) | SYMBOL..SYMBOL | syscall (LSTAR to sysretq of one null syscall)\n"
	"  ARG  = irq: vector 32..255 (default 32); pf: CR2 value (default 0); nmi, db, gp: none\n";

static const struct {
	const char *name, *summary;
} kinds[INJ_KIND_COUNT] = {
	[INJ_NMI] = { "nmi", "NMI (KVM_SET_VCPU_EVENTS nmi.pending)" },
	[INJ_IRQ] = { "irq", "fixed interrupt to the vCPU's LAPIC (KVM_SIGNAL_MSI)" },
	[INJ_DB] = { "db", "#DB exception, DR6 payload BS" },
	[INJ_PF] = { "pf", "#PF exception, CR2 payload, error code not-present read" },
	[INJ_GP] = { "gp", "#GP exception, error code 0" },
	[INJ_PF_USER_STACK] = { "pf-user-stack", "take the user/application stack page(s) at RSP: #PF at the next touch" },
};

const char *inject_kind_name(enum inject_kind k)
{
	return (unsigned)k < INJ_KIND_COUNT ? kinds[k].name : "?";
}

const char *inject_kind_summary(enum inject_kind k)
{
	return (unsigned)k < INJ_KIND_COUNT ? kinds[k].summary : "?";
}

/* The message quotes the spec and the part at fault as the user typed them,
 * except that a control character is shown as '?': one line, always. */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

static bool fail(char *err, size_t errlen, const char *spec, const char *fmt, const char *what)
{
	char msg[320];
	snprintf(msg, sizeof(msg), fmt, what);
	snprintf(err, errlen, "--inject '%s': %s", spec, msg);
	printable(err);
	return false;
}

/* A whole-string unsigned number, decimal or 0x-hex. */
static bool parse_number(const char *text, uint64_t *out)
{
	if (!text[0] || text[0] == '-' || text[0] == '+' || text[0] == ' ')
		return false;
	errno = 0;
	char *end = NULL;
	unsigned long long v = strtoull(text, &end, 0);
	if (errno || !end || *end || end == text)
		return false;
	/* strtoull reads "010" as octal: accept only decimal and 0x forms. */
	if (text[0] == '0' && text[1] && text[1] != 'x' && text[1] != 'X')
		return false;
	*out = v;
	return true;
}

static bool symbol_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.')
		return true;
	return !first && ((c >= '0' && c <= '9') || c == '$');
}

static bool valid_symbol(const char *s, size_t len)
{
	if (len == 0 || len >= INJECT_SYMBOL_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!symbol_char(s[i], i == 0))
			return false;
	return true;
}

static bool parse_loc(const char *spec, const char *text, struct inject_loc *loc, char *err, size_t errlen)
{
	memset(loc, 0, sizeof(*loc));
	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		if (!parse_number(text, &loc->addr))
			return fail(err, errlen, spec, "'%s' is not a hex address (0xADDR)", text);
		loc->is_addr = true;
		return true;
	}
	const char *plus = strchr(text, '+');
	size_t len = plus ? (size_t)(plus - text) : strlen(text);
	if (!valid_symbol(text, len))
		return fail(err, errlen, spec, "'%s' is not SYMBOL[+OFF] or 0xADDR", text);
	memcpy(loc->symbol, text, len);
	if (plus && !parse_number(plus + 1, &loc->offset))
		return fail(err, errlen, spec, "offset '%s' is not a decimal or 0x number", plus + 1);
	return true;
}

static bool parse_path(const char *spec, const char *text, struct inject_spec *out, char *err, size_t errlen)
{
	if (strcmp(text, "syscall") == 0) {
		out->path = PATH_SYSCALL;
		return true;
	}
	const char *dots = strstr(text, "..");
	if (!dots) {
		if (!valid_symbol(text, strlen(text)))
			return fail(err, errlen, spec, "path '%s' is not SYMBOL, SYMBOL..SYMBOL or syscall", text);
		memcpy(out->path_from, text, strlen(text) + 1);
		out->path = PATH_SYMBOL;
		return true;
	}
	size_t l1 = (size_t)(dots - text);
	const char *second = dots + 2;
	if (!valid_symbol(text, l1) || !valid_symbol(second, strlen(second)))
		return fail(err, errlen, spec, "path '%s' is not SYMBOL..SYMBOL", text);
	memcpy(out->path_from, text, l1);
	out->path_from[l1] = '\0';
	memcpy(out->path_to, second, strlen(second) + 1);
	out->path = PATH_RANGE;
	return true;
}

static bool parse_arg(const char *spec, const char *arg, struct inject_spec *out, char *err, size_t errlen)
{
	if (out->kind == INJ_IRQ) {
		out->arg = INJECT_IRQ_DEFAULT_VECTOR;
		if (arg && (!parse_number(arg, &out->arg) || out->arg < 32 || out->arg > 255))
			return fail(err, errlen, spec, "irq vector '%s' is not a number in 32..255", arg);
		return true;
	}
	if (out->kind == INJ_PF) {
		out->arg = 0;
		if (arg && !parse_number(arg, &out->arg))
			return fail(err, errlen, spec, "pf address '%s' is not a decimal or 0x number", arg);
		return true;
	}
	if (arg)
		return fail(err, errlen, spec, "%s takes no :ARG (only irq:VECTOR and pf:ADDR do)",
			    inject_kind_name(out->kind));
	return true;
}

static bool all_digits(const char *text)
{
	if (!text[0])
		return false;
	for (; *text; text++)
		if (*text < '0' || *text > '9')
			return false;
	return true;
}

/* pf-user-stack[@TASK], pf-user-stack@LOC, pf-user-stack@each:PATH: a plain
 * number is a task, anything else a location. */
static bool parse_user_stack(const char *spec, const char *at, struct inject_spec *out, char *err, size_t errlen)
{
	out->kind = INJ_PF_USER_STACK;
	if (!at)
		return true;
	const char *where = at + 1;
	if (!where[0])
		return fail(err, errlen, spec, "%sempty TASK or LOC after pf-user-stack@", "");
	if (strncmp(where, "each:", 5) == 0) {
		if (!where[5])
			return fail(err, errlen, spec, "%seach: needs a PATH", "");
		return parse_path(spec, where + 5, out, err, errlen);
	}
	if (!all_digits(where)) {
		out->has_loc = true;
		return parse_loc(spec, where, &out->loc, err, errlen);
	}
	uint64_t task = 0;
	if (!parse_number(where, &task) || task > UINT32_MAX)
		return fail(err, errlen, spec, "pf-user-stack@TASK needs a task number, not '%s'", where);
	out->has_task = true;
	out->task = (uint32_t)task;
	return true;
}

static bool parse_kind(const char *spec, const char *name, size_t len, enum inject_kind *kind, char *err,
		       size_t errlen)
{
	for (unsigned k = 0; k < INJ_PF_USER_STACK; k++) {
		if (strlen(kinds[k].name) == len && strncmp(kinds[k].name, name, len) == 0) {
			*kind = (enum inject_kind)k;
			return true;
		}
	}
	char word[32];
	snprintf(word, sizeof(word), "%.*s", (int)(len < 24 ? len : 24), name);
	return fail(err, errlen, spec, "unknown kind '%s' (nmi, irq, db, pf, gp, pf-user-stack)", word);
}

bool inject_spec_parse(const char *text, struct inject_spec *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (!text || !text[0])
		return fail(err, errlen, "", "%sempty spec (see 'entrybox list')", "");
	if (strlen(text) >= INJECT_SPEC_MAX)
		return fail(err, errlen, "...", "spec longer than %s characters", "127");
	snprintf(out->text, sizeof(out->text), "%s", text);
	char buf[INJECT_SPEC_MAX];
	snprintf(buf, sizeof(buf), "%s", text);
	char *at = strchr(buf, '@');
	size_t kind_len = at ? (size_t)(at - buf) : strlen(buf);
	if (kind_len == strlen("pf-user-stack") && strncmp(buf, "pf-user-stack", kind_len) == 0)
		return parse_user_stack(text, at, out, err, errlen);
	if (!parse_kind(text, buf, kind_len, &out->kind, err, errlen))
		return false;
	if (!at || !at[1])
		return fail(err, errlen, text, "%s needs @LOC or @each:PATH", inject_kind_name(out->kind));
	char *where = at + 1;
	if (strncmp(where, "each:", 5) == 0) {
		char *path = where + 5;
		char *colon = strchr(path, ':');
		if (colon)
			*colon = '\0';
		if (!path[0])
			return fail(err, errlen, text, "%seach: needs a PATH", "");
		return parse_path(text, path, out, err, errlen) &&
		       parse_arg(text, colon ? colon + 1 : NULL, out, err, errlen);
	}
	char *colon = strchr(where, ':');
	if (colon)
		*colon = '\0';
	if (!where[0])
		return fail(err, errlen, text, "%sempty LOC", "");
	if (colon && !colon[1])
		return fail(err, errlen, text, "%sempty :ARG", "");
	out->has_loc = true;
	return parse_loc(text, where, &out->loc, err, errlen) &&
	       parse_arg(text, colon ? colon + 1 : NULL, out, err, errlen);
}
