/* SPDX-License-Identifier: MIT */
#include "machine/events.h"

#include <stdio.h>
#include <string.h>

static size_t payload_size(uint32_t kind)
{
	switch (kind) {
	case EBX_EV_LAYOUT: return sizeof(struct ebx_layout);
	case EBX_EV_SYSCALL_REGS: return sizeof(struct ebx_ev_syscall_regs);
	case EBX_EV_MEASURE_BEGIN:
	case EBX_EV_MEASURE_END: return sizeof(struct ebx_ev_measure);
	case EBX_EV_INJECT_POINT: return sizeof(struct ebx_ev_inject_point);
	case EBX_EV_SWITCH: return sizeof(struct ebx_ev_switch);
	case EBX_EV_CONSOLE: return EBX_EVENT_MAX_PAYLOAD; /* at most: any length from 1 */
	default: return 0;
	}
}

static bool length_ok(uint32_t kind, uint32_t length, size_t want)
{
	if (kind == EBX_EV_CONSOLE)
		return length >= 1 && length <= want;
	return length == want && length <= EBX_EVENT_MAX_PAYLOAD;
}

const char *event_kind_name(uint32_t kind)
{
	switch (kind) {
	case EBX_EV_LAYOUT: return "layout";
	case EBX_EV_SYSCALL_REGS: return "syscall-regs";
	case EBX_EV_MEASURE_BEGIN: return "measure-begin";
	case EBX_EV_MEASURE_END: return "measure-end";
	case EBX_EV_INJECT_POINT: return "inject-point";
	case EBX_EV_SWITCH: return "switch";
	case EBX_EV_CONSOLE: return "console";
	default: return "unknown";
	}
}

bool event_fetch(const struct gmem *m, uint64_t gpa, unsigned ncpus, struct event_view *out, char *err,
		 size_t errlen)
{
	struct ebx_event hdr;
	if (!gmem_read(m, gpa, &hdr, sizeof(hdr))) {
		snprintf(err, errlen, "checkpoint record at 0x%llx lies outside guest RAM", (unsigned long long)gpa);
		return false;
	}
	if (hdr.magic != EBX_EVENT_MAGIC) {
		snprintf(err, errlen, "checkpoint record at 0x%llx has bad magic 0x%08x", (unsigned long long)gpa,
			 hdr.magic);
		return false;
	}
	size_t want = payload_size(hdr.kind);
	if (want == 0) {
		snprintf(err, errlen, "checkpoint record has unknown kind %u", hdr.kind);
		return false;
	}
	if (!length_ok(hdr.kind, hdr.length, want)) {
		snprintf(err, errlen, "checkpoint %s has payload length %u, expected %s%zu", event_kind_name(hdr.kind),
			 hdr.length, hdr.kind == EBX_EV_CONSOLE ? "1.." : "", want);
		return false;
	}
	if (hdr.cpu >= ncpus) {
		snprintf(err, errlen, "checkpoint %s names cpu %u of %u", event_kind_name(hdr.kind), hdr.cpu, ncpus);
		return false;
	}
	const uint8_t *payload = gmem_ptr(m, gpa + sizeof(hdr), hdr.length);
	if (!payload || gpa + sizeof(hdr) < gpa) {
		snprintf(err, errlen, "checkpoint %s payload runs past guest RAM", event_kind_name(hdr.kind));
		return false;
	}
	out->kind = hdr.kind;
	out->cpu = hdr.cpu;
	out->length = hdr.length;
	out->payload = payload;
	return true;
}

bool event_string(const char *field, size_t cap, char *dst, size_t dstlen)
{
	const char *nul = memchr(field, '\0', cap);
	if (!nul || (size_t)(nul - field) >= dstlen)
		return false;
	memcpy(dst, field, (size_t)(nul - field) + 1);
	return true;
}
