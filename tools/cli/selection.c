/* SPDX-License-Identifier: MIT */
#include "cli/selection.h"

#include <stdio.h>
#include <string.h>

#include "boot/cmdline.h"
#include "entrybox/abi.h"
#include "machine/loader.h"

/* The guest's documented iteration range (guest command line iters=). */
#define SELECTION_ITERS_MAX 10000000ul
#define EXTRA_KEY_MAX 32
#define EXTRA_VALUE_MAX 128

static const char *const scenario_names[] = {
#define SCENARIO(id, name, summary) name,
#include "entrybox/scenarios.def"
#undef SCENARIO
};

/* Keys the flags own: a trailing KEY=VALUE must not contradict a flag. */
static const char *const flag_keys[] = { "entry", "pti", "pcid", "vcpus", "tasks", "scenario", "iters" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool in_list(const char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

bool selection_known_model(const char *name)
{
	return entry_table_model_find(name, strlen(name)) >= 0;
}

bool selection_known_scenario(const char *name)
{
	return in_list(scenario_names, COUNT(scenario_names), name);
}

void selection_defaults(struct selection *s)
{
	memset(s, 0, sizeof(*s));
	s->entry = "kpti";
	s->scenario = "boot";
	s->pti = true;
	s->pcid = false;
	s->vcpus = 1;
	s->tasks = 2;
	s->iters = 200;
}

static int set_number(const char *flag, const char *arg, unsigned long max, unsigned long *out)
{
	return cli_parse_uint(flag, arg, 1, max, out) ? 0 : EBX_STATUS_USAGE;
}

static int set_name(const char *what, bool known, const char *arg, const char **out)
{
	if (!known)
		return cli_fail(EBX_STATUS_USAGE, "unknown %s '%s' (see entrybox list)", what, arg);
	*out = arg;
	return 0;
}

int selection_apply(struct selection *s, int opt, const char *arg)
{
	switch (opt) {
	case OPT_ENTRY:
		return set_name("model", selection_known_model(arg), arg, &s->entry);
	case OPT_SCENARIO:
		return set_name("scenario", selection_known_scenario(arg), arg, &s->scenario);
	case OPT_PTI:
		return cli_parse_on_off("--pti", arg, &s->pti) ? 0 : EBX_STATUS_USAGE;
	case OPT_PCID:
		return cli_parse_on_off("--pcid", arg, &s->pcid) ? 0 : EBX_STATUS_USAGE;
	case OPT_VCPUS:
		return set_number("--vcpus", arg, EBX_MAX_CPUS, &s->vcpus);
	case OPT_TASKS:
		return set_number("--tasks", arg, EBX_MAX_TASKS, &s->tasks);
	case OPT_ITERS:
		return set_number("--iters", arg, SELECTION_ITERS_MAX, &s->iters);
	default:
		return 1;
	}
}

static size_t span_of(const char *s, const char *accept, size_t max)
{
	size_t n = strspn(s, accept);
	return n > max ? 0 : n;
}

static bool extra_shape_ok(const char *arg, size_t *keylen)
{
	static const char key_chars[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
	static const char value_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.,:+-";
	size_t k = span_of(arg, key_chars, EXTRA_KEY_MAX);
	if (k == 0 || arg[k] != '=')
		return false;
	const char *value = arg + k + 1;
	size_t v = span_of(value, value_chars, EXTRA_VALUE_MAX);
	*keylen = k;
	return v > 0 && value[v] == '\0';
}

static bool same_key(const char *a, const char *b, size_t keylen)
{
	return strncmp(a, b, keylen) == 0 && b[keylen] == '=';
}

int selection_add_extra(struct selection *s, const char *arg)
{
	size_t keylen;
	if (!extra_shape_ok(arg, &keylen))
		return cli_fail(EBX_STATUS_USAGE,
				"bad guest argument '%s' (want KEY=VALUE: KEY of [a-z0-9_], VALUE of [A-Za-z0-9_.,:+-])",
				arg);
	for (size_t i = 0; i < COUNT(flag_keys); i++)
		if (strlen(flag_keys[i]) == keylen && strncmp(flag_keys[i], arg, keylen) == 0)
			return cli_fail(EBX_STATUS_USAGE, "guest argument '%s': use --%s instead", arg, flag_keys[i]);
	for (size_t i = 0; i < s->nextra; i++)
		if (same_key(arg, s->extra[i], keylen))
			return cli_fail(EBX_STATUS_USAGE, "guest argument '%.*s' given twice", (int)keylen, arg);
	if (s->nextra == SELECTION_MAX_EXTRA)
		return cli_fail(EBX_STATUS_USAGE, "more than %d guest arguments", SELECTION_MAX_EXTRA);
	s->extra[s->nextra++] = arg;
	return 0;
}

static const char *on_off(bool v)
{
	return v ? "on" : "off";
}

int selection_cmdline(const struct selection *s, char *buf, size_t len)
{
	size_t limit = len < LOADER_CMDLINE_MAX ? len : LOADER_CMDLINE_MAX;
	int n = snprintf(buf, limit, "entry=%s pti=%s pcid=%s vcpus=%lu tasks=%lu scenario=%s iters=%lu", s->entry,
			 on_off(s->pti), on_off(s->pcid), s->vcpus, s->tasks, s->scenario, s->iters);
	size_t used = n > 0 ? (size_t)n : 0;
	for (size_t i = 0; i < s->nextra && used < limit; i++) {
		n = snprintf(buf + used, limit - used, " %s", s->extra[i]);
		used += n > 0 ? (size_t)n : 0;
	}
	if (used >= limit)
		return cli_fail(EBX_STATUS_USAGE, "guest command line longer than %zu bytes", limit - 1);
	/* The guest's own parser, on the host: an option the model does not
	 * take, or a value it does not have, is refused before anything boots,
	 * in the words the guest would use. */
	struct boot_options opts;
	char err[200];
	if (!cmdline_parse(buf, &opts, err, sizeof(err)))
		return cli_fail(EBX_STATUS_USAGE, "bad guest argument: %s (see entrybox list)", err);
	return 0;
}

static void fill_if_empty(char *dst, size_t len, const char *value)
{
	if (dst[0] == '\0')
		snprintf(dst, len, "%s", value);
}

void selection_fill_result(const struct selection *s, struct run_result *r)
{
	fill_if_empty(r->model, sizeof(r->model), s->entry);
	fill_if_empty(r->scenario, sizeof(r->scenario), s->scenario);
	fill_if_empty(r->pti, sizeof(r->pti), on_off(s->pti));
	fill_if_empty(r->pcid, sizeof(r->pcid), on_off(s->pcid));
	if (r->vcpus == 0)
		r->vcpus = (unsigned)s->vcpus;
	if (r->tasks == 0)
		r->tasks = (unsigned)s->tasks;
	/* A run that died before its result line still says the options it was given. */
	if (r->options[0])
		return;
	size_t used = 0;
	for (size_t i = 0; i < s->nextra && used < sizeof(r->options); i++) {
		int n = snprintf(r->options + used, sizeof(r->options) - used, "%s%s", i ? " " : "", s->extra[i]);
		used += n > 0 ? (size_t)n : 0;
	}
}
