/* SPDX-License-Identifier: MIT */
/*
 * The corpus as a plain test: linked with any fuzz target in the normal
 * build (gcc, with or without ASan+UBSan), runs LLVMFuzzerTestOneInput on
 * every file named on the command line and every file in every directory
 * named there.  libFuzzer builds use their own main instead (tools/fuzz.sh).
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/fuzz_target.h"

/* Larger inputs than any target reads; a bigger file is a broken corpus. */
#define REPLAY_MAX (4u << 20)

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	uint8_t *buf = malloc(REPLAY_MAX);
	size_t n = buf ? fread(buf, 1, REPLAY_MAX, f) : 0;
	bool too_big = buf && n == REPLAY_MAX && fgetc(f) != EOF;
	fclose(f);
	if (!buf || too_big) {
		fprintf(stderr, "%s: %s\n", path, buf ? "larger than any input a target reads" : "out of memory");
		free(buf);
		return -1;
	}
	/* A copy of exactly the input's size, so ASan sees reads past its end. */
	uint8_t *exact = malloc(n ? n : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	return 1;
}

static int replay_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	DIR *d = opendir(path);
	if (!d) {
		perror(path);
		return -1;
	}
	int total = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char sub[4096];
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		int n = replay_path(sub);
		if (n < 0) {
			total = -1;
			break;
		}
		total += n;
	}
	closedir(d);
	return total;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	int total = 0;
	for (int i = 1; i < argc; i++) {
		int n = replay_path(argv[i]);
		if (n < 0)
			return 1;
		total += n;
	}
	/* An empty corpus would make this test pass without testing anything. */
	if (total == 0) {
		fprintf(stderr, "%s: no inputs replayed\n", argv[0]);
		return 1;
	}
	printf("%s: %d inputs replayed\n", argv[0], total);
	return 0;
}
