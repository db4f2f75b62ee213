/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the PVH loader: any byte string must either load into
 * guest RAM with a consistent result or be refused with one line of text,
 * and never touch memory outside guest RAM (the sanitizers watch that).
 *
 * Built for libFuzzer by tools/fuzz.sh, and with fuzz_replay.c as a plain
 * program that replays the corpus in the test suite.
 *
 * Seeds (tests/fuzz/corpus/loader/): minimal.elf is the image test_loader.c builds
 * (one PT_LOAD with bss, one PT_NOTE); -note8 has an 8-byte entry descriptor;
 * section-note.elf has the note only as an SHT_NOTE section; xnum.elf uses
 * e_phnum = PN_XNUM; linked-tiny.elf comes from as + ld with a linker script
 * (two PT_LOADs, sections, symbols); truncated, class32 and no-note start the
 * fuzzer inside three refusal paths.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_target.h"
#include "machine/gmem.h"
#include "machine/loader.h"

#define FUZZ_RAM_SIZE (2ull << 20)
#define FUZZ_CMDLINE  "console=ttyS0 entry=kpti scenario=boot"


static void invariant(int ok, const char *what, const char *err)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_loader: invariant broken: %s (err \"%s\")\n", what, err);
	abort();
}

static void check_success(const struct gmem *m, const struct loaded_guest *g, const char *err)
{
	uint32_t magic = 0;

	invariant(err[0] == '\0', "success left an error message", err);
	invariant(g->image_start < g->image_end && g->image_end <= m->size, "image range outside RAM", err);
	invariant(g->pvh_entry >= g->image_start && g->pvh_entry < g->image_end, "entry outside image", err);
	invariant(g->start_info_gpa == LOADER_START_INFO_GPA, "start_info moved", err);
	invariant(gmem_read(m, LOADER_START_INFO_GPA, &magic, sizeof(magic)) && magic == 0x336ec578u,
		  "no hvm_start_info magic", err);
	invariant(strcmp((const char *)m->host + LOADER_CMDLINE_GPA, FUZZ_CMDLINE) == 0,
		  "command line not in place", err);
}

static void check_failure(const char *err, size_t errlen)
{
	invariant(memchr(err, '\0', errlen) != NULL, "error message not terminated", "");
	invariant(err[0] != '\0', "failure without a message", err);
	invariant(strchr(err, '\n') == NULL, "error message spans lines", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gmem ram;
	struct loaded_guest g, g2;
	char err[256], tiny[8];
	int rc, rc2;

	/* One RAM mapping for the whole process: a fresh 2 MiB per input would
	 * spend the fuzzer's time in the allocator. */
	if (ram.host == NULL) {
		ram.size = FUZZ_RAM_SIZE;
		ram.host = calloc(1, ram.size);
		if (ram.host == NULL)
			abort();
	}
	rc = loader_load_pvh(&ram, data, size, FUZZ_CMDLINE, &g, err, sizeof(err)) ? 0 : -1;
	if (rc == 0)
		check_success(&ram, &g, err);
	else
		check_failure(err, sizeof(err));

	/* Same input again with an error buffer too small for any message: the
	 * verdict must not depend on it, and nothing may be written past it. */
	rc2 = loader_load_pvh(&ram, data, size, FUZZ_CMDLINE, &g2, tiny, sizeof(tiny)) ? 0 : -1;
	invariant(rc2 == rc, "verdict changed between identical runs", err);
	invariant(rc != 0 || (g2.pvh_entry == g.pvh_entry && g2.image_end == g.image_end),
		  "result changed between identical runs", err);
	return 0;
}
