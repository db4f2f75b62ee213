/* SPDX-License-Identifier: MIT */
/* Symbols, source lines and disassembly of the guest image, for reports and traces. */
#ifndef ENTRYBOX_SYMBOLS_H
#define ENTRYBOX_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct symtab;

/* Opens the guest ELF file at `path` (symbols via libelf, lines via libdw when present).
 * Returns NULL and fills `err` on failure. */
struct symtab *symtab_open(const char *path, char *err, size_t errlen);
void symtab_close(struct symtab *st);

/* Address of a symbol by name; false if absent. */
bool symtab_lookup(const struct symtab *st, const char *name, uint64_t *addr, uint64_t *size);
/* "name+0xoff" for the function/object containing addr, or "0x..." when none. */
void symtab_describe(const struct symtab *st, uint64_t addr, char *buf, size_t buflen);
/* "file:line" from DWARF, false if no line info covers addr. */
bool symtab_source_line(const struct symtab *st, uint64_t addr, char *buf, size_t buflen);

/* Disassemble one x86-64 instruction at `addr` from `code` (len bytes available) in
 * AT&T syntax ("sysretq", "movq %rsp, %gs:0x10").  Returns its length, 0 if undecodable. */
size_t disasm_one(const uint8_t *code, size_t len, uint64_t addr, char *buf, size_t buflen);

#endif
