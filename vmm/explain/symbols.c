/* SPDX-License-Identifier: MIT */
/*
 * Names for guest addresses in reports and traces: the ELF symbol table
 * (libelf), source lines (libdw) and one-instruction disassembly (capstone).
 *
 * The whole file is read into memory once and parsed from there, so the guest
 * image can be rebuilt on disk while a run is still describing addresses.
 */
#include "explain/symbols.h"

#include <capstone/capstone.h>
#include <elf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cs_thread.h"

/* An unsized label (asm entry points often have no .size) describes at most
 * this far past itself; beyond it the guess is more likely wrong than right. */
#define LABEL_REACH (64ull << 10)
/* A guest image far beyond this is not something we built. */
#define SYMTAB_MAX_FILE (1ull << 30)

struct sym {
	uint64_t addr, size;
	const char *name;     /* points into the ELF string table inside st->image */
	uint8_t type, bind;
};

struct symtab {
	uint8_t *image;
	size_t len;
	Elf *elf;
	Dwarf *dwarf;         /* NULL when the image has no DWARF */
	struct sym *by_name;  /* every named symbol, sorted by name */
	size_t nnames;
	struct sym *by_addr;  /* symbols with a real address (not SHN_ABS), sorted by address */
	size_t naddrs;
	uint64_t max_size;    /* largest st_size in by_addr: bounds the backward search */
};

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- reading the file ---------------------------------------------------- */

static uint8_t *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	struct stat sb;
	uint8_t *buf = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > SYMTAB_MAX_FILE) {
		set_err(err, errlen, "%s: not a regular file of at most 1 GiB", path);
		goto out;
	}
	buf = malloc(sb.st_size > 0 ? (size_t)sb.st_size : 1);
	if (buf == NULL) {
		set_err(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)sb.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)sb.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			set_err(err, errlen, "%s: read failed: %s", path, r < 0 ? strerror(errno) : "file shrank");
			free(buf);
			buf = NULL;
			goto out;
		}
		got += (size_t)r;
	}
	*len = got;
out:
	close(fd);
	return buf;
}

/* ---- symbol table ------------------------------------------------------- */

/* When several symbols share an address, reports should name the function
 * rather than an alias label, and a global rather than a local copy. */
static int bind_rank(uint8_t bind)
{
	return bind == STB_GLOBAL ? 2 : bind == STB_WEAK ? 1 : 0;
}

static int type_rank(uint8_t type)
{
	return type == STT_FUNC ? 2 : type == STT_OBJECT ? 1 : 0;
}

static int describe_rank(const struct sym *s)
{
	return type_rank(s->type) * 3 + bind_rank(s->bind);
}

static int cmp_addr(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int cmp_name(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	/* Best first, so a lookup returns the first match. */
	c = (bind_rank(y->bind) * 3 + type_rank(y->type)) - (bind_rank(x->bind) * 3 + type_rank(x->type));
	if (c != 0)
		return c;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static bool wanted(const GElf_Sym *s, const char *name)
{
	uint8_t type = GELF_ST_TYPE(s->st_info);

	return name != NULL && name[0] != '\0' && s->st_shndx != SHN_UNDEF &&
	       (type == STT_FUNC || type == STT_OBJECT || type == STT_NOTYPE);
}

static Elf_Scn *find_symtab(Elf *elf, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn)) != NULL)
		if (gelf_getshdr(scn, sh) != NULL && sh->sh_type == SHT_SYMTAB)
			return scn;
	return NULL;
}

static bool add_symbols(struct symtab *st, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t count;

	if (data == NULL || sh->sh_entsize != sizeof(Elf64_Sym))
		return false;
	count = data->d_size / sizeof(Elf64_Sym);
	st->by_name = calloc(count ? count : 1, sizeof(*st->by_name));
	st->by_addr = calloc(count ? count : 1, sizeof(*st->by_addr));
	if (st->by_name == NULL || st->by_addr == NULL)
		return false;
	for (size_t i = 0; i < count; i++) {
		GElf_Sym s;
		const char *name;
		struct sym e;

		if (gelf_getsym(data, (int)i, &s) == NULL)
			continue;
		name = elf_strptr(st->elf, sh->sh_link, s.st_name);
		if (!wanted(&s, name))
			continue;
		e = (struct sym){ .addr = s.st_value, .size = s.st_size, .name = name,
				  .type = GELF_ST_TYPE(s.st_info), .bind = GELF_ST_BIND(s.st_info) };
		st->by_name[st->nnames++] = e;
		/* Absolute symbols are constants as often as addresses: fine to look
		 * up by name, misleading as a description of an address. */
		if (s.st_shndx == SHN_ABS)
			continue;
		st->by_addr[st->naddrs++] = e;
		if (e.size > st->max_size)
			st->max_size = e.size;
	}
	qsort(st->by_name, st->nnames, sizeof(*st->by_name), cmp_name);
	qsort(st->by_addr, st->naddrs, sizeof(*st->by_addr), cmp_addr);
	return true;
}

struct symtab *symtab_open(const char *path, char *err, size_t errlen)
{
	struct symtab *st = calloc(1, sizeof(*st));
	Elf_Scn *scn;
	GElf_Shdr sh;

	if (st == NULL) {
		set_err(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	st->image = read_file(path, &st->len, err, errlen);
	if (st->image == NULL)
		goto fail;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		set_err(err, errlen, "libelf: %s", elf_errmsg(-1));
		goto fail;
	}
	st->elf = elf_memory((char *)st->image, st->len);
	if (st->elf == NULL || elf_kind(st->elf) != ELF_K_ELF || gelf_getclass(st->elf) != ELFCLASS64) {
		set_err(err, errlen, "%s: not an ELF64 file", path);
		goto fail;
	}
	scn = find_symtab(st->elf, &sh);
	if (scn == NULL) {
		set_err(err, errlen, "%s: no symbol table (stripped?)", path);
		goto fail;
	}
	if (!add_symbols(st, scn, &sh)) {
		set_err(err, errlen, "%s: unreadable symbol table: %s", path, elf_errmsg(-1));
		goto fail;
	}
	/* No DWARF is normal for a release build: lines are simply unavailable. */
	st->dwarf = dwarf_begin_elf(st->elf, DWARF_C_READ, NULL);
	return st;
fail:
	symtab_close(st);
	return NULL;
}

void symtab_close(struct symtab *st)
{
	if (st == NULL)
		return;
	if (st->dwarf != NULL)
		dwarf_end(st->dwarf);
	if (st->elf != NULL)
		elf_end(st->elf);
	free(st->by_name);
	free(st->by_addr);
	free(st->image);
	free(st);
}

bool symtab_lookup(const struct symtab *st, const char *name, uint64_t *addr, uint64_t *size)
{
	size_t lo = 0, hi;

	if (st == NULL || name == NULL)
		return false;
	/* Lower bound: the first (best-ranked) entry with this name. */
	hi = st->nnames;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(st->by_name[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == st->nnames || strcmp(st->by_name[lo].name, name) != 0)
		return false;
	if (addr != NULL)
		*addr = st->by_name[lo].addr;
	if (size != NULL)
		*size = st->by_name[lo].size;
	return true;
}

/* Number of by_addr entries with addr <= x. */
static size_t count_at_or_below(const struct symtab *st, uint64_t x)
{
	size_t lo = 0, hi = st->naddrs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->by_addr[mid].addr <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The innermost sized symbol containing x: the one starting closest below it.
 * Only symbols within max_size of x can contain it, which bounds the walk. */
static const struct sym *containing(const struct symtab *st, size_t below, uint64_t x)
{
	const struct sym *best = NULL;

	for (size_t i = below; i-- > 0;) {
		const struct sym *s = &st->by_addr[i];

		if (x - s->addr >= st->max_size || (best != NULL && s->addr != best->addr))
			break;
		if (s->size != 0 && x - s->addr < s->size &&
		    (best == NULL || describe_rank(s) > describe_rank(best)))
			best = s;
	}
	return best;
}

/* The best unsized label at the highest address <= x, if close enough. */
static const struct sym *nearest_label(const struct symtab *st, size_t below, uint64_t x)
{
	const struct sym *best = NULL;

	if (below == 0 || x - st->by_addr[below - 1].addr >= LABEL_REACH)
		return NULL;
	for (size_t i = below; i-- > 0 && st->by_addr[i].addr == st->by_addr[below - 1].addr;) {
		const struct sym *s = &st->by_addr[i];

		if (s->size == 0 && (best == NULL || describe_rank(s) > describe_rank(best)))
			best = s;
	}
	return best;
}

void symtab_describe(const struct symtab *st, uint64_t addr, char *buf, size_t buflen)
{
	const struct sym *s = NULL;

	if (buf == NULL || buflen == 0)
		return;
	if (st != NULL) {
		size_t below = count_at_or_below(st, addr);

		s = containing(st, below, addr);
		if (s == NULL)
			s = nearest_label(st, below, addr);
	}
	if (s != NULL)
		snprintf(buf, buflen, "%s+0x%llx", s->name, (unsigned long long)(addr - s->addr));
	else
		snprintf(buf, buflen, "0x%llx", (unsigned long long)addr);
}

/* ---- source lines -------------------------------------------------------- */

/* dwarf_addrdie() needs .debug_aranges, which some assemblers and linkers
 * leave out; then the compile units' own ranges are searched one by one. */
static bool cu_for_addr(Dwarf *dw, uint64_t addr, Dwarf_Die *cu)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	if (dwarf_addrdie(dw, addr, cu) != NULL)
		return true;
	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		if (dwarf_offdie(dw, off + hsize, cu) != NULL && dwarf_haspc(cu, addr) > 0)
			return true;
		off = next;
	}
	return false;
}

bool symtab_source_line(const struct symtab *st, uint64_t addr, char *buf, size_t buflen)
{
	Dwarf_Die cu;
	Dwarf_Line *line;
	const char *file, *base;
	int lineno = 0;

	if (st == NULL || st->dwarf == NULL || buf == NULL || buflen == 0)
		return false;
	if (!cu_for_addr(st->dwarf, addr, &cu))
		return false;
	line = dwarf_getsrc_die(&cu, addr);
	if (line == NULL || dwarf_lineno(line, &lineno) != 0 || lineno <= 0)
		return false;
	file = dwarf_linesrc(line, NULL, NULL);
	if (file == NULL)
		return false;
	base = strrchr(file, '/');
	snprintf(buf, buflen, "%s:%d", base != NULL ? base + 1 : file, lineno);
	return true;
}

/* ---- disassembly --------------------------------------------------------- */

/* Opening a capstone handle costs about 10 us, as much as a single-step exit,
 * so each thread keeps one for its lifetime (traces disassemble every step).
 * Thread-specific data closes it when the thread ends. */
size_t disasm_one(const uint8_t *code, size_t len, uint64_t addr, char *buf, size_t buflen)
{
	csh cs;
	cs_insn *insn = NULL;
	size_t size = 0;

	if (buf != NULL && buflen > 0)
		buf[0] = '\0';
	if (code == NULL || len == 0 || !cs_thread_handle(false, &cs))
		return 0;
	if (cs_disasm(cs, code, len, addr, 1, &insn) != 1)
		return 0;
	size = insn->size;
	if (buf != NULL && buflen > 0)
		snprintf(buf, buflen, "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "", insn->op_str);
	cs_free(insn, 1);
	return size;
}
