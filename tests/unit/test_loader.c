/* SPDX-License-Identifier: MIT */
/*
 * The PVH loader against images assembled here byte by byte: one good image,
 * then one defect at a time, each of which must be refused with its own
 * message and without touching guest RAM.  Also the guest RAM accessors.
 */
#include <check.h>
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "machine/gmem.h"
#include "machine/loader.h"

#define RAM_SIZE   (2ull << 20)
#define RAM_FILL   0xaa

/* Layout of the test image (file offsets). */
#define OFF_PHDR   0x40u
#define OFF_NOTE   0xb0u
#define OFF_CODE   0x100u
#define CODE_SIZE  0x40u
#define OFF_STRTAB 0x140u
#define OFF_SHDR   0x180u
#define IMG_MAX    0x8000u

#define LOAD_PADDR 0x100000ull
#define LOAD_MEMSZ 0x3000ull
#define ENTRY      (LOAD_PADDR + 0x10)

struct image {
	_Alignas(8) uint8_t bytes[IMG_MAX];
	size_t len;
};

struct pvh_note {
	Elf64_Nhdr nh;
	char name[4];
	uint8_t desc[8];
};

static Elf64_Ehdr *ehdr(struct image *im) { return (Elf64_Ehdr *)im->bytes; }
static Elf64_Phdr *phdr(struct image *im, unsigned i) { return (Elf64_Phdr *)(im->bytes + OFF_PHDR) + i; }
static struct pvh_note *note(struct image *im) { return (struct pvh_note *)(im->bytes + OFF_NOTE); }
static Elf64_Shdr *shdr(struct image *im, unsigned i) { return (Elf64_Shdr *)(im->bytes + OFF_SHDR) + i; }

static void set_entry(struct image *im, uint64_t entry, unsigned descsz)
{
	note(im)->nh.n_descsz = descsz;
	memset(note(im)->desc, 0, sizeof(note(im)->desc));
	memcpy(note(im)->desc, &entry, descsz <= 8 ? descsz : 8);
}

/* A minimal PVH guest: one PT_LOAD (0x40 bytes of code, the rest bss) at
 * 1 MiB and one PT_NOTE with Xen's PHYS32_ENTRY, no section headers. */
static void build_image(struct image *im)
{
	Elf64_Ehdr *eh = ehdr(im);
	Elf64_Phdr *load = phdr(im, 0), *nt = phdr(im, 1);

	memset(im, 0, sizeof(*im));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = 0xffffffff81000000ull;
	eh->e_phoff = OFF_PHDR;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 2;
	eh->e_shentsize = sizeof(Elf64_Shdr);

	*load = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = OFF_CODE,
		.p_vaddr = LOAD_PADDR, .p_paddr = LOAD_PADDR, .p_filesz = CODE_SIZE,
		.p_memsz = LOAD_MEMSZ, .p_align = 0x1000 };
	*nt = (Elf64_Phdr){ .p_type = PT_NOTE, .p_flags = PF_R, .p_offset = OFF_NOTE,
		.p_filesz = 20, .p_align = 4 };
	note(im)->nh.n_namesz = 4;
	note(im)->nh.n_type = 18;
	memcpy(note(im)->name, "Xen", 4);
	set_entry(im, ENTRY, 4);
	for (unsigned i = 0; i < CODE_SIZE; i++)
		im->bytes[OFF_CODE + i] = (uint8_t)(0x40 + i);
	im->len = OFF_CODE + CODE_SIZE;
}

/* Same image, but the note is only reachable as an SHT_NOTE section. */
static void build_section_note_image(struct image *im)
{
	static const char strtab[] = "\0.note.Xen\0.shstrtab";

	build_image(im);
	ehdr(im)->e_phnum = 1;
	ehdr(im)->e_shoff = OFF_SHDR;
	ehdr(im)->e_shnum = 3;
	ehdr(im)->e_shstrndx = 2;
	memcpy(im->bytes + OFF_STRTAB, strtab, sizeof(strtab));
	*shdr(im, 1) = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_NOTE, .sh_flags = SHF_ALLOC,
		.sh_offset = OFF_NOTE, .sh_size = 20, .sh_addralign = 4 };
	*shdr(im, 2) = (Elf64_Shdr){ .sh_name = 11, .sh_type = SHT_STRTAB, .sh_offset = OFF_STRTAB,
		.sh_size = sizeof(strtab), .sh_addralign = 1 };
	im->len = OFF_SHDR + 3 * sizeof(Elf64_Shdr);
}

static struct gmem new_ram(uint64_t size)
{
	struct gmem m = { .host = malloc(size), .size = size };

	ck_assert_ptr_nonnull(m.host);
	memset(m.host, RAM_FILL, size);
	return m;
}

/* Every byte still RAM_FILL: each byte equals its successor and the first is
 * the fill (one memcmp instead of a 2 MiB byte loop per refused image). */
static bool ram_untouched(const struct gmem *m)
{
	return m->host[0] == RAM_FILL && memcmp(m->host, m->host + 1, m->size - 1) == 0;
}

static int load(struct gmem *m, const struct image *im, const char *cmdline, struct loaded_guest *g,
		char *err, size_t errlen)
{
	return loader_load_pvh(m, im->bytes, im->len, cmdline, g, err, errlen) ? 0 : -1;
}

/* Every refusal: -1, one line naming the defect, guest RAM as it was. */
static void expect_error_ram(const struct image *im, uint64_t ram, const char *cmdline, const char *want)
{
	struct gmem m = new_ram(ram);
	struct loaded_guest g = { 0 };
	char err[256] = "";
	int rc = load(&m, im, cmdline, &g, err, sizeof(err));

	ck_assert_msg(rc == -1, "loaded an image that should fail with \"%s\"", want);
	ck_assert_msg(strstr(err, want) != NULL, "error \"%s\" does not contain \"%s\"", err, want);
	ck_assert_msg(strchr(err, '\n') == NULL, "error \"%s\" is not one line", err);
	ck_assert_msg(ram_untouched(&m), "a refused image (\"%s\") modified guest RAM", err);
	free(m.host);
}

static void expect_error(const struct image *im, const char *want)
{
	expect_error_ram(im, RAM_SIZE, "console=ttyS0", want);
}

/* ---- the good image ---------------------------------------------------------- */

static void check_good_load(const struct image *im, uint32_t want_entry)
{
	struct gmem m = new_ram(RAM_SIZE);
	struct loaded_guest g;
	char err[256] = "x";
	uint32_t si[14];
	uint64_t mm[9];

	ck_assert_int_eq(load(&m, im, "entry=kpti pti=on", &g, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(g.pvh_entry, want_entry);
	ck_assert_uint_eq(g.start_info_gpa, LOADER_START_INFO_GPA);
	ck_assert_uint_eq(g.image_start, LOAD_PADDR);
	ck_assert_uint_eq(g.image_end, LOAD_PADDR + LOAD_MEMSZ);

	/* Segment bytes copied, bss zeroed, nothing written past the segment. */
	ck_assert_int_eq(memcmp(m.host + LOAD_PADDR, im->bytes + OFF_CODE, CODE_SIZE), 0);
	for (uint64_t a = LOAD_PADDR + CODE_SIZE; a < LOAD_PADDR + LOAD_MEMSZ; a++)
		ck_assert_msg(m.host[a] == 0, "bss byte at 0x%llx not zeroed", (unsigned long long)a);
	ck_assert_uint_eq(m.host[LOAD_PADDR + LOAD_MEMSZ], RAM_FILL);
	ck_assert_uint_eq(m.host[LOAD_PADDR - 1], RAM_FILL);

	/* hvm_start_info, read as the guest would (u32 words, little-endian host). */
	memcpy(si, m.host + LOADER_START_INFO_GPA, sizeof(si));
	ck_assert_uint_eq(si[0], 0x336ec578u);  /* magic */
	ck_assert_uint_eq(si[1], 1);            /* version */
	ck_assert_uint_eq(si[2], 0);            /* flags */
	ck_assert_uint_eq(si[3], 0);            /* nr_modules */
	ck_assert_uint_eq(si[4] | (uint64_t)si[5] << 32, 0);                   /* modlist_paddr */
	ck_assert_uint_eq(si[6] | (uint64_t)si[7] << 32, LOADER_CMDLINE_GPA);  /* cmdline_paddr */
	ck_assert_uint_eq(si[8] | (uint64_t)si[9] << 32, 0);                   /* rsdp_paddr */
	ck_assert_uint_eq(si[10] | (uint64_t)si[11] << 32, LOADER_MEMMAP_GPA); /* memmap_paddr */
	ck_assert_uint_eq(si[12], 3);           /* memmap_entries */
	ck_assert_uint_eq(si[13], 0);           /* reserved */

	/* Memory map: {addr, size, type|reserved<<32} x 3. */
	memcpy(mm, m.host + LOADER_MEMMAP_GPA, sizeof(mm));
	ck_assert_uint_eq(mm[0], 0);
	ck_assert_uint_eq(mm[1], 0x6000);
	ck_assert_uint_eq(mm[2], 1);
	ck_assert_uint_eq(mm[3], 0x6000);
	ck_assert_uint_eq(mm[4], 0x2000);
	ck_assert_uint_eq(mm[5], 2);
	ck_assert_uint_eq(mm[6], 0x100000);
	ck_assert_uint_eq(mm[7], RAM_SIZE - 0x100000);
	ck_assert_uint_eq(mm[8], 1);

	ck_assert_str_eq((const char *)m.host + LOADER_CMDLINE_GPA, "entry=kpti pti=on");
	/* The whole boot data area is defined: zero wherever nothing was written. */
	ck_assert_uint_eq(m.host[LOADER_CMDLINE_GPA + LOADER_CMDLINE_MAX - 1], 0);
	ck_assert_uint_eq(m.host[LOADER_MEMMAP_GPA + sizeof(mm)], 0);
	ck_assert_uint_eq(m.host[0x5fff], RAM_FILL);
	ck_assert_uint_eq(m.host[0x8000], RAM_FILL);
	free(m.host);
}

START_TEST(good_image_loads)
{
	struct image im;

	build_image(&im);
	check_good_load(&im, ENTRY);
}
END_TEST

START_TEST(good_image_with_8_byte_note)
{
	struct image im;

	build_image(&im);
	set_entry(&im, LOAD_PADDR + 0x3f, 8);
	phdr(&im, 1)->p_filesz = 24;
	check_good_load(&im, LOAD_PADDR + 0x3f);
}
END_TEST

START_TEST(note_found_in_section)
{
	struct image im;

	build_section_note_image(&im);
	check_good_load(&im, ENTRY);
}
END_TEST

/* e_phnum = PN_XNUM: the real count lives in section header 0's sh_info. */
START_TEST(extended_phnum)
{
	struct image im;

	build_section_note_image(&im);
	ehdr(&im)->e_phnum = PN_XNUM;
	shdr(&im, 0)->sh_info = 2;
	check_good_load(&im, ENTRY);

	shdr(&im, 0)->sh_info = 70000;
	expect_error(&im, "truncated: the program header table (70000 entries at 0x40)");
}
END_TEST

START_TEST(cmdline_limits)
{
	struct image im;
	struct gmem m = new_ram(RAM_SIZE);
	struct loaded_guest g;
	char err[256];
	char *line = malloc(LOADER_CMDLINE_MAX + 1);

	ck_assert_ptr_nonnull(line);
	build_image(&im);
	memset(line, 'k', LOADER_CMDLINE_MAX - 1);
	line[LOADER_CMDLINE_MAX - 1] = '\0';
	ck_assert_int_eq(load(&m, &im, line, &g, err, sizeof(err)), 0);
	ck_assert_str_eq((const char *)m.host + LOADER_CMDLINE_GPA, line);

	line[LOADER_CMDLINE_MAX - 1] = 'k';
	line[LOADER_CMDLINE_MAX] = '\0';
	expect_error_ram(&im, RAM_SIZE, line, "kernel command line is too long (4096 bytes, at most 4095)");

	/* No command line at all is an empty one. */
	ck_assert_int_eq(load(&m, &im, NULL, &g, err, sizeof(err)), 0);
	ck_assert_str_eq((const char *)m.host + LOADER_CMDLINE_GPA, "");
	free(line);
	free(m.host);
}
END_TEST

/* A guest of exactly 1 MiB has no high RAM: the map must not claim any. */
START_TEST(small_ram_memmap)
{
	struct image im;
	struct gmem m = new_ram(1ull << 20);
	struct loaded_guest g;
	char err[256];
	uint32_t entries;

	build_image(&im);
	phdr(&im, 0)->p_paddr = 0x10000;
	phdr(&im, 0)->p_memsz = CODE_SIZE;
	set_entry(&im, 0x10000, 4);
	ck_assert_int_eq(load(&m, &im, "", &g, err, sizeof(err)), 0);
	memcpy(&entries, m.host + LOADER_START_INFO_GPA + 48, 4);
	ck_assert_uint_eq(entries, 2);
	free(m.host);
}
END_TEST

/* ---- one row per defect: build the good image, break it step by step ---------- */

/* Each step breaks the image further (steps are cumulative, like edits) and
 * must be refused with a message containing `want`. */
struct reject_step {
	void (*mutate)(struct image *im);
	const char *want;
	uint64_t ram;             /* 0: RAM_SIZE */
	const char *cmdline;      /* NULL: "console=ttyS0" */
};

struct reject_case {
	const char *why;
	struct reject_step steps[5];  /* up to the first with mutate == NULL */
};

#define M(fn, body) static void fn(struct image *im) { body; }
M(m_none, (void)im)
/* the ELF header */
M(m_len_40, im->len = 40)
M(m_len_mid_code, im->len = OFF_CODE + 0x20)
M(m_len_mid_phdrs, im->len = OFF_PHDR + 10)
M(m_len_0, im->len = 0)
M(m_section_note_cut, build_section_note_image(im); im->len -= 1)
M(m_class32, ehdr(im)->e_ident[EI_CLASS] = ELFCLASS32)
M(m_big_endian, ehdr(im)->e_ident[EI_DATA] = ELFDATA2MSB)
M(m_machine_386, ehdr(im)->e_machine = EM_386)
M(m_et_dyn, ehdr(im)->e_type = ET_DYN)
M(m_phnum_huge, ehdr(im)->e_phnum = 0xfff0)
/* 300 PT_NULL entries after ours, all inside the file. */
M(m_phnum_300, ehdr(im)->e_phoff = 0x1000; memcpy(im->bytes + 0x1000, phdr(im, 0), 2 * sizeof(Elf64_Phdr));
  ehdr(im)->e_phnum = 300; im->len = 0x1000 + 300 * sizeof(Elf64_Phdr); ck_assert_uint_le(im->len, IMG_MAX))
M(m_phentsize_32, ehdr(im)->e_phentsize = 32)
/* segments */
M(m_memsz_small, phdr(im, 0)->p_memsz = 0x20)
M(m_offset_far, phdr(im, 0)->p_offset = 0x10000)
M(m_offset_wraps, phdr(im, 0)->p_offset = UINT64_MAX - 8)
M(m_paddr_wraps, phdr(im, 0)->p_paddr = UINT64_MAX - 0x1000)
M(m_at_ram_end, phdr(im, 0)->p_paddr = RAM_SIZE - 0x1000; set_entry(im, RAM_SIZE - 0x1000, 4))
M(m_overlap, *phdr(im, 1) = *phdr(im, 0); phdr(im, 1)->p_paddr = LOAD_PADDR + 0x2000)
M(m_load_null, phdr(im, 0)->p_type = PT_NULL)
M(m_phnum_0, ehdr(im)->e_phnum = 0)
M(m_at_0x1000, phdr(im, 0)->p_paddr = 0x1000; set_entry(im, 0x1000, 4))
/* the PVH note */
M(m_note_null, phdr(im, 1)->p_type = PT_NULL)
M(m_note_name_xem, memcpy(note(im)->name, "Xem", 4))
/* "Xen" without its NUL is another name */
M(m_note_namesz_3, memcpy(note(im)->name, "Xen", 4); note(im)->nh.n_namesz = 3)
M(m_note_type, note(im)->nh.n_type = 17)
M(m_note_descsz_2, note(im)->nh.n_descsz = 2)
M(m_note_past_eof, phdr(im, 1)->p_offset = 0x130)
M(m_entry_64bit, phdr(im, 1)->p_filesz = 24; set_entry(im, 0x100000000ull + ENTRY, 8))
M(m_entry_2m, set_entry(im, 0x200000, 4))
/* Inside the segment but in its bss: there is no code there. */
M(m_entry_bss, set_entry(im, LOAD_PADDR + CODE_SIZE, 4))
M(m_entry_below, set_entry(im, LOAD_PADDR - 1, 4))
#undef M

#define S(fn, text) { .mutate = fn, .want = text }

static const struct reject_case header_cases[] = {
	{ "truncated file", {
		S(m_len_40, "truncated: the file has 0x28 bytes but an ELF64 header needs 0x40"),
		S(m_len_mid_code, "truncated: segment 0 needs file bytes up to 0x140 but the file has 0x120"),
		S(m_len_mid_phdrs, "truncated: the program header table (2 entries at 0x40) needs file bytes up to 0xb0"),
		S(m_len_0, "not an ELF file"),
		/* The note only in a section, and the section headers cut off. */
		S(m_section_note_cut, "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY), and the section header table "
				      "lies past the end of the file (0x23f bytes): truncated?") } },
	{ "32-bit class", { S(m_class32, "not an x86-64 ELF64 executable (32-bit class)") } },
	{ "big endian", { S(m_big_endian, "not an x86-64 ELF64 executable (not little-endian)") } },
	{ "wrong machine", { S(m_machine_386, "not an x86-64 ELF64 executable (machine 3, expected EM_X86_64)") } },
	{ "ET_DYN", { S(m_et_dyn, "not an x86-64 ELF64 executable (type ET_DYN, expected ET_EXEC)") } },
	{ "huge e_phnum", { S(m_phnum_huge, "truncated: the program header table (65520 entries at 0x40)") } },
	{ "too many program headers", { S(m_phnum_300, "too many program headers (300, at most 256)") } },
	{ "bad e_phentsize", { S(m_phentsize_32, "program header entry size is 0x20, expected 0x38") } },
};

static const struct reject_case segment_cases[] = {
	{ "file size over memory size", { S(m_memsz_small, "segment 0: file size 0x40 exceeds memory size 0x20") } },
	{ "offset past the end", {
		S(m_offset_far, "truncated: segment 0 needs file bytes up to 0x10040 but the file has 0x140"),
		S(m_offset_wraps, "segment 0: file offset 0xfffffffffffffff7 + size 0x40 overflows") } },
	{ "physical address wraps", {
		S(m_paddr_wraps, "segment 0: physical address 0xffffffffffffefff + size 0x3000 overflows") } },
	{ "segment outside RAM", {
		S(m_at_ram_end, "segment 0 [0x1ff000,0x202000) lies outside guest RAM (2 MiB)"),
		{ .mutate = m_none, .want = "lies outside guest RAM (0x200800 bytes)", .ram = RAM_SIZE + 0x800,
		  .cmdline = "" } } },
	{ "overlapping segments", {
		S(m_overlap, "segment 1 [0x102000,0x105000) overlaps segment 0 [0x100000,0x103000)") } },
	{ "no segments", { S(m_load_null, "no loadable segments"), S(m_phnum_0, "no program headers") } },
	{ "RAM too small for the boot data", {
		{ .mutate = m_at_0x1000, .want = "guest RAM (0x7000 bytes) is too small for the PVH boot data",
		  .ram = 0x7000, .cmdline = "" } } },
};

static const struct reject_case note_cases[] = {
	{ "no note", { S(m_note_null, "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)") } },
	{ "note name", { S(m_note_name_xem, "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)"),
			 S(m_note_namesz_3, "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)") } },
	{ "note type", { S(m_note_type, "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)") } },
	{ "note descriptor size",
	  { S(m_note_descsz_2, "PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) has a 2-byte descriptor, expected 4 or 8") } },
	{ "note past the end",
	  { S(m_note_past_eof, "truncated: note segment 1 [0x130,+0x14) lies past the end of the file (0x140 bytes)") } },
	{ "64-bit entry", { S(m_entry_64bit, "PVH entry 0x100100010 is not a 32-bit physical address") } },
	{ "entry outside the segments", {
		S(m_entry_2m, "PVH entry 0x200000 lies outside the loaded segments"),
		S(m_entry_bss, "PVH entry 0x100040 lies outside the loaded segments"),
		S(m_entry_below, "PVH entry 0xfffff lies outside the loaded segments") } },
};

#undef S

#define NCASES(t) ((int)(sizeof(t) / sizeof((t)[0])))

static void expect_rejections(const struct reject_case *c)
{
	struct image im;

	build_image(&im);
	for (size_t i = 0; i < sizeof(c->steps) / sizeof(c->steps[0]) && c->steps[i].mutate; i++) {
		const struct reject_step *st = &c->steps[i];
		st->mutate(&im);
		expect_error_ram(&im, st->ram ? st->ram : RAM_SIZE, st->cmdline ? st->cmdline : "console=ttyS0",
				 st->want);
	}
}

START_TEST(rejects_header_defect)
{
	expect_rejections(&header_cases[_i]);
}
END_TEST

START_TEST(rejects_segment_defect)
{
	expect_rejections(&segment_cases[_i]);
}
END_TEST

START_TEST(rejects_note_defect)
{
	expect_rejections(&note_cases[_i]);
}
END_TEST

/* ---- refusals that are more than a defect ------------------------------------------ */

/* Whatever the cut, a truncated image is refused (never half-loaded). */
START_TEST(rejects_every_truncation)
{
	struct image im;

	build_image(&im);
	for (size_t cut = 0; cut < OFF_CODE + CODE_SIZE; cut++) {
		im.len = cut;
		expect_error(&im, "");
	}
}
END_TEST

START_TEST(rejects_non_elf)
{
	struct image im;

	build_image(&im);
	im.bytes[1] = 'F';
	expect_error(&im, "not an ELF file");
	ck_assert(!loader_load_pvh(&(struct gmem){ .host = im.bytes, .size = 64 }, NULL, 0, "",
				   &(struct loaded_guest){ 0 }, NULL, 0));
}
END_TEST

START_TEST(rejects_segment_on_boot_data)
{
	struct image im;
	struct gmem m = new_ram(RAM_SIZE);
	struct loaded_guest g;
	char err[256];

	build_image(&im);
	phdr(&im, 0)->p_paddr = 0x5000;
	set_entry(&im, 0x5000, 4);
	expect_error(&im, "segment 0 [0x5000,0x8000) overlaps the PVH boot data [0x6000,0x8000)");
	phdr(&im, 0)->p_paddr = 0x7fff;
	set_entry(&im, 0x7fff, 4);
	expect_error(&im, "segment 0 [0x7fff,0xafff) overlaps the PVH boot data");

	/* Touching either edge of the boot data is fine. */
	phdr(&im, 0)->p_paddr = 0x3000;
	set_entry(&im, 0x3000, 4);
	ck_assert_msg(load(&m, &im, "", &g, err, sizeof(err)) == 0, "%s", err);
	phdr(&im, 0)->p_paddr = 0x8000;
	set_entry(&im, 0x8000, 4);
	ck_assert_msg(load(&m, &im, "", &g, err, sizeof(err)) == 0, "%s", err);
	free(m.host);
}
END_TEST

/* ---- guest RAM accessors ----------------------------------------------------- */

START_TEST(gmem_bounds)
{
	uint8_t ram[0x2000] = { 0 };
	struct gmem m = { .host = ram, .size = sizeof(ram) };
	uint8_t b[4] = { 1, 2, 3, 4 };

	ck_assert_ptr_eq(gmem_ptr(&m, 0, sizeof(ram)), ram);
	ck_assert_ptr_eq(gmem_ptr(&m, sizeof(ram), 0), ram + sizeof(ram));
	ck_assert_ptr_null(gmem_ptr(&m, sizeof(ram), 1));
	ck_assert_ptr_null(gmem_ptr(&m, 1, sizeof(ram)));
	ck_assert_ptr_null(gmem_ptr(&m, 0x1000, UINT64_MAX));
	ck_assert_ptr_null(gmem_ptr(&m, UINT64_MAX, 2));
	ck_assert_ptr_null(gmem_ptr(NULL, 0, 1));
	ck_assert(gmem_write(&m, 0x1ffc, b, 4));
	ck_assert(!gmem_write(&m, 0x1ffd, b, 4));
	memset(b, 0, sizeof(b));
	ck_assert(gmem_read(&m, 0x1ffc, b, 4));
	ck_assert_uint_eq(b[3], 4);
	ck_assert(!gmem_read(&m, 0x1ffd, b, 4));
}
END_TEST

struct bump {
	struct gmem *m;
	uint64_t next;
};

static uint64_t bump_alloc(void *ctx)
{
	struct bump *b = ctx;
	uint64_t pa = b->next;

	b->next += 0x1000;
	return gmem_ptr(b->m, pa, 0x1000) ? pa : 0;
}

static void *bump_page(void *ctx, uint64_t pa)
{
	return gmem_ptr(((struct bump *)ctx)->m, pa & ~0xfffull, 0x1000);
}

START_TEST(gmem_virtual_reads)
{
	struct gmem m = new_ram(RAM_SIZE);
	struct bump b = { .m = &m, .next = 0x11000 };
	struct pt_env env = { .phys_page = bump_page, .alloc_page = bump_alloc, .ctx = &b };
	const uint64_t pml4 = 0x10000, va = 0xffffffff80000000ull;
	uint64_t gpa = 0;
	char buf[16];

	memset(m.host + pml4, 0, 0x1000);
	memset(m.host + 0x11000, 0, 0x10000);
	/* Two virtually adjacent pages backed by non-adjacent frames. */
	ck_assert_int_eq(pt_map(&env, pml4, va, 0x40000, 0x1000, PT_W, 0x1000), PT_OK);
	ck_assert_int_eq(pt_map(&env, pml4, va + 0x1000, 0x80000, 0x1000, PT_W, 0x1000), PT_OK);
	memcpy(m.host + 0x40ff8, "entrybox", 8);
	memcpy(m.host + 0x80000, "-crosses", 8);

	/* PCID and the KPTI user bit are not part of the PGD address. */
	ck_assert(gmem_read_virt(&m, pml4 | 0x7, va + 0xff8, buf, 16));
	ck_assert_int_eq(memcmp(buf, "entrybox-crosses", 16), 0);
	ck_assert(gmem_translate(&m, pml4 | 0x7, va + 0x1004, &gpa));
	ck_assert_uint_eq(gpa, 0x80004);
	ck_assert(!gmem_read_virt(&m, pml4, va + 0x1ff8, buf, 16));
	ck_assert(!gmem_translate(&m, pml4, va - 1, &gpa));

	/* A hostile PML4 entry naming a table beyond guest RAM fails the walk. */
	((uint64_t *)(m.host + pml4))[0] = 0x7ffff000ull | PT_P | PT_W;
	ck_assert(!gmem_read_virt(&m, pml4, 0x1000, buf, 1));
	/* And so does a PGD beyond RAM. */
	ck_assert(!gmem_read_virt(&m, RAM_SIZE, va, buf, 1));
	free(m.host);
}
END_TEST

static Suite *loader_suite(void)
{
	Suite *s = suite_create("loader");
	TCase *good = tcase_create("good"), *hdr = tcase_create("header"), *seg = tcase_create("segments"),
	      *nt = tcase_create("note"), *mem = tcase_create("gmem");

	tcase_add_test(good, good_image_loads);
	tcase_add_test(good, good_image_with_8_byte_note);
	tcase_add_test(good, note_found_in_section);
	tcase_add_test(good, extended_phnum);
	tcase_add_test(good, cmdline_limits);
	tcase_add_test(good, small_ram_memmap);
	tcase_add_loop_test(hdr, rejects_header_defect, 0, NCASES(header_cases));
	tcase_add_test(hdr, rejects_every_truncation);
	tcase_add_test(hdr, rejects_non_elf);
	tcase_add_loop_test(seg, rejects_segment_defect, 0, NCASES(segment_cases));
	tcase_add_test(seg, rejects_segment_on_boot_data);
	tcase_add_loop_test(nt, rejects_note_defect, 0, NCASES(note_cases));
	tcase_add_test(mem, gmem_bounds);
	tcase_add_test(mem, gmem_virtual_reads);
	suite_add_tcase(s, good);
	suite_add_tcase(s, hdr);
	suite_add_tcase(s, seg);
	suite_add_tcase(s, nt);
	suite_add_tcase(s, mem);
	return s;
}

int main(void)
{
	return check_run(loader_suite());
}
