/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the --inject grammar (inject/inject_spec.h): a spec comes
 * from a user's command line, from scripts and from matrix plans written by
 * others.  Any string is either refused with one line naming what is wrong
 * or parsed into a spec whose fields the rest of the VMM may use without
 * checking again: a known kind, terminated symbol names, an irq vector in
 * range, a sweep with a path, and the text kept as written.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_target.h"
#include "inject/inject_spec.h"

static void terminated(const char *s, size_t cap)
{
	FUZZ_ASSERT(memchr(s, '\0', cap) != NULL);
}

static void check_spec(const char *text, const struct inject_spec *s)
{
	FUZZ_ASSERT(strcmp(s->text, text) == 0);
	FUZZ_ASSERT(s->kind >= INJ_NMI && s->kind < INJ_KIND_COUNT);
	FUZZ_ASSERT(inject_kind_name(s->kind) != NULL);
	terminated(s->loc.symbol, sizeof(s->loc.symbol));
	terminated(s->path_from, sizeof(s->path_from));
	terminated(s->path_to, sizeof(s->path_to));
	if (s->kind == INJ_IRQ)
		FUZZ_ASSERT(s->arg >= 32 && s->arg <= 255);
	if (s->kind == INJ_NMI || s->kind == INJ_DB || s->kind == INJ_GP)
		FUZZ_ASSERT(s->arg == 0);
	if (s->path == PATH_RANGE)
		FUZZ_ASSERT(s->path_from[0] && s->path_to[0]);
	if (s->path == PATH_SYMBOL)
		FUZZ_ASSERT(s->path_from[0]);
	/* Only pf-user-stack may stand alone (at the next syscall). */
	if (s->path == PATH_NONE && s->kind != INJ_PF_USER_STACK)
		FUZZ_ASSERT(s->loc.is_addr || s->loc.symbol[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	FUZZ_ASSERT(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	struct inject_spec spec, again;
	char err[200], tiny[4];
	memset(&spec, 0xa5, sizeof(spec));
	bool ok = inject_spec_parse(text, &spec, err, sizeof(err));
	if (ok) {
		check_spec(text, &spec);
	} else {
		terminated(err, sizeof(err));
		FUZZ_ASSERT(err[0] != '\0');
		for (const char *p = err; *p; p++)
			FUZZ_ASSERT(*p >= 0x20 && *p <= 0x7e);
	}
	/* The verdict does not depend on room for the message, nor on the last run. */
	FUZZ_ASSERT(inject_spec_parse(text, &again, tiny, sizeof(tiny)) == ok);
	if (!ok)
		terminated(tiny, sizeof(tiny));
	else
		FUZZ_ASSERT(again.kind == spec.kind && again.path == spec.path && again.arg == spec.arg &&
			    again.loc.is_addr == spec.loc.is_addr && again.loc.addr == spec.loc.addr &&
			    again.loc.offset == spec.loc.offset && strcmp(again.loc.symbol, spec.loc.symbol) == 0);
	free(text);
	return 0;
}
