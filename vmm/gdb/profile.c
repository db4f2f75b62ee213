/* SPDX-License-Identifier: MIT */
/*
 * Where a gdb round trip spends its time, for `--gdb` runs that ask for it
 * (gdb_config.profile): from a resume to the vCPU's next KVM_RUN, the run
 * itself to the end of the step (KVM_SET_GUEST_DEBUG, KVM_RUN, the exit's
 * handling and every observer before the stub), from there to the stop the
 * stub reports, the stub's own work on packets, and the time it waits for
 * gdb.  Clocks are read only when asked: a plain run pays a branch.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "stub_internal.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t profile_stamp(const struct gdb_profile *p)
{
	return p->on ? now_ns() : 0;
}

void profile_phase(struct gdb_profile *p, enum profile_phase phase)
{
	if (!p->on)
		return;
	uint64_t t = now_ns();
	/* A phase counts only after the one before it in the same round trip:
	 * stops that were no step (a breakpoint, an interrupt) start afresh. */
	if (p->at && p->last + 1 == phase) {
		p->ns[phase] += t - p->at;
		p->counted[phase]++;
	}
	p->at = t;
	p->last = phase;
}

void profile_add(struct gdb_profile *p, enum profile_phase phase, uint64_t since)
{
	if (p->on && since)
		p->ns[phase] += now_ns() - since;
}

void profile_bytes_in(struct gdb_profile *p, const uint8_t *bytes, size_t n)
{
	if (!p->on)
		return;
	p->bytes_in += n;
	/* Binary payloads escape '$', so each one starts a packet. */
	for (const uint8_t *b = bytes; (b = memchr(b, '$', n - (size_t)(b - bytes))) != NULL; b++)
		p->packets_in++;
}

void profile_bytes_out(struct gdb_profile *p, size_t n)
{
	if (!p->on)
		return;
	p->bytes_out += n;
	p->writes_out++;
}

/* The mean of a phase of the round trip, in microseconds, over the round trips it was seen in. */
static double mean_us(const struct gdb_profile *p, enum profile_phase phase)
{
	return p->counted[phase] ? (double)p->ns[phase] / 1e3 / (double)p->counted[phase] : 0;
}

void profile_say(struct gdb_profile *p, struct session *s)
{
	if (!p->on || p->stops == 0)
		return;
	double k = 1e-3 / (double)p->stops, n = 1.0 / (double)p->stops;
	session_say(s,
		    "gdb: profile over %" PRIu64 " stops, per stop: %.1f packets in (%.0f bytes), %.1f replies out "
		    "(%.0f bytes); us: resume %.1f, step %.1f (KVM_SET_GUEST_DEBUG, KVM_RUN, the exit and its checks), "
		    "to the stop %.1f, stub %.1f, waiting for gdb %.1f",
		    p->stops, (double)p->packets_in * n, (double)p->bytes_in * n, (double)p->writes_out * n,
		    (double)p->bytes_out * n, mean_us(p, PROFILE_RESUME), mean_us(p, PROFILE_STEP),
		    mean_us(p, PROFILE_STOP), (double)p->ns[PROFILE_STUB] * k, (double)p->ns[PROFILE_PEER] * k);
	memset(p, 0, sizeof(*p));
	p->on = true;
}
