/* SPDX-License-Identifier: MIT */
/* Writes the seed corpus for fuzz_layout into the directory given: valid
 * layouts of different shapes, plus records that fail at different depths of
 * validation, so the fuzzer starts from every stage. */
#include <stdio.h>
#include <string.h>

#include "fixtures/layout_fixture.h"

static int write_seed(const char *dir, const char *name, const void *bytes, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}

/* One CPU, no task, only its entry stack: the smallest accepted layout. */
static void minimal(struct ebx_layout *r)
{
	fx_build(r, true);
	r->ncpus = 1;
	r->ntasks = 0;
	r->nstacks = 1;
	memset(r->ist_of_vector, 0, sizeof(r->ist_of_vector));
}

int main(int argc, char **argv)
{
	struct ebx_layout r;
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	fx_build(&r, true);
	bad |= write_seed(argv[1], "valid-pti", &r, sizeof(r));
	r.pcid = 1;
	fx_land_on(&r, FX_LAND_PTI);
	bad |= write_seed(argv[1], "valid-pcid-pti-stack", &r, sizeof(r));
	fx_build(&r, false);
	fx_land_on(&r, FX_LAND_VCPU);
	bad |= write_seed(argv[1], "valid-nopti-vcpu", &r, sizeof(r));
	minimal(&r);
	bad |= write_seed(argv[1], "valid-minimal", &r, sizeof(r));
	fx_build(&r, true);
	r.stacks[FX_ST_IST(0, 2)].guard_below = 3;
	bad |= write_seed(argv[1], "bad-overlap-guard", &r, sizeof(r));
	fx_build(&r, true);
	r.tasks[2].user_pgd = r.tasks[2].kernel_pgd;
	bad |= write_seed(argv[1], "bad-pti-pair", &r, sizeof(r));
	fx_build(&r, true);
	r.version = 1;
	bad |= write_seed(argv[1], "bad-version", &r, sizeof(r));
	fx_build(&r, true);
	bad |= write_seed(argv[1], "bad-truncated", &r, sizeof(r) - 64);
	return bad;
}
