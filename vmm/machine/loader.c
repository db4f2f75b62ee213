/* SPDX-License-Identifier: MIT */
/*
 * PVH loader (docs/design.md §2): the guest ELF's PT_LOAD segments go to their
 * physical addresses, the entry point comes from the Xen PHYS32_ENTRY note, and
 * the boot data (hvm_start_info, memory map, command line) goes below 1 MiB,
 * where QEMU's PVH boot puts the same things.
 *
 * The image comes from the user, not from us, so nothing in it is trusted:
 * every offset, size and address is checked against the file and guest RAM
 * with comparisons that cannot wrap, before a single guest byte is written.
 * libelf does the parsing, but it is lenient (an unreadable program header
 * table reads as "no program headers"), so the bounds that make a clear error
 * message are checked here from the raw header as well.
 */
#include "machine/loader.h"

#include <assert.h>
#include <elf.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC          0x336ec578u
#define HVM_START_VERSION        1u

#define E820_RAM      1u
#define E820_RESERVED 2u

/* The PVH boot data occupies [BOOT_DATA_START, BOOT_DATA_END); no segment may
 * touch it, and the memory map reports it as reserved so the guest does not
 * hand it out before it has read its command line. */
#define BOOT_DATA_START LOADER_START_INFO_GPA
#define BOOT_DATA_END   (LOADER_CMDLINE_GPA + LOADER_CMDLINE_MAX)
#define HIGH_RAM_START  0x100000ull

/* Linkers emit a handful of program headers; the cap keeps a hostile count
 * from turning the pairwise overlap check into minutes of work. */
#define LOADER_MAX_PHDRS 256u

/* Layout per Xen's public arch-x86/hvm/start_info.h (version 1). */
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info layout");
static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "memmap entry layout");
static_assert(LOADER_START_INFO_GPA + sizeof(struct hvm_start_info) <= LOADER_MEMMAP_GPA,
	      "start_info overlaps the memory map");
static_assert(LOADER_MEMMAP_GPA + 3 * sizeof(struct hvm_memmap_table_entry) <= LOADER_CMDLINE_GPA,
	      "memory map overlaps the command line");

/* One PT_LOAD segment that passed every check. */
struct segment {
	unsigned index;       /* program header index, as readelf -l counts */
	uint64_t offset, filesz, paddr, memsz;
};

struct loader {
	struct gmem *m;
	const uint8_t *bytes;
	size_t len;
	Elf *elf;
	struct segment *segs;
	size_t nsegs;
	char *err;
	size_t errlen;
};

static int fail(struct loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct loader *ld, const char *fmt, ...)
{
	va_list ap;

	if (ld->err != NULL && ld->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(ld->err, ld->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* "64 MiB" for the usual sizes, exact hex otherwise. */
static void format_size(uint64_t bytes, char *buf, size_t buflen)
{
	if (bytes != 0 && bytes % (1ull << 20) == 0)
		snprintf(buf, buflen, "%llu MiB", (unsigned long long)(bytes >> 20));
	else
		snprintf(buf, buflen, "0x%llx bytes", (unsigned long long)bytes);
}

/* [off, off+size) lies inside the file. */
static bool in_file(const struct loader *ld, uint64_t off, uint64_t size)
{
	return off <= ld->len && size <= ld->len - off;
}

static bool ranges_overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 < b1 && b0 < a1;
}

/* e_ident is checked by hand first: libelf would accept a 32-bit or
 * big-endian file and translate it, which is not what a PVH guest is. */
static int check_ident(struct loader *ld)
{
	const uint8_t *id = ld->bytes;

	if (ld->len < SELFMAG || memcmp(id, ELFMAG, SELFMAG) != 0)
		return fail(ld, "not an ELF file");
	if (ld->len < EI_NIDENT)
		return fail(ld, "truncated: the file has 0x%zx bytes, less than an ELF identification", ld->len);
	if (id[EI_CLASS] != ELFCLASS64)
		return fail(ld, "not an x86-64 ELF64 executable (%s)",
			    id[EI_CLASS] == ELFCLASS32 ? "32-bit class" : "unknown ELF class");
	if (id[EI_DATA] != ELFDATA2LSB)
		return fail(ld, "not an x86-64 ELF64 executable (not little-endian)");
	if (ld->len < sizeof(Elf64_Ehdr))
		return fail(ld, "truncated: the file has 0x%zx bytes but an ELF64 header needs 0x%zx",
			    ld->len, sizeof(Elf64_Ehdr));
	return 0;
}

static int check_header(struct loader *ld, const Elf64_Ehdr *eh)
{
	if (eh->e_machine != EM_X86_64)
		return fail(ld, "not an x86-64 ELF64 executable (machine %u, expected EM_X86_64)",
			    eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return fail(ld, "not an x86-64 ELF64 executable (type %s, expected ET_EXEC)",
			    eh->e_type == ET_DYN ? "ET_DYN" : eh->e_type == ET_REL ? "ET_REL" : "unknown");
	if (eh->e_version != EV_CURRENT)
		return fail(ld, "unsupported ELF version %u", eh->e_version);
	return 0;
}

/* The program header count, with the PN_XNUM escape (real count in section
 * header 0's sh_info) read from the raw bytes so its bounds are ours. */
static int count_phdrs(struct loader *ld, const Elf64_Ehdr *eh, uint64_t *count)
{
	Elf64_Shdr sh0;

	if (eh->e_phnum != PN_XNUM) {
		*count = eh->e_phnum;
		return 0;
	}
	if (!in_file(ld, eh->e_shoff, sizeof(sh0)))
		return fail(ld, "truncated: the extended program header count (PN_XNUM) lives in "
			    "section header 0 at 0x%llx, past the end of the file (0x%zx bytes)",
			    (unsigned long long)eh->e_shoff, ld->len);
	memcpy(&sh0, ld->bytes + eh->e_shoff, sizeof(sh0));
	*count = sh0.sh_info;
	return 0;
}

static int check_phdr_table(struct loader *ld, const Elf64_Ehdr *eh, uint64_t count)
{
	uint64_t table;

	if (count == 0)
		return fail(ld, "no program headers");
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return fail(ld, "program header entry size is 0x%x, expected 0x%zx",
			    eh->e_phentsize, sizeof(Elf64_Phdr));
	/* count < 2^32 (it came from 16 or 32 bits), so this cannot wrap. */
	table = count * sizeof(Elf64_Phdr);
	if (!in_file(ld, eh->e_phoff, table))
		return fail(ld, "truncated: the program header table (%llu entries at 0x%llx) needs file "
			    "bytes up to 0x%llx but the file has 0x%zx",
			    (unsigned long long)count, (unsigned long long)eh->e_phoff,
			    (unsigned long long)eh->e_phoff + table, ld->len);
	if (count > LOADER_MAX_PHDRS)
		return fail(ld, "too many program headers (%llu, at most %u)",
			    (unsigned long long)count, LOADER_MAX_PHDRS);
	return 0;
}

static int check_segment(struct loader *ld, unsigned i, const GElf_Phdr *ph)
{
	uint64_t end;
	char ram[32];

	if (ph->p_filesz > ph->p_memsz)
		return fail(ld, "segment %u: file size 0x%llx exceeds memory size 0x%llx", i,
			    (unsigned long long)ph->p_filesz, (unsigned long long)ph->p_memsz);
	if (ph->p_offset > UINT64_MAX - ph->p_filesz)
		return fail(ld, "segment %u: file offset 0x%llx + size 0x%llx overflows", i,
			    (unsigned long long)ph->p_offset, (unsigned long long)ph->p_filesz);
	if (!in_file(ld, ph->p_offset, ph->p_filesz))
		return fail(ld, "truncated: segment %u needs file bytes up to 0x%llx but the file has 0x%zx",
			    i, (unsigned long long)(ph->p_offset + ph->p_filesz), ld->len);
	if (ph->p_paddr > UINT64_MAX - ph->p_memsz)
		return fail(ld, "segment %u: physical address 0x%llx + size 0x%llx overflows", i,
			    (unsigned long long)ph->p_paddr, (unsigned long long)ph->p_memsz);
	end = ph->p_paddr + ph->p_memsz;
	if (end > ld->m->size) {
		format_size(ld->m->size, ram, sizeof(ram));
		return fail(ld, "segment %u [0x%llx,0x%llx) lies outside guest RAM (%s)", i,
			    (unsigned long long)ph->p_paddr, (unsigned long long)end, ram);
	}
	if (ranges_overlap(ph->p_paddr, end, BOOT_DATA_START, BOOT_DATA_END))
		return fail(ld, "segment %u [0x%llx,0x%llx) overlaps the PVH boot data [0x%llx,0x%llx)", i,
			    (unsigned long long)ph->p_paddr, (unsigned long long)end,
			    (unsigned long long)BOOT_DATA_START, (unsigned long long)BOOT_DATA_END);
	return 0;
}

/* Two segments on the same bytes would make the result depend on load order
 * (and the bss zeroing of one could wipe the other): no linker does that. */
static int check_overlaps(struct loader *ld)
{
	for (size_t a = 0; a < ld->nsegs; a++) {
		const struct segment *s = &ld->segs[a];

		for (size_t b = 0; b < a; b++) {
			const struct segment *t = &ld->segs[b];

			if (ranges_overlap(s->paddr, s->paddr + s->memsz, t->paddr, t->paddr + t->memsz))
				return fail(ld, "segment %u [0x%llx,0x%llx) overlaps segment %u [0x%llx,0x%llx)",
					    s->index, (unsigned long long)s->paddr,
					    (unsigned long long)(s->paddr + s->memsz), t->index,
					    (unsigned long long)t->paddr, (unsigned long long)(t->paddr + t->memsz));
		}
	}
	return 0;
}

static int collect_segments(struct loader *ld, uint64_t count)
{
	ld->segs = calloc(count, sizeof(*ld->segs));
	if (ld->segs == NULL)
		return fail(ld, "out of memory for %llu program headers", (unsigned long long)count);
	for (unsigned i = 0; i < count; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(ld->elf, (int)i, &ph) == NULL)
			return fail(ld, "cannot read program header %u: %s", i, elf_errmsg(-1));
		if (ph.p_type != PT_LOAD)
			continue;
		if (check_segment(ld, i, &ph) < 0)
			return -1;
		if (ph.p_memsz == 0)
			continue;
		ld->segs[ld->nsegs++] = (struct segment){ .index = i, .offset = ph.p_offset,
			.filesz = ph.p_filesz, .paddr = ph.p_paddr, .memsz = ph.p_memsz };
	}
	if (ld->nsegs == 0)
		return fail(ld, "no loadable segments");
	return check_overlaps(ld);
}

/* Looks through one block of notes for Xen's PHYS32_ENTRY.  Returns 1 and sets
 * *entry when found, 0 when absent, -1 on a malformed PVH note. */
static int scan_notes(struct loader *ld, Elf_Data *data, uint32_t *entry)
{
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nh;
	uint64_t value = 0;

	while (off < data->d_size && (next = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const uint8_t *base = data->d_buf;

		off = next;
		if (nh.n_type != XEN_ELFNOTE_PHYS32_ENTRY || nh.n_namesz != 4 ||
		    memcmp(base + name_off, "Xen", 4) != 0)
			continue;
		if (nh.n_descsz != 4 && nh.n_descsz != 8)
			return fail(ld, "PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) has a %u-byte descriptor, "
				    "expected 4 or 8", nh.n_descsz);
		/* gelf_getnote() has checked that the descriptor lies inside d_buf;
		 * the file is little-endian, as is the host. */
		memcpy(&value, base + desc_off, nh.n_descsz);
		if (value > UINT32_MAX)
			return fail(ld, "PVH entry 0x%llx is not a 32-bit physical address",
				    (unsigned long long)value);
		*entry = (uint32_t)value;
		return 1;
	}
	return 0;
}

static int notes_in_segments(struct loader *ld, uint64_t count, uint32_t *entry)
{
	for (unsigned i = 0; i < count; i++) {
		GElf_Phdr ph;
		Elf_Data *data;
		int r;

		if (gelf_getphdr(ld->elf, (int)i, &ph) == NULL)
			return fail(ld, "cannot read program header %u: %s", i, elf_errmsg(-1));
		if (ph.p_type != PT_NOTE || ph.p_filesz == 0)
			continue;
		if (!in_file(ld, ph.p_offset, ph.p_filesz))
			return fail(ld, "truncated: note segment %u [0x%llx,+0x%llx) lies past the end of the "
				    "file (0x%zx bytes)", i, (unsigned long long)ph.p_offset,
				    (unsigned long long)ph.p_filesz, ld->len);
		data = elf_getdata_rawchunk(ld->elf, (int64_t)ph.p_offset, ph.p_filesz,
					    ph.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
		if (data == NULL)
			continue;
		r = scan_notes(ld, data, entry);
		if (r != 0)
			return r;
	}
	return 0;
}

/* Sections are the fallback for images whose linker script forgot PT_NOTE;
 * a missing or broken section table just means there is nothing to find. */
static int notes_in_sections(struct loader *ld, uint32_t *entry)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(ld->elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *data;
		int r;

		if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_NOTE || sh.sh_size == 0)
			continue;
		if (!in_file(ld, sh.sh_offset, sh.sh_size))
			continue;
		data = elf_getdata(scn, NULL);
		if (data == NULL)
			continue;
		r = scan_notes(ld, data, entry);
		if (r != 0)
			return r;
	}
	return 0;
}

/* libelf quietly treats a section header table past the end of the file as
 * absent; when the note is missing, that is the likelier story to tell. */
static bool section_table_cut(const struct loader *ld, const Elf64_Ehdr *eh)
{
	return eh->e_shnum != 0 && !in_file(ld, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr));
}

static int find_pvh_entry(struct loader *ld, const Elf64_Ehdr *eh, uint64_t count, uint32_t *entry)
{
	int r = notes_in_segments(ld, count, entry);

	if (r == 0)
		r = notes_in_sections(ld, entry);
	if (r == 0 && section_table_cut(ld, eh))
		return fail(ld, "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY), and the section header table "
			    "lies past the end of the file (0x%zx bytes): truncated?", ld->len);
	if (r == 0)
		return fail(ld, "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)");
	return r < 0 ? -1 : 0;
}

/* The first instruction must come from the file: an entry in bss would run zeros. */
static int check_entry(struct loader *ld, uint32_t entry)
{
	for (size_t i = 0; i < ld->nsegs; i++) {
		const struct segment *s = &ld->segs[i];

		if (entry >= s->paddr && entry - s->paddr < s->filesz)
			return 0;
	}
	return fail(ld, "PVH entry 0x%x lies outside the loaded segments", entry);
}

static int check_boot_area(struct loader *ld, const char *cmdline)
{
	char ram[32];

	if (ld->m->size < BOOT_DATA_END) {
		format_size(ld->m->size, ram, sizeof(ram));
		return fail(ld, "guest RAM (%s) is too small for the PVH boot data at [0x%llx,0x%llx)", ram,
			    (unsigned long long)BOOT_DATA_START, (unsigned long long)BOOT_DATA_END);
	}
	if (strnlen(cmdline, LOADER_CMDLINE_MAX) >= LOADER_CMDLINE_MAX)
		return fail(ld, "kernel command line is too long (%zu bytes, at most %u)", strlen(cmdline),
			    LOADER_CMDLINE_MAX - 1);
	return 0;
}

static void write_segments(struct loader *ld)
{
	for (size_t i = 0; i < ld->nsegs; i++) {
		const struct segment *s = &ld->segs[i];
		uint8_t *dst = gmem_ptr(ld->m, s->paddr, s->memsz);

		/* check_segment() proved the range; a NULL here is a bug, not input. */
		assert(dst != NULL);
		memcpy(dst, ld->bytes + s->offset, s->filesz);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
	}
}

static uint32_t build_memmap(uint64_t ram_size, struct hvm_memmap_table_entry *map)
{
	uint32_t n = 0;

	map[n++] = (struct hvm_memmap_table_entry){ .addr = 0, .size = BOOT_DATA_START, .type = E820_RAM };
	map[n++] = (struct hvm_memmap_table_entry){ .addr = BOOT_DATA_START,
		.size = BOOT_DATA_END - BOOT_DATA_START, .type = E820_RESERVED };
	if (ram_size > HIGH_RAM_START)
		map[n++] = (struct hvm_memmap_table_entry){ .addr = HIGH_RAM_START,
			.size = ram_size - HIGH_RAM_START, .type = E820_RAM };
	return n;
}

static void write_boot_data(struct loader *ld, const char *cmdline)
{
	struct hvm_memmap_table_entry map[3];
	struct hvm_start_info si = {
		.magic = HVM_START_MAGIC,
		.version = HVM_START_VERSION,
		.cmdline_paddr = LOADER_CMDLINE_GPA,
		.memmap_paddr = LOADER_MEMMAP_GPA,
	};
	uint8_t *area = gmem_ptr(ld->m, BOOT_DATA_START, BOOT_DATA_END - BOOT_DATA_START);
	bool ok;

	assert(area != NULL);
	/* Zeroed first so a reused RAM mapping leaves no stale bytes for the guest. */
	memset(area, 0, BOOT_DATA_END - BOOT_DATA_START);
	si.memmap_entries = build_memmap(ld->m->size, map);
	ok = gmem_write(ld->m, LOADER_START_INFO_GPA, &si, sizeof(si)) &&
	     gmem_write(ld->m, LOADER_MEMMAP_GPA, map, si.memmap_entries * sizeof(map[0])) &&
	     gmem_write(ld->m, LOADER_CMDLINE_GPA, cmdline, strlen(cmdline) + 1);
	assert(ok);
	(void)ok;
}

static int load(struct loader *ld, const char *cmdline, struct loaded_guest *out)
{
	Elf64_Ehdr *eh;
	uint64_t count = 0;
	uint32_t entry = 0;

	if (check_ident(ld) < 0)
		return -1;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(ld, "libelf: %s", elf_errmsg(-1));
	/* elf_memory() wants a mutable pointer, but in its read-only mode it never
	 * writes through it; the caller's bytes stay untouched. */
	ld->elf = elf_memory((char *)ld->bytes, ld->len);
	if (ld->elf == NULL || elf_kind(ld->elf) != ELF_K_ELF)
		return fail(ld, "not a valid ELF file: %s", elf_errmsg(-1));
	eh = elf64_getehdr(ld->elf);
	if (eh == NULL)
		return fail(ld, "cannot read the ELF header: %s", elf_errmsg(-1));
	if (check_header(ld, eh) < 0 || count_phdrs(ld, eh, &count) < 0 ||
	    check_phdr_table(ld, eh, count) < 0 || collect_segments(ld, count) < 0 ||
	    find_pvh_entry(ld, eh, count, &entry) < 0 || check_entry(ld, entry) < 0 ||
	    check_boot_area(ld, cmdline) < 0)
		return -1;

	/* Everything is validated: from here on nothing can fail. */
	write_segments(ld);
	write_boot_data(ld, cmdline);
	out->pvh_entry = entry;
	out->start_info_gpa = LOADER_START_INFO_GPA;
	out->image_start = UINT64_MAX;
	out->image_end = 0;
	for (size_t i = 0; i < ld->nsegs; i++) {
		const struct segment *s = &ld->segs[i];

		if (s->paddr < out->image_start)
			out->image_start = s->paddr;
		if (s->paddr + s->memsz > out->image_end)
			out->image_end = s->paddr + s->memsz;
	}
	return 0;
}

bool loader_load_pvh(struct gmem *m, const void *elf_bytes, size_t elf_len, const char *cmdline,
		     struct loaded_guest *out, char *err, size_t errlen)
{
	struct loader ld = { .m = m, .bytes = elf_bytes, .len = elf_len, .err = err, .errlen = errlen };
	int r;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (m == NULL || m->host == NULL || out == NULL)
		return fail(&ld, "loader: no guest memory or result to load into") == 0;
	if (elf_bytes == NULL)
		ld.len = 0;
	r = load(&ld, cmdline != NULL ? cmdline : "", out);
	if (ld.elf != NULL)
		elf_end(ld.elf);
	free(ld.segs);
	return r == 0;
}
