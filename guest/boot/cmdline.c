/* SPDX-License-Identifier: MIT */
/* Command-line parser; freestanding and hosted alike, so it calls no library function. */
#include "boot/cmdline.h"

static const char *const model_names[] = {
#define ENTRY_MODEL(id, name, summary) name,
#include "models.def"
#undef ENTRY_MODEL
};

static const char *const scenario_names[] = {
#define SCENARIO(id, name, summary) name,
#include "entrybox/scenarios.def"
#undef SCENARIO
};

static const char *const bug_names[] = {
	[EBX_BUG_NONE] = "none",
	[EBX_BUG_SKIP_USER_CR3] = "skip-user-cr3",
	[EBX_BUG_SKIP_SWAPGS] = "skip-swapgs",
	[EBX_BUG_DB_TRUST_CS] = "db-trust-cs",
	[EBX_BUG_PARANOID_GS_SIGN] = "paranoid-gs-sign",
	[EBX_BUG_NAIVE_NMI] = "naive-nmi",
	[EBX_BUG_SYSCALL_USER_STACK] = "syscall-user-stack",
	[EBX_BUG_UKL_TRUST_APP_RSP] = "ukl-trust-app-rsp",
	[EBX_BUG_DIRTY_INITIAL_REGS] = "dirty-initial-regs",
	[EBX_BUG_SYSRET_SS_NULL] = "sysret-ss-null",
};

static const char *const pervcpu_sleep_names[] = {
	[PERVCPU_SLEEP_FORBID] = "forbid",
	[PERVCPU_SLEEP_COPY] = "copy",
	[PERVCPU_SLEEP_PIN] = "pin",
};

static const char *const hv_names[] = { [XEN_HV_SHIM] = "shim", [XEN_HV_VMM] = "vmm" };

static const char *const ukl_df_names[] = { [UKL_DF_WORKAROUND] = "workaround", [UKL_DF_IST] = "ist", [UKL_DF_NONE] = "none" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

unsigned cmdline_model_count(void) { return (unsigned)COUNT(model_names); }
unsigned cmdline_scenario_count(void) { return (unsigned)COUNT(scenario_names); }

const char *cmdline_model_name(unsigned model)
{
	return model < COUNT(model_names) ? model_names[model] : NULL;
}

const char *cmdline_scenario_name(unsigned scenario)
{
	return scenario < COUNT(scenario_names) ? scenario_names[scenario] : NULL;
}

const char *cmdline_bug_name(enum ebx_bug bug)
{
	return (unsigned)bug < COUNT(bug_names) ? bug_names[bug] : NULL;
}

const char *cmdline_pervcpu_sleep_name(enum pervcpu_sleep p)
{
	return (unsigned)p < COUNT(pervcpu_sleep_names) ? pervcpu_sleep_names[p] : NULL;
}

const char *cmdline_hv_name(enum xen_hv hv)
{
	return (unsigned)hv < COUNT(hv_names) ? hv_names[hv] : NULL;
}

const char *cmdline_ukl_df_name(enum ukl_df df)
{
	return (unsigned)df < COUNT(ukl_df_names) ? ukl_df_names[df] : NULL;
}

/* A token of the command line: [p, p + len). */
struct span {
	const char *p;
	size_t len;
};

/* Appends to a bounded, always-terminated message buffer. */
struct msg {
	char *buf;
	size_t cap, len;
};

static void msg_put(struct msg *m, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++) {
		if (m->len + 1 < m->cap)
			m->buf[m->len++] = s[i];
	}
	if (m->cap)
		m->buf[m->len] = '\0';
}

static void msg_str(struct msg *m, const char *s) { msg_put(m, s, (size_t)-1); }
static void msg_span(struct msg *m, struct span s) { msg_put(m, s.p, s.len); }

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static bool span_is(struct span s, const char *word)
{
	size_t i = 0;
	for (; i < s.len; i++) {
		if (word[i] != s.p[i])
			return false;
	}
	return word[i] == '\0';
}

static int lookup(struct span v, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (span_is(v, names[i]))
			return (int)i;
	}
	return -1;
}

/* Decimal only, no sign, no leading '+', bounded: "010" is accepted as 10. */
static bool parse_number(struct span v, unsigned long lo, unsigned long hi, unsigned long *out)
{
	unsigned long n = 0;
	if (v.len == 0 || v.len > 12)
		return false;
	for (size_t i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return false;
		n = n * 10 + (unsigned long)(v.p[i] - '0');
	}
	if (n < lo || n > hi)
		return false;
	*out = n;
	return true;
}

static bool parse_onoff(struct span v, bool *out)
{
	if (span_is(v, "on")) {
		*out = true;
		return true;
	}
	if (span_is(v, "off")) {
		*out = false;
		return true;
	}
	return false;
}

enum key_id {
	K_ENTRY, K_PTI, K_PCID, K_VCPUS, K_TASKS, K_SCENARIO, K_ITERS, K_BUG,
	K_PERVCPU_SLEEP, K_HV, K_UKL_TASKS, K_UKL_DF, K_TIMER, K_COUNT
};

static const char *const key_names[K_COUNT] = {
	"entry", "pti", "pcid", "vcpus", "tasks", "scenario", "iters", "bug",
	"pervcpu_sleep", "hv", "ukl_tasks", "ukl_df", "timer",
};

/* What a value must look like, for the error line. */
static const char *const key_expect[K_COUNT] = {
	"a model from models.def", "on|off", "on|off", "1..8", "1..8",
	"a scenario from scenarios.def", "1..10000000", "a bug from options.def",
	"forbid|copy|pin", "shim|vmm", "0..8", "workaround|ist|none", "on|off",
};

static bool apply(enum key_id k, struct span v, struct boot_options *o)
{
	unsigned long n = 0;
	int idx;

	switch (k) {
	case K_ENTRY:
		idx = lookup(v, model_names, COUNT(model_names));
		o->model = (unsigned)idx;
		return idx >= 0;
	case K_SCENARIO:
		idx = lookup(v, scenario_names, COUNT(scenario_names));
		o->scenario = (unsigned)idx;
		return idx >= 0;
	case K_BUG:
		idx = lookup(v, bug_names, COUNT(bug_names));
		o->bug = (enum ebx_bug)idx;
		return idx >= 0;
	case K_PTI:
		return parse_onoff(v, &o->pti);
	case K_PCID:
		return parse_onoff(v, &o->pcid);
	case K_VCPUS:
		if (!parse_number(v, 1, CMDLINE_MAX_VCPUS, &n))
			return false;
		o->vcpus = (unsigned)n;
		return true;
	case K_TASKS:
		if (!parse_number(v, 1, CMDLINE_MAX_TASKS, &n))
			return false;
		o->tasks = (unsigned)n;
		return true;
	case K_ITERS:
		return parse_number(v, 1, CMDLINE_MAX_ITERS, &o->iters);
	case K_PERVCPU_SLEEP:
		idx = lookup(v, pervcpu_sleep_names, COUNT(pervcpu_sleep_names));
		o->pervcpu_sleep = (enum pervcpu_sleep)idx;
		return idx >= 0;
	case K_HV:
		idx = lookup(v, hv_names, COUNT(hv_names));
		o->hv = (enum xen_hv)idx;
		return idx >= 0;
	case K_UKL_TASKS:
		if (!parse_number(v, 0, CMDLINE_MAX_TASKS, &n))
			return false;
		o->ukl_tasks = (unsigned)n;
		return true;
	case K_UKL_DF:
		idx = lookup(v, ukl_df_names, COUNT(ukl_df_names));
		o->ukl_df = (enum ukl_df)idx;
		return idx >= 0;
	case K_TIMER:
		return parse_onoff(v, &o->timer);
	case K_COUNT:
		break;
	}
	return false;
}

static void set_defaults(struct boot_options *o)
{
	o->model = 0;   /* models.def's first row: kpti */
	o->scenario = 0; /* scenarios.def's first row: boot */
	o->pti = true;
	o->pcid = false;
	o->vcpus = 1;
	o->tasks = 2;
	o->iters = 200;
	o->bug = EBX_BUG_NONE;
	o->pervcpu_sleep = PERVCPU_SLEEP_FORBID;
	o->hv = XEN_HV_SHIM;
	o->ukl_tasks = 0;
	o->ukl_df = UKL_DF_WORKAROUND;
	o->timer = false;
}

static bool fail_token(struct msg *m, const char *what, struct span tok)
{
	msg_str(m, what);
	msg_str(m, " '");
	msg_span(m, tok);
	msg_str(m, "'");
	return false;
}

static bool parse_token(struct span tok, struct boot_options *o, unsigned *seen, struct msg *m)
{
	size_t eq = 0;
	while (eq < tok.len && tok.p[eq] != '=')
		eq++;
	if (eq == tok.len)
		return fail_token(m, "expected KEY=VALUE, got", tok);
	struct span key = { tok.p, eq };
	struct span val = { tok.p + eq + 1, tok.len - eq - 1 };
	int k = lookup(key, key_names, K_COUNT);
	if (k < 0)
		return fail_token(m, "unknown key", key);
	if (*seen & (1u << k))
		return fail_token(m, "key given twice:", key);
	*seen |= 1u << k;
	if (!apply((enum key_id)k, val, o)) {
		fail_token(m, "bad value", val);
		msg_str(m, " for ");
		msg_str(m, key_names[k]);
		msg_str(m, " (expected ");
		msg_str(m, key_expect[k]);
		msg_str(m, ")");
		return false;
	}
	return true;
}

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* Combinations that parse but mean nothing: refuse rather than run something else. */
static bool check_combination(const struct boot_options *o, struct msg *m)
{
	if (o->bug == EBX_BUG_SKIP_USER_CR3 && !o->pti) {
		msg_str(m, "bug=skip-user-cr3 needs pti=on (pti=off never switches CR3)");
		return false;
	}
	if (o->ukl_tasks && !str_eq(model_names[o->model], "ukl")) {
		msg_str(m, "ukl_tasks= needs entry=ukl");
		return false;
	}
	if (o->ukl_tasks > o->tasks) {
		msg_str(m, "ukl_tasks= is more than tasks=");
		return false;
	}
	return true;
}

bool cmdline_parse(const char *line, struct boot_options *out, char *err, size_t errlen)
{
	struct msg m = { err, errlen, 0 };
	unsigned seen = 0;
	size_t i = 0;

	msg_put(&m, "", 0);
	set_defaults(out);
	if (!line)
		return true;
	while (line[i]) {
		if (i >= CMDLINE_MAX_LEN) {
			msg_str(&m, "longer than 1024 bytes");
			return false;
		}
		if (is_space(line[i])) {
			i++;
			continue;
		}
		struct span tok = { line + i, 0 };
		while (line[i] && !is_space(line[i]) && i < CMDLINE_MAX_LEN) {
			i++;
			tok.len++;
		}
		if (!parse_token(tok, out, &seen, &m))
			return false;
	}
	return check_combination(out, &m);
}
