/* SPDX-License-Identifier: MIT */
#include "run/ports.h"

#include <string.h>

#include "entrybox/abi.h"
#include "run/session.h"

#define SIZE_BIT(n) (1u << (n))

static uint32_t value_of(const struct port_access *a)
{
	uint32_t val = 0;
	memcpy(&val, a->data, a->size <= 4 ? a->size : 4);
	return val;
}

static enum exit_decision com1(struct vcpu_state *v, const struct port_access *a)
{
	struct session *s = v->s;
	uint16_t offset = (uint16_t)(a->port - EBX_PORT_COM1);
	bool ok = true;
	pthread_mutex_lock(&s->lock);
	if (a->out) {
		ok = serial_out(&s->serial, offset, a->data[0]);
	} else {
		memset(a->data, 0, a->size);
		a->data[0] = serial_in(&s->serial, offset);
	}
	pthread_mutex_unlock(&s->lock);
	if (!ok)
		return vcpu_end(v, RUN_END_HOSTILE, "guest wrote more than %u bytes to the console", SERIAL_BYTE_LIMIT);
	return EXIT_CONTINUE;
}

static enum exit_decision debug_exit(struct vcpu_state *v, const struct port_access *a)
{
	struct session *s = v->s;
	int code = (int)(value_of(a) & 0xff);
	pthread_mutex_lock(&s->lock);
	s->r->guest_exit_code = code;
	pthread_mutex_unlock(&s->lock);
	return vcpu_end(v, RUN_END_GUEST_EXIT, "guest exited with code %d", code);
}

static enum exit_decision checkpoint(struct vcpu_state *v, const struct port_access *a)
{
	return checkpoint_handle(v, value_of(a));
}

static enum exit_decision hypercall(struct vcpu_state *v, const struct port_access *a)
{
	char err[200];
	if (!xen_hv_hypercall(&v->vcpu, &v->s->layout, value_of(a), &v->hv, err, sizeof(err)))
		return vcpu_end(v, RUN_END_HOSTILE, "%s", err);
	/* The hypercall moved the vCPU: a catch armed for the OUT's own step
	 * would never be reached and would hold a breakpoint slot. */
	debugctl_bp_remove_owner(&v->dbg, DBG_OWNER_STEP_CATCH);
	/* The OUT is the instruction that returned to ring 3, as a SYSRET would be. */
	struct kvm_sregs *sr = kvm_sregs(&v->vcpu);
	if (sr && (sr->cs.dpl & 3) == 3)
		return vcpu_syscall_returned(v);
	/* KVM completed the OUT inside the hypercall, and the step trap it raised
	 * went with it: the step ends where the hypercall put the vCPU. */
	return vcpu_step_moved_by_vmm(v);
}

static const struct port_handler table[] = {
	{ "com1", EBX_PORT_COM1, 8, PORT_IN | PORT_OUT, SIZE_BIT(1) | SIZE_BIT(2) | SIZE_BIT(4), false, com1 },
	{ "isa-debug-exit", EBX_PORT_DEBUG_EXIT, 1, PORT_OUT, SIZE_BIT(1) | SIZE_BIT(2) | SIZE_BIT(4), false,
	  debug_exit },
	{ "checkpoint", EBX_PORT_CHECKPOINT, 1, PORT_OUT, SIZE_BIT(4), false, checkpoint },
	/* A hypercall re-enters KVM to complete its OUT and rewrites registers. */
	{ "hypercall", EBX_PORT_HYPERCALL, 1, PORT_OUT, SIZE_BIT(4), true, hypercall },
};

const struct port_handler *ports_table(unsigned *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

const struct port_handler *ports_lookup(uint16_t port, bool out, unsigned size, uint32_t count)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct port_handler *h = &table[i];
		if (port < h->first || port - h->first >= h->count)
			continue;
		if (!(h->dirs & (out ? PORT_OUT : PORT_IN)) || size > 4 || !(h->sizes & SIZE_BIT(size)))
			return NULL;
		if (h->whole_exit && count != 1)
			return NULL;
		return h;
	}
	return NULL;
}

enum exit_decision ports_handle_exit(struct vcpu_state *v)
{
	struct session *s = v->s;
	struct kvm_run *run = v->vcpu.run;
	/* io.data_offset is KVM's, but check it anyway: a corrupt offset must not
	 * make us read outside the kvm_run mapping. */
	uint64_t bytes = (uint64_t)run->io.size * run->io.count;
	if (run->io.size == 0 || run->io.size > 4 || run->io.data_offset + bytes > (uint64_t)s->vm.run_size)
		return vcpu_end(v, RUN_END_INTERNAL_ERROR, "malformed I/O exit (size %u count %u)", run->io.size,
				run->io.count);
	struct port_access a = {
		.port = run->io.port,
		.out = run->io.direction == KVM_EXIT_IO_OUT,
		.data = (uint8_t *)run + run->io.data_offset,
		.size = run->io.size,
	};
	uint32_t count = run->io.count;
	const struct port_handler *h = ports_lookup(a.port, a.out, a.size, count);
	if (h && h->whole_exit)
		return h->handle(v, &a);
	enum exit_decision d = EXIT_CONTINUE;
	for (uint32_t i = 0; i < count && d != EXIT_END; i++, a.data += a.size) {
		if (h)
			d = exit_decision_merge(d, h->handle(v, &a));
		else if (!a.out)
			memset(a.data, 0xff, a.size);
	}
	return d;
}
