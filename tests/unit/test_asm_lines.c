/* SPDX-License-Identifier: MIT */
/*
 * Source lines of the guest's assembler, read from the guest image as the VMM
 * reads them (its symbol table, DWARF through libdw, capstone): an instruction
 * that comes out of a macro must name the line of the macro body it was written
 * on, not the line that invokes the macro.  The kpti SYSCALL entry is one macro
 * invocation (SYSCALL_ENTRY) made of further macros from entry/calling.h, so
 * every instruction of its prologue is checked against the source text of the
 * line the image names for it.
 */
#include <check.h>
#include <ctype.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "explain/symbols.h"

#define PROLOGUE_MAX 256

static const char *need_env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL && v[0] != '\0', "%s is not set (meson test sets it)", name);
	return v;
}

/* The bytes at [addr, addr + len) of the image's sections. */
static size_t read_image(const char *path, uint64_t addr, uint8_t *out, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t got = 0;

	ck_assert_msg(fd >= 0, "cannot open %s", path);
	ck_assert(elf_version(EV_CURRENT) != EV_NONE);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	ck_assert_msg(elf != NULL, "%s: %s", path, elf_errmsg(-1));
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_PROGBITS || addr < sh.sh_addr ||
		    addr >= sh.sh_addr + sh.sh_size)
			continue;
		d = elf_getdata(scn, NULL);
		ck_assert(d != NULL && d->d_buf != NULL);
		got = sh.sh_addr + sh.sh_size - addr;
		if (got > len)
			got = len;
		memcpy(out, (const uint8_t *)d->d_buf + (addr - sh.sh_addr), got);
		break;
	}
	elf_end(elf);
	close(fd);
	return got;
}

/* Line n of a source file of the tree, which the image names by its base name. */
static void source_line(const char *base, int n, char *out, size_t outlen)
{
	static const char *const dirs[] = { "entry", "entry/kpti" };
	char path[4096], *line = NULL;
	size_t cap = 0;
	FILE *f = NULL;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && f == NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s/%s", need_env("ENTRYBOX_SOURCE"), dirs[i], base);
		f = fopen(path, "r");
	}
	ck_assert_msg(f != NULL, "no source file %s under entry/", base);
	for (int i = 1; i <= n; i++)
		ck_assert_msg(getline(&line, &cap, f) > 0, "%s has no line %d", base, n);
	snprintf(out, outlen, "%s", line);
	free(line);
	fclose(f);
}

/* The operation a source line performs: its first word after any label. */
static void first_word(const char *line, char *out, size_t outlen)
{
	const char *p = line, *colon;
	size_t n = 0;

	while (isspace((unsigned char)*p))
		p++;
	colon = strchr(p, ':');
	if (colon != NULL && strcspn(p, " \t") > (size_t)(colon - p))
		for (p = colon + 1; isspace((unsigned char)*p); p++)
			;
	while (p[n] != '\0' && !isspace((unsigned char)p[n]) && p[n] != ',' && n + 1 < outlen)
		n++;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* capstone writes AT&T mnemonics with their size suffix (pushq, callq); the
 * source may leave it off (push, call). */
static bool same_mnemonic(const char *source, const char *insn)
{
	size_t n = strcspn(insn, " ");
	size_t s = strlen(source);

	return s > 0 && (strncmp(source, insn, n) == 0 ? s == n : (s + 1 == n && strncmp(source, insn, s) == 0));
}

START_TEST(syscall_prologue_names_the_macro_bodies)
{
	const char *image = need_env("ENTRYBOX_GUEST");
	char err[256], src[128], base[128], text[512], word[64], insn[96];
	uint8_t code[PROLOGUE_MAX];
	uint64_t entry = 0, size = 0, at = 0;
	size_t len, steps = 0, in_calling = 0;
	bool cr3_write_seen = false, reached_call = false;
	struct symtab *st = symtab_open(image, err, sizeof(err));

	ck_assert_msg(st != NULL, "%s", err);
	ck_assert_msg(symtab_lookup(st, "entry_SYSCALL_64", &entry, &size), "no entry_SYSCALL_64 in %s", image);
	len = read_image(image, entry, code, sizeof(code));
	ck_assert_uint_eq(len, sizeof(code));

	/* From SYSCALL to the call into C: the stack switch, the CR3 switch, the frame. */
	while (at < len && !reached_call) {
		size_t n = disasm_one(code + at, len - at, entry + at, insn, sizeof(insn));
		int line = 0;

		ck_assert_msg(n > 0, "entry_SYSCALL_64+0x%llx does not disassemble", (unsigned long long)at);
		ck_assert_msg(symtab_source_line(st, entry + at, src, sizeof(src)),
			      "entry_SYSCALL_64+0x%llx (%s) has no source line", (unsigned long long)at, insn);
		ck_assert_msg(sscanf(src, "%127[^:]:%d", base, &line) == 2, "source line \"%s\"", src);
		source_line(base, line, text, sizeof(text));
		first_word(text, word, sizeof(word));
		ck_assert_msg(same_mnemonic(word, insn),
			      "entry_SYSCALL_64+0x%llx is `%s` but its line %s reads `%s`: the line of a macro "
			      "invocation instead of the macro body's?",
			      (unsigned long long)at, insn, src, text);
		if (strcmp(base, "calling.h") == 0)
			in_calling++;
		if (strcmp(insn, "movq %rsp, %cr3") == 0) {
			ck_assert_msg(strcmp(base, "calling.h") == 0 && strstr(text, "%cr3") != NULL,
				      "the CR3 write is at %s: `%s`", src, text);
			cr3_write_seen = true;
		}
		reached_call = strncmp(insn, "call", 4) == 0;
		at += n;
		steps++;
	}
	ck_assert_msg(reached_call, "no call into C in the first %zu bytes of entry_SYSCALL_64", len);
	ck_assert_msg(cr3_write_seen, "no CR3 write in the SYSCALL prologue");
	/* SYSCALL_TO_TASK_STACK, SWITCH_TO_KERNEL_CR3, PUSH_SYSCALL_FRAME, PUSH_REGS. */
	ck_assert_msg(in_calling >= 20, "%zu of %zu prologue instructions in entry/calling.h", in_calling, steps);
	symtab_close(st);
}
END_TEST

static Suite *asm_lines_suite(void)
{
	Suite *s = suite_create("asm-lines");
	TCase *tc = tcase_create("guest-image");

	tcase_add_test(tc, syscall_prologue_names_the_macro_bodies);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(asm_lines_suite());
}
