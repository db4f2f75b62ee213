/* SPDX-License-Identifier: MIT */
#include "kvm/kvm.h"
#include "kvm/dirty_log.h"
#include "kvm/ram_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "entrybox/abi.h"
#include "entrybox/x86.h"

/* Anywhere above guest RAM and out of the way of the LAPIC/IOAPIC windows;
 * Intel needs it for its real-mode emulation TSS even though we never use real mode. */
#define KVM_TSS_GPA 0xfffbd000u

#define SYNC_MASK (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS)

static int fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, strerror(errno));
	return -1;
}

/* ---- the /dev/kvm backend ---------------------------------------------------------------------- */

static int dev_system(struct kvm_vm *vm, unsigned long request, void *arg)
{
	return ioctl(vm->kvm_fd, request, arg);
}

static int dev_vm(struct kvm_vm *vm, unsigned long request, void *arg)
{
	return ioctl(vm->vm_fd, request, arg);
}

static int dev_vcpu(struct kvm_vcpu *vcpu, unsigned long request, void *arg)
{
	return ioctl(vcpu->fd, request, arg);
}

static struct kvm_run *dev_map_run(struct kvm_vcpu *vcpu)
{
	void *run = mmap(NULL, (size_t)vcpu->vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	return run == MAP_FAILED ? NULL : run;
}

static void dev_unmap_run(struct kvm_vcpu *vcpu)
{
	munmap(vcpu->run, (size_t)vcpu->vm->run_size);
}

static const struct kvm_ops dev_kvm = {
	.system = dev_system, .vm = dev_vm, .vcpu = dev_vcpu, .map_run = dev_map_run, .unmap_run = dev_unmap_run,
};

int kvm_system_request(struct kvm_vm *vm, unsigned long request, void *arg)
{
	return vm->ops->system(vm, request, arg);
}

int kvm_vm_request(struct kvm_vm *vm, unsigned long request, void *arg)
{
	return vm->ops->vm(vm, request, arg);
}

int kvm_vcpu_request(struct kvm_vcpu *vcpu, unsigned long request, void *arg)
{
	return vcpu->vm->ops->vcpu(vcpu, request, arg);
}

#define AS_ARG(x) ((void *)(uintptr_t)(x))

/* Exception payloads let KVM fill CR2/DR6 when it delivers a queued exception,
 * exactly when the CPU would; without them the VMM writes them in advance. */
static void enable_exception_payload(struct kvm_vm *vm)
{
	if (kvm_vm_request(vm, KVM_CHECK_EXTENSION, AS_ARG(KVM_CAP_EXCEPTION_PAYLOAD)) <= 0)
		return;
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXCEPTION_PAYLOAD, .args = { 1 } };
	vm->exception_payload = kvm_vm_request(vm, KVM_ENABLE_CAP, &cap) == 0;
}

int kvm_open_vm(struct kvm_vm *vm, uint64_t ram_bytes, char *err, size_t errlen)
{
	memset(vm, 0, sizeof(*vm));
	vm->ops = &dev_kvm;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return fail(err, errlen, "/dev/kvm");
	if (kvm_system_request(vm, KVM_GET_API_VERSION, NULL) != KVM_API_VERSION) {
		snprintf(err, errlen, "/dev/kvm: unexpected KVM API version");
		errno = ENOTSUP;
		return -1;
	}
	vm->vm_fd = kvm_system_request(vm, KVM_CREATE_VM, NULL);
	if (vm->vm_fd < 0)
		return fail(err, errlen, "KVM_CREATE_VM");
	vm->run_size = kvm_system_request(vm, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (vm->run_size <= 0)
		return fail(err, errlen, "KVM_GET_VCPU_MMAP_SIZE");
	int sync = kvm_vm_request(vm, KVM_CHECK_EXTENSION, AS_ARG(KVM_CAP_SYNC_REGS));
	vm->has_sync_regs = sync > 0 && (sync & SYNC_MASK) == SYNC_MASK;

	if (kvm_vm_request(vm, KVM_SET_TSS_ADDR, AS_ARG(KVM_TSS_GPA)) < 0 && errno != ENOTTY && errno != EINVAL)
		return fail(err, errlen, "KVM_SET_TSS_ADDR");
	/* The in-kernel LAPIC is what the guest's timer and IPIs talk to; it must
	 * exist before the first vCPU is created. */
	if (kvm_vm_request(vm, KVM_CREATE_IRQCHIP, NULL) < 0)
		return fail(err, errlen, "KVM_CREATE_IRQCHIP");
	enable_exception_payload(vm);

	void *host = mmap(NULL, ram_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (host == MAP_FAILED)
		return fail(err, errlen, "mmap guest RAM");
	vm->mem.host = host;
	vm->mem.size = ram_bytes;
	vm->owns_ram = true;
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = ram_bytes,
		.userspace_addr = (uintptr_t)host,
	};
	if (kvm_vm_request(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail(err, errlen, "KVM_SET_USER_MEMORY_REGION");
	return 0;
}

void kvm_open_vm_on(struct kvm_vm *vm, const struct kvm_ops *ops, void *ctx, uint8_t *ram,
		    uint64_t ram_bytes, int run_size)
{
	memset(vm, 0, sizeof(*vm));
	vm->ops = ops;
	vm->ops_ctx = ctx;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->mem.host = ram;
	vm->mem.size = ram_bytes;
	vm->run_size = run_size;
	enable_exception_payload(vm);
}

void kvm_close_vm(struct kvm_vm *vm)
{
	ram_journal_stop(vm);
	dirty_log_close(vm);
	if (vm->mem.host && vm->owns_ram)
		munmap(vm->mem.host, vm->mem.size);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = -1;
}

int kvm_create_vcpu(struct kvm_vm *vm, struct kvm_vcpu *vcpu, unsigned index, char *err, size_t errlen)
{
	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->vm = vm;
	vcpu->index = index;
	vcpu->fd = kvm_vm_request(vm, KVM_CREATE_VCPU, AS_ARG(index));
	if (vcpu->fd < 0)
		return fail(err, errlen, "KVM_CREATE_VCPU");
	vcpu->run = vm->ops->map_run(vcpu);
	if (!vcpu->run)
		return fail(err, errlen, "mmap kvm_run");
	if (vm->has_sync_regs)
		vcpu->run->kvm_valid_regs = SYNC_MASK;
	return 0;
}

void kvm_destroy_vcpu(struct kvm_vcpu *vcpu)
{
	if (vcpu->run)
		vcpu->vm->ops->unmap_run(vcpu);
	if (vcpu->fd > 0 && vcpu->vm->ops == &dev_kvm)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}

static void set_signature_leaf(struct kvm_cpuid_entry2 *e)
{
	e->eax = EBX_CPUID_FEATURES; /* highest hypervisor leaf */
	e->ebx = EBX_CPUID_SIG_EBX;
	e->ecx = EBX_CPUID_SIG_ECX;
	e->edx = EBX_CPUID_SIG_EDX;
}

/* KVM_GET_SUPPORTED_CPUID fails with E2BIG until the buffer is large enough;
 * big server CPUs have well over a hundred leaves. */
static struct kvm_cpuid2 *supported_cpuid(struct kvm_vm *vm, unsigned *capacity)
{
	for (unsigned max = 128; max <= 4096; max *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + (max + 2) * sizeof(c->entries[0]));
		if (!c)
			return NULL;
		c->nent = max;
		if (kvm_system_request(vm, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			*capacity = max + 2; /* spare entries for our two hypervisor leaves */
			return c;
		}
		int saved = errno;
		free(c);
		if (saved != E2BIG)
			return NULL;
	}
	errno = E2BIG;
	return NULL;
}

/* What this VMM offers the guest beyond checkpoints (abi.h). */
static void set_features_leaf(struct kvm_cpuid_entry2 *e)
{
	e->eax = EBX_CPUID_FEAT_HYPERCALL;
	e->ebx = e->ecx = e->edx = 0;
}

int kvm_setup_cpuid(struct kvm_vcpu *vcpu, char *err, size_t errlen)
{
	unsigned max = 0;
	struct kvm_cpuid2 *c = supported_cpuid(vcpu->vm, &max);
	if (!c)
		return fail(err, errlen, "KVM_GET_SUPPORTED_CPUID");
	bool have_sig = false, have_features = false;
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		switch (e->function) {
		case 1:
			/* The guest reads its APIC ID here; KVM does not fill it in for us. */
			e->ebx = (e->ebx & 0x00ffffffu) | (vcpu->index << 24);
			break;
		case 0xb:
		case 0x1f:
			e->edx = vcpu->index;
			break;
		case EBX_CPUID_LEAF:
			/* Replace KVM's own signature: the guest keys its checkpoints on ours. */
			set_signature_leaf(e);
			have_sig = true;
			break;
		case EBX_CPUID_FEATURES:
			set_features_leaf(e);
			have_features = true;
			break;
		default:
			break;
		}
	}
	if (!have_sig && c->nent < max) {
		struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];
		memset(e, 0, sizeof(*e));
		e->function = EBX_CPUID_LEAF;
		set_signature_leaf(e);
	}
	if (!have_features && c->nent < max) {
		struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];
		memset(e, 0, sizeof(*e));
		e->function = EBX_CPUID_FEATURES;
		set_features_leaf(e);
	}
	int rc = kvm_vcpu_request(vcpu, KVM_SET_CPUID2, c);
	free(c);
	if (rc < 0)
		return fail(err, errlen, "KVM_SET_CPUID2");
	return 0;
}

int kvm_set_pvh_state(struct kvm_vcpu *vcpu, uint32_t entry, uint32_t start_info, char *err, size_t errlen)
{
	struct kvm_sregs *s = kvm_sregs(vcpu);
	if (!s)
		return fail(err, errlen, "KVM_GET_SREGS");
	/* PVH (xen/arch-x86/hvm/start_info.h): flat 4 GiB 32-bit segments, CR0.PE,
	 * paging off, CR4 = 0, EFER = 0. */
	kvm_flat_segment(&s->cs, 0x10, 0xb, 0, KVM_FLAT_CODE32);
	kvm_flat_segment(&s->ds, 0x18, 0x3, 0, KVM_FLAT_DATA);
	s->es = s->fs = s->gs = s->ss = s->ds;
	memset(&s->tr, 0, sizeof(s->tr));
	s->tr.limit = 0x67;
	s->tr.type = 0xb;
	s->tr.present = 1;
	memset(&s->ldt, 0, sizeof(s->ldt));
	s->ldt.type = 0x2;
	s->ldt.present = 1;
	s->ldt.unusable = 1;
	s->cr0 = 0x11; /* PE | ET */
	s->cr3 = 0;
	s->cr4 = 0;
	s->efer = 0;
	kvm_mark_sregs_dirty(vcpu);

	struct kvm_regs *r = kvm_regs(vcpu);
	if (!r)
		return fail(err, errlen, "KVM_GET_REGS");
	memset(r, 0, sizeof(*r));
	r->rip = entry;
	r->rbx = start_info;
	r->rflags = 0x2;
	kvm_mark_regs_dirty(vcpu);
	return 0;
}

static int flush_dirty(struct kvm_vcpu *vcpu)
{
	if (vcpu->vm->has_sync_regs) {
		uint64_t dirty = 0;
		if (vcpu->regs_dirty) {
			vcpu->run->s.regs.regs = vcpu->regs;
			dirty |= KVM_SYNC_X86_REGS;
		}
		if (vcpu->sregs_dirty) {
			vcpu->run->s.regs.sregs = vcpu->sregs;
			dirty |= KVM_SYNC_X86_SREGS;
		}
		vcpu->run->kvm_dirty_regs = dirty;
		vcpu->regs_dirty = vcpu->sregs_dirty = false;
		return 0;
	}
	return kvm_flush_regs(vcpu);
}

/* A replay point holds only known registers: without sync regs they are
 * known when someone read them since the last exit, else the point waits for
 * the next entry. */
static void take_replay_point(struct kvm_vcpu *vcpu)
{
	if (!atomic_load_explicit(&vcpu->replay_point_wanted, memory_order_relaxed) ||
	    !vcpu->regs_valid || !vcpu->sregs_valid)
		return;
	atomic_store(&vcpu->replay_point_wanted, false);
	vcpu->point_regs = vcpu->regs;
	vcpu->point_sregs = vcpu->sregs;
	vcpu->point_valid = true;
	ram_journal_note_entry(vcpu->vm);
}

int kvm_run_once(struct kvm_vcpu *vcpu)
{
	if (flush_dirty(vcpu) < 0)
		return -1;
	take_replay_point(vcpu);
	vcpu->regs_valid = vcpu->sregs_valid = false;
	int rc = kvm_vcpu_request(vcpu, KVM_RUN, NULL);
	if (vcpu->vm->has_sync_regs) {
		vcpu->run->kvm_dirty_regs = 0;
		/* KVM fills s.regs on every return, including -EINTR. */
		vcpu->regs = vcpu->run->s.regs.regs;
		vcpu->sregs = vcpu->run->s.regs.sregs;
		vcpu->regs_valid = vcpu->sregs_valid = true;
	}
	return rc;
}

struct kvm_regs *kvm_regs(struct kvm_vcpu *vcpu)
{
	if (!vcpu->regs_valid) {
		if (kvm_vcpu_request(vcpu, KVM_GET_REGS, &vcpu->regs) < 0)
			return NULL;
		vcpu->regs_valid = true;
	}
	return &vcpu->regs;
}

struct kvm_sregs *kvm_sregs(struct kvm_vcpu *vcpu)
{
	if (!vcpu->sregs_valid) {
		if (kvm_vcpu_request(vcpu, KVM_GET_SREGS, &vcpu->sregs) < 0)
			return NULL;
		vcpu->sregs_valid = true;
	}
	return &vcpu->sregs;
}

void kvm_mark_regs_dirty(struct kvm_vcpu *vcpu)
{
	vcpu->regs_dirty = true;
}

void kvm_mark_sregs_dirty(struct kvm_vcpu *vcpu)
{
	vcpu->sregs_dirty = true;
}

bool kvm_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *value)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} m;
	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.entry.index = index;
	if (kvm_vcpu_request(vcpu, KVM_GET_MSRS, &m) != 1)
		return false;
	*value = m.entry.data;
	return true;
}

bool kvm_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t value)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} m;
	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.entry.index = index;
	m.entry.data = value;
	return kvm_vcpu_request(vcpu, KVM_SET_MSRS, &m) == 1;
}

int kvm_forget_translations(struct kvm_vm *vm)
{
	if (dirty_log_sync(vm) < 0)
		return -1;
	struct kvm_userspace_memory_region region = {
		.slot = 0, .flags = vm->slot_flags, .guest_phys_addr = 0, .memory_size = 0,
		.userspace_addr = (uintptr_t)vm->mem.host,
	};
	if (kvm_vm_request(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return -1;
	region.memory_size = vm->mem.size;
	return kvm_vm_request(vm, KVM_SET_USER_MEMORY_REGION, &region);
}

int kvm_settle(struct kvm_vcpu *vcpu)
{
	vcpu->run->immediate_exit = 1;
	int rc = kvm_run_once(vcpu);
	vcpu->run->immediate_exit = 0;
	if (rc < 0 && errno != EINTR)
		return -1;
	vcpu->regs_valid = vcpu->sregs_valid = false;
	return 0;
}

int kvm_set_guest_debug(struct kvm_vcpu *vcpu, uint32_t control, const uint64_t dr[4], uint64_t dr7)
{
	struct kvm_guest_debug d;
	memset(&d, 0, sizeof(d));
	d.control = control;
	for (int i = 0; i < 4; i++)
		d.arch.debugreg[i] = dr ? dr[i] : 0;
	d.arch.debugreg[7] = dr7;
	return kvm_vcpu_request(vcpu, KVM_SET_GUEST_DEBUG, &d);
}

int kvm_flush_regs(struct kvm_vcpu *vcpu)
{
	if (vcpu->sregs_dirty && kvm_vcpu_request(vcpu, KVM_SET_SREGS, &vcpu->sregs) < 0)
		return -1;
	if (vcpu->regs_dirty && kvm_vcpu_request(vcpu, KVM_SET_REGS, &vcpu->regs) < 0)
		return -1;
	vcpu->regs_dirty = vcpu->sregs_dirty = false;
	return 0;
}

void kvm_invalidate_regs(struct kvm_vcpu *vcpu)
{
	vcpu->regs_valid = vcpu->sregs_valid = false;
}

/* ---- events ---------------------------------------------------------------------------------- */


/* Without exception payloads the payload must be in place before delivery. */
static int write_payload_now(struct kvm_vcpu *vcpu, uint8_t vector, uint64_t payload)
{
	if (vector == VEC_PF) {
		struct kvm_sregs *sr = kvm_sregs(vcpu);
		if (!sr)
			return -1;
		sr->cr2 = payload;
		kvm_mark_sregs_dirty(vcpu);
		return 0;
	}
	if (vector == VEC_DB) {
		struct kvm_debugregs dr;
		if (kvm_vcpu_request(vcpu, KVM_GET_DEBUGREGS, &dr) < 0)
			return -1;
		/* DR6 as the CPU leaves it: the reset value with the cause bits set. */
		dr.dr6 = 0xffff0ff0ull | payload;
		return kvm_vcpu_request(vcpu, KVM_SET_DEBUGREGS, &dr);
	}
	return 0;
}

int kvm_queue_exception(struct kvm_vcpu *vcpu, uint8_t vector, bool has_error, uint32_t error, bool has_payload,
			uint64_t payload)
{
	struct kvm_vcpu_events ev;
	/* KVM_SET_REGS cancels a pending exception: registers changed before
	 * the event (a repaired SYSCALL) go in first, not after it. */
	if (kvm_flush_regs(vcpu) < 0)
		return -1;
	memset(&ev, 0, sizeof(ev));
	if (kvm_vcpu_request(vcpu, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return -1;
	ev.exception.nr = vector;
	ev.exception.has_error_code = has_error;
	ev.exception.error_code = error;
	if (vcpu->vm->exception_payload) {
		/* Pending, not injected: KVM delivers it itself and fills CR2/DR6
		 * from the payload at that moment, as the CPU would. */
		ev.exception.pending = 1;
		ev.exception.injected = 0;
		ev.exception_has_payload = has_payload;
		ev.exception_payload = payload;
		ev.flags |= KVM_VCPUEVENT_VALID_PAYLOAD;
	} else {
		if (has_payload && write_payload_now(vcpu, vector, payload) < 0)
			return -1;
		ev.exception.injected = 1;
	}
	return kvm_vcpu_request(vcpu, KVM_SET_VCPU_EVENTS, &ev);
}

int kvm_queue_nmi(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_events ev;
	memset(&ev, 0, sizeof(ev));
	if (kvm_vcpu_request(vcpu, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return -1;
	ev.nmi.pending = 1;
	ev.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING;
	/* KVM_GET_VCPU_EVENTS reports the payload flag it was given; without
	 * re-stating it the exception part would be read as injected. */
	if (vcpu->vm->exception_payload)
		ev.flags |= KVM_VCPUEVENT_VALID_PAYLOAD;
	return kvm_vcpu_request(vcpu, KVM_SET_VCPU_EVENTS, &ev);
}

int kvm_signal_msi(struct kvm_vm *vm, uint32_t address_lo, uint32_t data)
{
	struct kvm_msi msi;
	memset(&msi, 0, sizeof(msi));
	msi.address_lo = address_lo;
	msi.data = data;
	return kvm_vm_request(vm, KVM_SIGNAL_MSI, &msi);
}
