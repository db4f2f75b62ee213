/* SPDX-License-Identifier: MIT */
/*
 * Symbols, source lines and disassembly.  Symbol rules are checked on a small
 * ELF written here with a hand-made symbol table (so every tie and distance
 * is known); DWARF lines on this test binary itself, which the build compiles
 * with -g; disassembly on the entry instructions the reports will show.
 */
#include <check.h>
#include <elf.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "explain/symbols.h"

#define TEXT 0xffffffff81000000ull

struct tsym {
	const char *name;
	uint64_t addr, size;
	uint8_t type, bind;
	uint16_t shndx;
};

/* Section 1 is .text (NOBITS, so no bytes are needed). */
static const struct tsym test_syms[] = {
	{ "func_a", TEXT, 0x100, STT_FUNC, STB_GLOBAL, 1 },
	{ "alias_a", TEXT, 0, STT_NOTYPE, STB_LOCAL, 1 },
	{ "inner_label", TEXT + 0x80, 0, STT_NOTYPE, STB_LOCAL, 1 },
	{ "obj_b", TEXT + 0x200, 0x20, STT_OBJECT, STB_GLOBAL, 1 },
	{ "dup", TEXT + 0x300, 0x10, STT_FUNC, STB_LOCAL, 1 },
	{ "dup", TEXT + 0x400, 0x10, STT_FUNC, STB_GLOBAL, 1 },
	{ "sized_notype", TEXT + 0x500, 0x10, STT_NOTYPE, STB_GLOBAL, 1 },
	{ "func_c", TEXT + 0x500, 0x10, STT_FUNC, STB_LOCAL, 1 },
	{ "label_local", TEXT + 0x1000, 0, STT_NOTYPE, STB_LOCAL, 1 },
	{ "entry_asm", TEXT + 0x1000, 0, STT_NOTYPE, STB_GLOBAL, 1 },
	{ "label_weak", TEXT + 0x1000, 0, STT_NOTYPE, STB_WEAK, 1 },
	{ "outer", TEXT + 0x20000, 0x400, STT_FUNC, STB_GLOBAL, 1 },
	{ "inner", TEXT + 0x20100, 0x10, STT_FUNC, STB_LOCAL, 1 },
	{ "CONST_SYM", TEXT + 0x20200, 0, STT_NOTYPE, STB_GLOBAL, SHN_ABS },
	{ "undef_sym", 0, 0, STT_NOTYPE, STB_GLOBAL, SHN_UNDEF },
	{ "file.c", 0, 0, STT_FILE, STB_LOCAL, SHN_ABS },
	{ "a_section", TEXT, 0, STT_SECTION, STB_LOCAL, 1 },
};
#define NSYMS (sizeof(test_syms) / sizeof(test_syms[0]))

struct blob {
	uint8_t *p;
	size_t len, cap;
};

static size_t blob_put(struct blob *b, const void *data, size_t len, size_t align)
{
	size_t off = (b->len + align - 1) & ~(align - 1);

	if (off + len > b->cap) {
		b->cap = (off + len) * 2;
		b->p = realloc(b->p, b->cap);
		ck_assert_ptr_nonnull(b->p);
	}
	memset(b->p + b->len, 0, off - b->len);
	memcpy(b->p + off, data, len);
	b->len = off + len;
	return off;
}

static char tmpdir_path[64];

static void write_temp(const char *name, const void *data, size_t len, char *path, size_t pathlen)
{
	FILE *f;

	snprintf(path, pathlen, "%s/%s", tmpdir_path, name);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* An ET_EXEC with sections: null, .text (NOBITS), .symtab, .strtab, .shstrtab.
 * with_symtab = false leaves .symtab out, as strip would. */
static void build_symbol_elf(const char *path_name, bool with_symtab, char *path, size_t pathlen)
{
	static const char shstr[] = "\0.text\0.symtab\0.strtab\0.shstrtab";
	struct blob b = { 0 }, strtab = { 0 };
	Elf64_Sym syms[NSYMS + 1];
	Elf64_Shdr sh[5];
	Elf64_Ehdr eh = { 0 };
	size_t symoff, stroff, shstroff, shoff;

	memset(syms, 0, sizeof(syms));
	memset(sh, 0, sizeof(sh));
	blob_put(&strtab, "", 1, 1);
	for (size_t i = 0; i < NSYMS; i++) {
		const struct tsym *t = &test_syms[i];

		syms[i + 1] = (Elf64_Sym){ .st_name = (uint32_t)blob_put(&strtab, t->name, strlen(t->name) + 1, 1),
			.st_info = ELF64_ST_INFO(t->bind, t->type), .st_shndx = t->shndx,
			.st_value = t->addr, .st_size = t->size };
	}
	blob_put(&b, &eh, sizeof(eh), 1);
	symoff = blob_put(&b, syms, sizeof(syms), 8);
	stroff = blob_put(&b, strtab.p, strtab.len, 1);
	shstroff = blob_put(&b, shstr, sizeof(shstr), 1);
	sh[1] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_NOBITS, .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
		.sh_addr = TEXT, .sh_offset = shstroff, .sh_size = 0x30000, .sh_addralign = 16 };
	sh[2] = (Elf64_Shdr){ .sh_name = 7, .sh_type = with_symtab ? SHT_SYMTAB : SHT_PROGBITS,
		.sh_offset = symoff, .sh_size = sizeof(syms), .sh_link = 3, .sh_info = 1,
		.sh_addralign = 8, .sh_entsize = sizeof(Elf64_Sym) };
	sh[3] = (Elf64_Shdr){ .sh_name = 15, .sh_type = SHT_STRTAB, .sh_offset = stroff,
		.sh_size = strtab.len, .sh_addralign = 1 };
	sh[4] = (Elf64_Shdr){ .sh_name = 23, .sh_type = SHT_STRTAB, .sh_offset = shstroff,
		.sh_size = sizeof(shstr), .sh_addralign = 1 };
	shoff = blob_put(&b, sh, sizeof(sh), 8);

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_ehsize = sizeof(eh);
	eh.e_shoff = shoff;
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = 5;
	eh.e_shstrndx = 4;
	memcpy(b.p, &eh, sizeof(eh));
	write_temp(path_name, b.p, b.len, path, pathlen);
	free(b.p);
	free(strtab.p);
}

static struct symtab *st;

static void open_test_elf(void)
{
	char path[128], err[256] = "";

	ck_assert_ptr_nonnull(mkdtemp(strcpy(tmpdir_path, "/tmp/test_symbols.XXXXXX")));
	build_symbol_elf("syms.elf", true, path, sizeof(path));
	st = symtab_open(path, err, sizeof(err));
	ck_assert_msg(st != NULL, "symtab_open: %s", err);
}

static void close_test_elf(void)
{
	char path[128];

	symtab_close(st);
	st = NULL;
	snprintf(path, sizeof(path), "%s/syms.elf", tmpdir_path);
	unlink(path);
	rmdir(tmpdir_path);
}

static void expect_describe(uint64_t addr, const char *want)
{
	char buf[128];

	symtab_describe(st, addr, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, want) == 0, "describe(0x%llx) = \"%s\", expected \"%s\"",
		      (unsigned long long)addr, buf, want);
}

START_TEST(lookup_by_name)
{
	uint64_t addr = 0, size = 0;

	ck_assert(symtab_lookup(st, "func_a", &addr, &size));
	ck_assert_uint_eq(addr, TEXT);
	ck_assert_uint_eq(size, 0x100);
	ck_assert(symtab_lookup(st, "entry_asm", &addr, NULL));
	ck_assert_uint_eq(addr, TEXT + 0x1000);
	/* A global wins over a local of the same name. */
	ck_assert(symtab_lookup(st, "dup", &addr, &size));
	ck_assert_uint_eq(addr, TEXT + 0x400);
	/* Absolute symbols can be looked up... */
	ck_assert(symtab_lookup(st, "CONST_SYM", &addr, NULL));
	ck_assert_uint_eq(addr, TEXT + 0x20200);
	/* ...undefined, file and section symbols are not symbols of the image. */
	ck_assert(!symtab_lookup(st, "undef_sym", &addr, NULL));
	ck_assert(!symtab_lookup(st, "file.c", &addr, NULL));
	ck_assert(!symtab_lookup(st, "a_section", &addr, NULL));
	ck_assert(!symtab_lookup(st, "func", &addr, NULL));
	ck_assert(!symtab_lookup(st, "", &addr, NULL));
	ck_assert(!symtab_lookup(st, "zzz", &addr, NULL));
	ck_assert(!symtab_lookup(NULL, "func_a", &addr, NULL));
}
END_TEST

START_TEST(describe_sized_first)
{
	/* func_a and the label alias_a share an address: the sized function names it. */
	expect_describe(TEXT, "func_a+0x0");
	expect_describe(TEXT + 0x10, "func_a+0x10");
	/* A label inside a sized function does not steal its addresses. */
	expect_describe(TEXT + 0x90, "func_a+0x90");
	expect_describe(TEXT + 0xff, "func_a+0xff");
	expect_describe(TEXT + 0x21f, "obj_b+0x1f");
	/* Same address and size: a function beats a plain symbol. */
	expect_describe(TEXT + 0x504, "func_c+0x4");
	/* Nested sized symbols: the innermost one that still contains the address. */
	expect_describe(TEXT + 0x20108, "inner+0x8");
	expect_describe(TEXT + 0x20110, "outer+0x110");
	/* Absolute symbols never describe an address. */
	expect_describe(TEXT + 0x20200, "outer+0x200");
}
END_TEST

START_TEST(describe_labels_and_gaps)
{
	/* Past the end of a sized symbol: the nearest label before it still names
	 * the place (here the label inside func_a)... */
	expect_describe(TEXT + 0x100, "inner_label+0x80");
	/* ...but when the nearest symbol is sized and ends before, no name is honest. */
	expect_describe(TEXT + 0x220, "0xffffffff81000220");
	/* An unsized label covers up to 64 KiB after itself; of several labels
	 * at one address the global one names it. */
	expect_describe(TEXT + 0x1000, "entry_asm+0x0");
	expect_describe(TEXT + 0x1234, "entry_asm+0x234");
	expect_describe(TEXT + 0x1000 + 0xffff, "entry_asm+0xffff");
	expect_describe(TEXT + 0x1000 + 0x10000, "0xffffffff81011000");
	/* Below every symbol, and past the last one. */
	expect_describe(0x1000, "0x1000");
	expect_describe(TEXT + 0x20400, "0xffffffff81020400");
	expect_describe(UINT64_MAX, "0xffffffffffffffff");
}
END_TEST

START_TEST(describe_small_buffers)
{
	char buf[8];

	symtab_describe(st, TEXT + 0x10, buf, sizeof(buf));
	ck_assert_str_eq(buf, "func_a+");
	symtab_describe(NULL, 0x1234, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0x1234");
	symtab_describe(st, TEXT, NULL, 0);  /* must not crash */
}
END_TEST

START_TEST(no_dwarf_no_lines)
{
	char buf[64];

	ck_assert(!symtab_source_line(st, TEXT + 0x10, buf, sizeof(buf)));
	ck_assert(!symtab_source_line(NULL, TEXT, buf, sizeof(buf)));
}
END_TEST

START_TEST(open_errors)
{
	char path[128], err[256] = "";

	ck_assert_ptr_null(symtab_open("/nonexistent/guest.elf", err, sizeof(err)));
	ck_assert_msg(strstr(err, "/nonexistent/guest.elf: No such file") != NULL, "%s", err);

	write_temp("text.txt", "hello\n", 6, path, sizeof(path));
	ck_assert_ptr_null(symtab_open(path, err, sizeof(err)));
	ck_assert_msg(strstr(err, "not an ELF64 file") != NULL, "%s", err);
	unlink(path);

	build_symbol_elf("stripped.elf", false, path, sizeof(path));
	ck_assert_ptr_null(symtab_open(path, err, sizeof(err)));
	ck_assert_msg(strstr(err, "no symbol table") != NULL, "%s", err);
	unlink(path);

	ck_assert_ptr_null(symtab_open(tmpdir_path, err, sizeof(err)));
	ck_assert_msg(strstr(err, "not a regular file") != NULL, "%s", err);
	symtab_close(NULL);
}
END_TEST

/* ---- this binary: a real toolchain's symbols and DWARF ------------------------ */

int main(void);

enum { MARKER_LINE = __LINE__ + 2 };
__attribute__((noinline, used)) int symbols_test_marker(int x);
__attribute__((noinline, used)) int symbols_test_marker(int x)
{
	return x * 3 + 1;
}

START_TEST(own_binary_symbols_and_lines)
{
	struct symtab *self;
	char err[256], buf[128], want[64];
	uint64_t marker = 0, msize = 0, main_addr = 0, bias;
	int line;

	self = symtab_open("/proc/self/exe", err, sizeof(err));
	ck_assert_msg(self != NULL, "%s", err);
	ck_assert(symtab_lookup(self, "symbols_test_marker", &marker, &msize));
	ck_assert_uint_gt(msize, 0);
	ck_assert(symtab_lookup(self, "main", &main_addr, NULL));
	/* A PIE is loaded at a bias; both symbols must agree on it. */
	bias = (uint64_t)(uintptr_t)symbols_test_marker - marker;
	ck_assert_uint_eq((uint64_t)(uintptr_t)main - main_addr, bias);

	symtab_describe(self, marker + 1, buf, sizeof(buf));
	ck_assert_str_eq(buf, "symbols_test_marker+0x1");

	ck_assert_msg(symtab_source_line(self, marker, buf, sizeof(buf)), "no line for the marker: build with -g");
	ck_assert_msg(sscanf(buf, "test_symbols.c:%d", &line) == 1, "source line \"%s\"", buf);
	ck_assert_msg(line >= MARKER_LINE && line <= MARKER_LINE + 2, "marker at line %d, source says %s",
		      MARKER_LINE, buf);
	snprintf(want, sizeof(want), "test_symbols.c:%d", line);
	ck_assert_str_eq(buf, want);
	symtab_close(self);
}
END_TEST

/* ---- disassembly ------------------------------------------------------------ */

static void expect_insn(const char *bytes, size_t len, uint64_t addr, const char *want, size_t want_len)
{
	char buf[96];
	size_t n = disasm_one((const uint8_t *)bytes, len, addr, buf, sizeof(buf));

	ck_assert_msg(n == want_len && strcmp(buf, want) == 0, "disasm = %zu \"%s\", expected %zu \"%s\"", n,
		      buf, want_len, want);
}

START_TEST(disasm_entry_instructions)
{
	/* 0f 07 without REX.W returns to 32-bit compatibility mode; Linux uses 48 0f 07. */
	expect_insn("\x48\x0f\x07", 3, 0, "sysretq", 3);
	expect_insn("\x0f\x07", 2, 0, "sysretl", 2);
	expect_insn("\x0f\x05", 2, 0, "syscall", 2);
	expect_insn("\x0f\x01\xf8", 3, 0, "swapgs", 3);
	expect_insn("\x0f\x22\xdc", 3, 0, "movq %rsp, %cr3", 3);
	expect_insn("\x0f\x22\xdf", 3, 0, "movq %rdi, %cr3", 3);
	expect_insn("\x65\x48\x89\x24\x25\x10\x00\x00\x00", 9, 0, "movq %rsp, %gs:0x10", 9);
	expect_insn("\x48\xcf", 2, 0, "iretq", 2);
	expect_insn("\xf4\x90", 2, 0, "hlt", 1);
	/* Relative targets use the address given. */
	expect_insn("\xe8\x00\x00\x00\x00", 5, 0xffffffff81000000ull, "callq 0xffffffff81000005", 5);
}
END_TEST

START_TEST(disasm_bad_input)
{
	char buf[8];

	expect_insn("\x0f\x01", 2, 0, "", 0);          /* truncated */
	expect_insn("\x06", 1, 0, "", 0);              /* push %es: invalid in 64-bit mode */
	expect_insn("", 0, 0, "", 0);
	ck_assert_uint_eq(disasm_one(NULL, 4, 0, buf, sizeof(buf)), 0);
	/* A short buffer truncates the text, not the length. */
	ck_assert_uint_eq(disasm_one((const uint8_t *)"\x0f\x01\xf8", 3, 0, buf, 4), 3);
	ck_assert_str_eq(buf, "swa");
	ck_assert_uint_eq(disasm_one((const uint8_t *)"\x0f\x01\xf8", 3, 0, NULL, 0), 3);
}
END_TEST

static void *disasm_thread(void *arg)
{
	char buf[32];

	(void)arg;
	if (disasm_one((const uint8_t *)"\x0f\x01\xf8", 3, 0, buf, sizeof(buf)) != 3 || strcmp(buf, "swapgs") != 0)
		return (void *)1;
	return NULL;
}

/* Each vCPU thread disassembles with its own decoder. */
START_TEST(disasm_threads)
{
	pthread_t t[4];
	void *ret;

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, disasm_thread, NULL), 0);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
}
END_TEST

static Suite *symbols_suite(void)
{
	Suite *s = suite_create("symbols");
	TCase *syms = tcase_create("symtab"), *self = tcase_create("own-binary"), *dis = tcase_create("disasm");

	tcase_add_checked_fixture(syms, open_test_elf, close_test_elf);
	tcase_add_test(syms, lookup_by_name);
	tcase_add_test(syms, describe_sized_first);
	tcase_add_test(syms, describe_labels_and_gaps);
	tcase_add_test(syms, describe_small_buffers);
	tcase_add_test(syms, no_dwarf_no_lines);
	tcase_add_test(syms, open_errors);
	tcase_add_test(self, own_binary_symbols_and_lines);
	tcase_add_test(dis, disasm_entry_instructions);
	tcase_add_test(dis, disasm_bad_input);
	tcase_add_test(dis, disasm_threads);
	suite_add_tcase(s, syms);
	suite_add_tcase(s, self);
	suite_add_tcase(s, dis);
	return s;
}

int main(void)
{
	return check_run(symbols_suite());
}
