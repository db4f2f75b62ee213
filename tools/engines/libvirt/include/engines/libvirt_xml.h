/* SPDX-License-Identifier: MIT */
/* The libvirt domain definition that boots the guest exactly as the QEMU
 * engine does: PVH direct kernel boot, one serial port, isa-debug-exit. */
#ifndef ENTRYBOX_LIBVIRT_XML_H
#define ENTRYBOX_LIBVIRT_XML_H

#include <stdbool.h>

struct libvirt_domain_spec {
	const char *name;         /* unique domain name */
	const char *guest_path;   /* <kernel>: a path on the libvirt host */
	const char *cmdline;      /* <cmdline> */
	bool kvm;                 /* type kvm + microvm + host CPU; else type qemu (TCG) + q35 + max CPU */
	bool no_arch_capabilities; /* host CPU without IA32_ARCH_CAPABILITIES (kvm_pvm refuses the MSR) */
	unsigned vcpus;
	unsigned memory_mib;
	const char *console_host; /* COM1 is a TCP client of this address (as seen by the libvirt host) */
	unsigned console_port;
};

/* Returns the domain XML (malloc'd, caller frees), or NULL when a field is
 * missing, out of range, or holds bytes XML cannot carry (control
 * characters).  Every text is escaped, so a command line with '<' or '&'
 * reaches the guest unchanged. */
char *libvirt_domain_xml(const struct libvirt_domain_spec *spec);

#endif
