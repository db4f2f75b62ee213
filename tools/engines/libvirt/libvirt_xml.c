/* SPDX-License-Identifier: MIT */
#include "engines/libvirt_xml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIBVIRT_VCPUS_MAX  64
#define LIBVIRT_MEMORY_MAX (64u * 1024)

/* XML 1.0 forbids most control characters even when escaped. */
static bool xml_text_ok(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '\'': fputs("&apos;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f); break;
		}
	}
}

static void put_element(FILE *f, const char *indent, const char *tag, const char *text)
{
	fprintf(f, "%s<%s>", indent, tag);
	put_escaped(f, text);
	fprintf(f, "</%s>\n", tag);
}

/* microvm boots PVH in tens of milliseconds under KVM (q35 runs its firmware
 * emulated on kvm_pvm: seconds); under TCG every machine is fast and q35 is
 * the one every libvirt host supports. */
static void put_os(FILE *f, const struct libvirt_domain_spec *s)
{
	fprintf(f, "  <os>\n    <type arch='x86_64' machine='%s'>hvm</type>\n", s->kvm ? "microvm" : "q35");
	put_element(f, "    ", "kernel", s->guest_path);
	put_element(f, "    ", "cmdline", s->cmdline);
	fputs("  </os>\n", f);
}

/* The guest ends every run through isa-debug-exit and never asks for a
 * reset, so every other way out must stop the domain rather than restart it:
 * a reset is the CPU's answer to a triple fault. */
static void put_lifecycle(FILE *f)
{
	fputs("  <on_poweroff>destroy</on_poweroff>\n"
	      "  <on_reboot>destroy</on_reboot>\n"
	      "  <on_crash>destroy</on_crash>\n", f);
}

/* Only COM1, as a raw TCP client of the entrybox process: QEMU connects
 * before the guest runs and TCP hands over every byte even when QEMU exits
 * right after the last one, over any connection to any host.  (A console
 * opened with virDomainOpenConsole can deadlock libvirtd 9.0 when QEMU exits
 * while it is open.)  No USB, balloon or other default devices: the guest
 * drives none of them, and microvm has no USB controller. */
static void put_devices(FILE *f, const struct libvirt_domain_spec *s)
{
	fputs("  <devices>\n    <serial type='tcp'>\n      <source mode='connect' host='", f);
	put_escaped(f, s->console_host);
	fprintf(f, "' service='%u'/>\n", s->console_port);
	fputs("      <protocol type='raw'/>\n"
	      "      <target port='0'/>\n"
	      "    </serial>\n"
	      "    <controller type='usb' model='none'/>\n"
	      "    <memballoon model='none'/>\n"
	      "  </devices>\n", f);
}

/* libvirt 9 has no element for isa-debug-exit; the QEMU namespace passes the
 * device through verbatim. */
static void put_debug_exit(FILE *f)
{
	fputs("  <qemu:commandline>\n"
	      "    <qemu:arg value='-device'/>\n"
	      "    <qemu:arg value='isa-debug-exit,iobase=0xf4,iosize=0x04'/>\n"
	      "  </qemu:commandline>\n", f);
}

static bool spec_ok(const struct libvirt_domain_spec *s)
{
	return s && xml_text_ok(s->name) && xml_text_ok(s->guest_path) && xml_text_ok(s->cmdline) &&
	       s->vcpus >= 1 && s->vcpus <= LIBVIRT_VCPUS_MAX && s->memory_mib >= 1 &&
	       s->memory_mib <= LIBVIRT_MEMORY_MAX && xml_text_ok(s->console_host) && s->console_port >= 1 &&
	       s->console_port <= 65535;
}

char *libvirt_domain_xml(const struct libvirt_domain_spec *s)
{
	if (!spec_ok(s))
		return NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	fprintf(f, "<domain type='%s' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n",
		s->kvm ? "kvm" : "qemu");
	put_element(f, "  ", "name", s->name);
	fprintf(f, "  <memory unit='MiB'>%u</memory>\n  <vcpu>%u</vcpu>\n", s->memory_mib, s->vcpus);
	put_os(f, s);
	/* TCG's "max" CPU has SYSCALL, PCID and the rest the reference needs. */
	if (s->kvm && s->no_arch_capabilities)
		fputs("  <cpu mode='host-passthrough'>\n    <feature policy='disable' name='arch-capabilities'/>\n  </cpu>\n", f);
	else
		fprintf(f, "  <cpu mode='%s'/>\n", s->kvm ? "host-passthrough" : "maximum");
	put_lifecycle(f);
	put_devices(f, s);
	put_debug_exit(f);
	fputs("</domain>\n", f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
