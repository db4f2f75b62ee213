/* SPDX-License-Identifier: MIT */
#include "run/switch_watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/switch_check.h"
#include "kvm/snapshot.h"
#include "run/session.h"

#define CALLERS 6
#define CALL_REL32 0xe8
#define CALL_REL32_LEN 5

struct switch_watch {
	struct switch_cpu_state cpu[SESSION_MAX_VCPUS];
};

static bool read_u64(struct vcpu_state *v, uint64_t cr3, uint64_t gva, uint64_t *out)
{
	return gmem_read_virt(&v->s->vm.mem, cr3, gva, out, sizeof(*out));
}

/* The return addresses of the frame-pointer chain from rbp (the guest keeps
 * frame pointers), as long as it climbs one stack. */
static unsigned callers(struct vcpu_state *v, uint64_t cr3, uint64_t rbp, uint64_t ret[CALLERS])
{
	unsigned n = 0;
	uint64_t limit = rbp + 0x10000;
	while (n < CALLERS && rbp && rbp < limit && !(rbp & 7)) {
		uint64_t next;
		if (!read_u64(v, cr3, rbp, &next) || !read_u64(v, cr3, rbp + 8, &ret[n]))
			break;
		n++;
		if (next <= rbp)
			break;
		rbp = next;
	}
	return n;
}

/* The call instruction a return address follows, when it is a direct call. */
static uint64_t call_site(struct vcpu_state *v, uint64_t cr3, uint64_t ret)
{
	uint8_t op;
	return gmem_read_virt(&v->s->vm.mem, cr3, ret - CALL_REL32_LEN, &op, 1) && op == CALL_REL32 ? ret - CALL_REL32_LEN
												: ret;
}

/* Reports at the call that switches (the checkpoint's caller), with the callers behind it. */
static void report(struct vcpu_state *v, struct vcpu_snap *snap, struct violation *viol)
{
	uint64_t ret[CALLERS];
	unsigned n = callers(v, snap->cr3, snap->gpr[5], ret);
	if (n > 0)
		snap->rip = call_site(v, snap->cr3, ret[0]);
	size_t used = strlen(viol->detail);
	for (unsigned i = 1; i < n && used + 1 < sizeof(viol->detail); i++) {
		char where[96] = "";
		if (v->s->syms)
			symtab_describe(v->s->syms, ret[i], where, sizeof(where));
		else
			snprintf(where, sizeof(where), "0x%llx", (unsigned long long)ret[i]);
		int w = snprintf(viol->detail + used, sizeof(viol->detail) - used, "%s%s", i == 1 ? "; called from " : " <- ",
				 where);
		used += w > 0 ? (size_t)w : 0;
	}
	vcpu_record_violation(v, viol, snap);
}

static enum exit_decision on_checkpoint(void *ctx, struct vcpu_state *v, const struct event_view *ev)
{
	struct switch_watch *sw = ctx;
	struct session *s = v->s;
	struct ebx_ev_switch rec;
	struct vcpu_snap snap;
	if (ev->kind != EBX_EV_SWITCH || !s->layout.valid)
		return EXIT_CONTINUE;
	memcpy(&rec, ev->payload, sizeof(rec));
	if (!snapshot_take_registers(&v->vcpu, SNAP_SWITCH, &snap))
		return vcpu_end(v, RUN_END_INTERNAL_ERROR, "vCPU %u: cannot read the state at a switch checkpoint: %s",
				v->vcpu.index, strerror(errno));
	struct violation viol = { .rule = SWITCH_RULE, .detail = "" };
	v->n.checks++;
	if (v->vcpu.index < SESSION_MAX_VCPUS && !switch_check(&snap, &s->layout, &rec, &sw->cpu[v->vcpu.index], &viol))
		report(v, &snap, &viol);
	return EXIT_CONTINUE;
}

const struct exit_observer switch_watch_observer = {
	.name = "switches",
	.owner = DBG_OWNER_FAULTS,   /* arms nothing */
	.on_checkpoint = on_checkpoint,
};

bool switch_watch_setup(struct session *s)
{
	struct switch_watch *sw = calloc(1, sizeof(*sw));
	if (!sw)
		return false;
	s->switches = sw;
	return session_observe(s, &switch_watch_observer, sw);
}

void switch_watch_teardown(struct session *s)
{
	free(s->switches);
	s->switches = NULL;
}
