/* SPDX-License-Identifier: MIT */
/*
 * The target description gdb reads with qXfer:features:read.  gdb's i386
 * code finds its registers by feature and name (org.gnu.gdb.i386.core, .sse,
 * .segments), so those features carry exactly gdb's names; what only a kernel
 * debugger needs -- KERNEL_GS_BASE, the control registers, EFER -- is a
 * feature of our own, shown by `info registers` and as $cr3 and friends.
 * The order here is the order of regs.h's enum gdb_regno (a unit test holds
 * the two together).
 */
#include "gdb/regs.h"

#define XML_HEAD "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"

#define REG(name, bits, type) "  <reg name=\"" name "\" bitsize=\"" #bits "\" type=\"" type "\"/>\n"
#define FREG(name) "  <reg name=\"" name "\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
#define XMM(n) "  <reg name=\"xmm" #n "\" bitsize=\"128\" type=\"vec128\"/>\n"
#define FIELD(name, bit) "    <field name=\"" name "\" start=\"" #bit "\" end=\"" #bit "\"/>\n"

#define CORE_FEATURE \
	"<feature name=\"org.gnu.gdb.i386.core\">\n" \
	"  <flags id=\"i386_eflags\" size=\"4\">\n" \
	FIELD("CF", 0) FIELD("", 1) FIELD("PF", 2) FIELD("AF", 4) FIELD("ZF", 6) FIELD("SF", 7) FIELD("TF", 8) \
	FIELD("IF", 9) FIELD("DF", 10) FIELD("OF", 11) FIELD("NT", 14) FIELD("RF", 16) FIELD("VM", 17) \
	FIELD("AC", 18) FIELD("VIF", 19) FIELD("VIP", 20) FIELD("ID", 21) \
	"  </flags>\n" \
	REG("rax", 64, "int64") REG("rbx", 64, "int64") REG("rcx", 64, "int64") REG("rdx", 64, "int64") \
	REG("rsi", 64, "int64") REG("rdi", 64, "int64") REG("rbp", 64, "data_ptr") REG("rsp", 64, "data_ptr") \
	REG("r8", 64, "int64") REG("r9", 64, "int64") REG("r10", 64, "int64") REG("r11", 64, "int64") \
	REG("r12", 64, "int64") REG("r13", 64, "int64") REG("r14", 64, "int64") REG("r15", 64, "int64") \
	REG("rip", 64, "code_ptr") REG("eflags", 32, "i386_eflags") \
	REG("cs", 32, "int32") REG("ss", 32, "int32") REG("ds", 32, "int32") REG("es", 32, "int32") \
	REG("fs", 32, "int32") REG("gs", 32, "int32") \
	REG("st0", 80, "i387_ext") REG("st1", 80, "i387_ext") REG("st2", 80, "i387_ext") REG("st3", 80, "i387_ext") \
	REG("st4", 80, "i387_ext") REG("st5", 80, "i387_ext") REG("st6", 80, "i387_ext") REG("st7", 80, "i387_ext") \
	FREG("fctrl") FREG("fstat") FREG("ftag") FREG("fiseg") FREG("fioff") FREG("foseg") FREG("fooff") \
	FREG("fop") \
	"</feature>\n"

#define SSE_FEATURE \
	"<feature name=\"org.gnu.gdb.i386.sse\">\n" \
	"  <vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n" \
	"  <vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n" \
	"  <vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n" \
	"  <vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n" \
	"  <vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n" \
	"  <vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n" \
	"  <union id=\"vec128\">\n" \
	"    <field name=\"v4_float\" type=\"v4f\"/>\n" \
	"    <field name=\"v2_double\" type=\"v2d\"/>\n" \
	"    <field name=\"v16_int8\" type=\"v16i8\"/>\n" \
	"    <field name=\"v8_int16\" type=\"v8i16\"/>\n" \
	"    <field name=\"v4_int32\" type=\"v4i32\"/>\n" \
	"    <field name=\"v2_int64\" type=\"v2i64\"/>\n" \
	"    <field name=\"uint128\" type=\"uint128\"/>\n" \
	"  </union>\n" \
	"  <flags id=\"i386_mxcsr\" size=\"4\">\n" \
	FIELD("IE", 0) FIELD("DE", 1) FIELD("ZE", 2) FIELD("OE", 3) FIELD("UE", 4) FIELD("PE", 5) FIELD("DAZ", 6) \
	FIELD("IM", 7) FIELD("DM", 8) FIELD("ZM", 9) FIELD("OM", 10) FIELD("UM", 11) FIELD("PM", 12) \
	FIELD("FZ", 15) \
	"  </flags>\n" \
	XMM(0) XMM(1) XMM(2) XMM(3) XMM(4) XMM(5) XMM(6) XMM(7) \
	XMM(8) XMM(9) XMM(10) XMM(11) XMM(12) XMM(13) XMM(14) XMM(15) \
	"  <reg name=\"mxcsr\" bitsize=\"32\" type=\"i386_mxcsr\" group=\"vector\"/>\n" \
	"</feature>\n"

#define SEGMENTS_FEATURE \
	"<feature name=\"org.gnu.gdb.i386.segments\">\n" \
	REG("fs_base", 64, "int") REG("gs_base", 64, "int") \
	"</feature>\n"

/* Flags types make `p $cr4` name the bits a kernel engineer looks for. */
#define SYSTEM_FEATURE \
	"<feature name=\"org.entrybox.x86.system\">\n" \
	"  <flags id=\"entrybox_cr0\" size=\"8\">\n" \
	FIELD("PE", 0) FIELD("MP", 1) FIELD("EM", 2) FIELD("TS", 3) FIELD("ET", 4) FIELD("NE", 5) FIELD("WP", 16) \
	FIELD("AM", 18) FIELD("NW", 29) FIELD("CD", 30) FIELD("PG", 31) \
	"  </flags>\n" \
	"  <flags id=\"entrybox_cr4\" size=\"8\">\n" \
	FIELD("VME", 0) FIELD("PVI", 1) FIELD("TSD", 2) FIELD("DE", 3) FIELD("PSE", 4) FIELD("PAE", 5) \
	FIELD("MCE", 6) FIELD("PGE", 7) FIELD("PCE", 8) FIELD("OSFXSR", 9) FIELD("OSXMMEXCPT", 10) \
	FIELD("UMIP", 11) FIELD("LA57", 12) FIELD("FSGSBASE", 16) FIELD("PCIDE", 17) FIELD("OSXSAVE", 18) \
	FIELD("SMEP", 20) FIELD("SMAP", 21) FIELD("PKE", 22) \
	"  </flags>\n" \
	"  <flags id=\"entrybox_efer\" size=\"8\">\n" \
	FIELD("SCE", 0) FIELD("LME", 8) FIELD("LMA", 10) FIELD("NXE", 11) FIELD("SVME", 12) FIELD("FFXSR", 14) \
	"  </flags>\n" \
	REG("k_gs_base", 64, "int") REG("cr0", 64, "entrybox_cr0") REG("cr2", 64, "int") \
	REG("cr3", 64, "int") REG("cr4", 64, "entrybox_cr4") REG("cr8", 64, "int") \
	REG("efer", 64, "entrybox_efer") \
	"</feature>\n"

static const char document[] =
	XML_HEAD "<target version=\"1.0\">\n<architecture>i386:x86-64</architecture>\n"
	CORE_FEATURE SSE_FEATURE SEGMENTS_FEATURE SYSTEM_FEATURE "</target>\n";

const char *gdb_target_xml(size_t *len)
{
	*len = sizeof(document) - 1;
	return document;
}
