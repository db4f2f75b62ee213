/* SPDX-License-Identifier: MIT */
/* Command-line parser; freestanding and hosted alike, so it calls no library function. */
#include "boot/cmdline.h"

static const char *const scenario_names[] = {
#define SCENARIO(id, name, summary) name,
#include "entrybox/scenarios.def"
#undef SCENARIO
};

static const char *const kernel_bug_names[] = {
#define KERNEL_BUG(id, value, help) [EBX_KBUG_##id] = value,
#include "entrybox/kernel_bugs.def"
#undef KERNEL_BUG
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

unsigned cmdline_model_count(void) { return entry_table_model_count(); }
unsigned cmdline_scenario_count(void) { return (unsigned)COUNT(scenario_names); }

const char *cmdline_model_name(unsigned model)
{
	return entry_table_model_name(model);
}

const char *cmdline_scenario_name(unsigned scenario)
{
	return scenario < COUNT(scenario_names) ? scenario_names[scenario] : NULL;
}

const char *cmdline_kernel_bug_name(unsigned bug)
{
	return bug < COUNT(kernel_bug_names) ? kernel_bug_names[bug] : NULL;
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

/* Decimal digits of n into buf (at least 21 bytes); returns buf. */
static const char *ulong_str(unsigned long n, char *buf)
{
	char tmp[24];
	size_t k = 0, j = 0;

	do {
		tmp[k++] = (char)('0' + n % 10);
		n /= 10;
	} while (n && k < sizeof(tmp));
	while (k)
		buf[j++] = tmp[--k];
	buf[j] = '\0';
	return buf;
}

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

/* The keys every model takes (the selection and the kernel's); any other is
 * an option of the selected model. */
enum key_id { K_ENTRY, K_PTI, K_PCID, K_VCPUS, K_TASKS, K_SCENARIO, K_ITERS, K_TIMER, K_KERNEL_BUG, K_ESPFIX, K_COUNT };

static const char *const key_names[K_COUNT] = {
	"entry", "pti", "pcid", "vcpus", "tasks", "scenario", "iters", "timer", "kernel_bug", "espfix",
};

/* What a value must look like, for the error line. */
static const char *const key_expect[K_COUNT] = {
	"a model from models.def", "on|off", "on|off", "1..8", "1..8", "a scenario from scenarios.def", "1..10000000",
	"on|off", "a value from kernel_bugs.def", "on|off",
};

static bool apply(enum key_id k, struct span v, struct boot_options *o)
{
	unsigned long n = 0;
	int idx;

	switch (k) {
	case K_ENTRY:
		idx = entry_table_model_find(v.p, v.len);
		o->model = (unsigned)idx;
		return idx >= 0;
	case K_SCENARIO:
		idx = lookup(v, scenario_names, COUNT(scenario_names));
		o->scenario = (unsigned)idx;
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
	case K_TIMER:
		return parse_onoff(v, &o->timer);
	case K_KERNEL_BUG:
		idx = lookup(v, kernel_bug_names, COUNT(kernel_bug_names));
		o->kernel_bug = (enum ebx_kernel_bug)idx;
		return idx >= 0;
	case K_ESPFIX:
		return parse_onoff(v, &o->espfix);
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
	o->timer = false;
	o->kernel_bug = EBX_KBUG_none;
	o->espfix = true;
	for (unsigned i = 0; i < ENTRY_OPTION_SLOTS; i++)
		o->opt[i] = entry_table_option_default(i);
}

static bool fail_token(struct msg *m, const char *what, struct span tok)
{
	msg_str(m, what);
	msg_str(m, " '");
	msg_span(m, tok);
	msg_str(m, "'");
	return false;
}

/* "a|b|c" or "lo..hi": what an option's value must be. */
static void msg_expect(struct msg *m, unsigned option)
{
	const struct entry_option_desc *d = entry_table_option(option);
	char num[24];

	if (d->numeric) {
		msg_str(m, ulong_str(d->lo, num));
		msg_str(m, "..");
		msg_str(m, ulong_str(d->hi, num));
		return;
	}
	for (unsigned i = 0; i < entry_table_value_count(option); i++) {
		if (i)
			msg_str(m, "|");
		msg_str(m, entry_table_value(option, i)->name);
	}
}

/* "bug=, hv=" or "no option": the keys of a model, for the error line. */
static void msg_model_keys(struct msg *m, unsigned model)
{
	bool any = false;

	for (unsigned i = 0; i < entry_table_option_count(); i++) {
		const struct entry_option_desc *d = entry_table_option(i);
		if (d->model != model)
			continue;
		msg_str(m, any ? ", " : "");
		msg_str(m, d->key);
		msg_str(m, "=");
		any = true;
	}
	if (!any)
		msg_str(m, "no option");
}

/* The first model other than `model` that takes `key`, or -1. */
static int other_model_with(unsigned model, struct span key)
{
	for (unsigned i = 0; i < entry_table_option_count(); i++) {
		const struct entry_option_desc *d = entry_table_option(i);
		if (d->model != model && span_is(key, d->key))
			return (int)d->model;
	}
	return -1;
}

static bool fail_model_key(struct msg *m, unsigned model, struct span key)
{
	int other = other_model_with(model, key);

	if (other >= 0) {
		msg_str(m, "key '");
		msg_span(m, key);
		msg_str(m, "' is an option of entry=");
		msg_str(m, entry_table_model_name((unsigned)other));
		msg_str(m, ", not of entry=");
		msg_str(m, entry_table_model_name(model));
		msg_str(m, " (which takes ");
	} else {
		fail_token(m, "unknown key", key);
		msg_str(m, " (entry=");
		msg_str(m, entry_table_model_name(model));
		msg_str(m, " takes ");
	}
	msg_model_keys(m, model);
	msg_str(m, ")");
	return false;
}

static bool apply_option(unsigned option, struct span v, struct boot_options *o)
{
	const struct entry_option_desc *d = entry_table_option(option);
	unsigned long n;
	int idx;

	if (d->numeric) {
		if (!parse_number(v, d->lo, d->hi, &n))
			return false;
		o->opt[option] = n;
		return true;
	}
	idx = entry_table_value_find(option, v.p, v.len);
	if (idx < 0)
		return false;
	o->opt[option] = (unsigned long)idx;
	return true;
}

/* Keys already given: the selection keys, then the model's options. */
struct seen {
	unsigned keys;
	bool option[ENTRY_OPTION_SLOTS];
};

static void bad_value(struct msg *m, struct span key, struct span val)
{
	fail_token(m, "bad value", val);
	msg_str(m, " for ");
	msg_span(m, key);
	msg_str(m, " (expected ");
}

static bool parse_token(struct span tok, struct boot_options *o, struct seen *seen, struct msg *m)
{
	size_t eq = 0;
	while (eq < tok.len && tok.p[eq] != '=')
		eq++;
	if (eq == tok.len)
		return fail_token(m, "expected KEY=VALUE, got", tok);
	struct span key = { tok.p, eq };
	struct span val = { tok.p + eq + 1, tok.len - eq - 1 };
	int k = lookup(key, key_names, K_COUNT);
	if (k >= 0) {
		if (seen->keys & (1u << k))
			return fail_token(m, "key given twice:", key);
		seen->keys |= 1u << k;
		if (apply((enum key_id)k, val, o))
			return true;
		bad_value(m, key, val);
		msg_str(m, key_expect[k]);
		msg_str(m, ")");
		return false;
	}
	int opt = entry_table_option_find(o->model, key.p, key.len);
	if (opt < 0)
		return fail_model_key(m, o->model, key);
	if (seen->option[opt])
		return fail_token(m, "key given twice:", key);
	seen->option[opt] = true;
	if (apply_option((unsigned)opt, val, o))
		return true;
	bad_value(m, key, val);
	msg_expect(m, (unsigned)opt);
	msg_str(m, ")");
	return false;
}

/* The next token at or after *i; empty at the end of the line. */
static struct span next_token(const char *line, size_t *i)
{
	while (line[*i] && is_space(line[*i]))
		(*i)++;
	struct span tok = { line + *i, 0 };
	while (line[*i] && !is_space(line[*i])) {
		(*i)++;
		tok.len++;
	}
	return tok;
}

/* entry= decides which options the other keys may name, wherever it stands;
 * the main pass reports a bad or repeated entry= in its place. */
static void find_model(const char *line, struct boot_options *o)
{
	size_t i = 0;

	for (struct span tok = next_token(line, &i); tok.len; tok = next_token(line, &i)) {
		if (tok.len >= 6 && span_is((struct span){ tok.p, 6 }, "entry=")) {
			int idx = entry_table_model_find(tok.p + 6, tok.len - 6);
			if (idx >= 0)
				o->model = (unsigned)idx;
			return;
		}
	}
}

bool cmdline_parse(const char *line, struct boot_options *out, char *err, size_t errlen)
{
	struct msg m = { err, errlen, 0 };
	struct seen seen = { 0, { false } };
	size_t i = 0;

	msg_put(&m, "", 0);
	set_defaults(out);
	if (!line)
		return true;
	for (size_t n = 0; line[n]; n++) {
		if (n >= CMDLINE_MAX_LEN) {
			msg_str(&m, "longer than 1024 bytes");
			return false;
		}
	}
	find_model(line, out);
	for (struct span tok = next_token(line, &i); tok.len; tok = next_token(line, &i)) {
		if (!parse_token(tok, out, &seen, &m))
			return false;
	}
	return true;
}

void cmdline_model_options(const struct boot_options *o, char *buf, size_t len)
{
	struct msg m = { buf, len, 0 };
	char num[24];
	bool any = false;

	msg_put(&m, "", 0);
	for (unsigned i = 0; i < entry_table_option_count(); i++) {
		const struct entry_option_desc *d = entry_table_option(i);
		if (d->model != o->model)
			continue;
		const struct entry_value_desc *v = d->numeric ? NULL : entry_table_value(i, (unsigned)o->opt[i]);
		msg_str(&m, any ? " " : "");
		msg_str(&m, d->key);
		msg_str(&m, "=");
		msg_str(&m, v ? v->name : ulong_str(o->opt[i], num));
		any = true;
	}
}
