/* SPDX-License-Identifier: MIT */
/*
 * Thin, checked wrappers around the /dev/kvm requests the VMM makes.  Every
 * request goes through the VM's kvm_ops: the kernel's /dev/kvm normally, or a
 * test's fake that feeds exits and records what the VMM asked for (the exit
 * loop is tested that way, with no /dev/kvm).
 */
#ifndef ENTRYBOX_KVM_H
#define ENTRYBOX_KVM_H

#include <linux/kvm.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "machine/gmem.h"

struct ram_journal;
struct dirty_log;
struct kvm_vm;
struct kvm_vcpu;

/* Where requests go.  `system` (requests of /dev/kvm itself), `vm` and `vcpu`
 * take a KVM ioctl number and its argument (integers cast to a pointer, as for
 * ioctl(2)) and return what ioctl(2) would: >= 0, or -1 with errno.  `map_run`
 * gives the vCPU's struct kvm_run of vm->run_size bytes, `unmap_run` takes it
 * back. */
struct kvm_ops {
	int (*system)(struct kvm_vm *vm, unsigned long request, void *arg);
	int (*vm)(struct kvm_vm *vm, unsigned long request, void *arg);
	int (*vcpu)(struct kvm_vcpu *vcpu, unsigned long request, void *arg);
	struct kvm_run *(*map_run)(struct kvm_vcpu *vcpu);
	void (*unmap_run)(struct kvm_vcpu *vcpu);
};

struct kvm_vm {
	const struct kvm_ops *ops;
	void *ops_ctx;         /* the fake's own state; NULL for /dev/kvm */
	int kvm_fd;
	int vm_fd;
	struct gmem mem;
	bool owns_ram;          /* mapped by kvm_open_vm, unmapped by kvm_close_vm */
	int run_size;
	bool has_sync_regs;     /* KVM_CAP_SYNC_REGS covers regs+sregs */
	uint32_t slot_flags;    /* of the RAM slot, kept when the slot is reloaded */
	struct ram_journal *journal; /* kvm/ram_journal.h; NULL unless started */
	struct dirty_log *dirty;     /* kvm/dirty_log.h; NULL while no one reads it */
	bool exception_payload; /* KVM_CAP_EXCEPTION_PAYLOAD enabled: CR2/DR6 travel with the exception */
};

struct kvm_vcpu {
	int fd;
	unsigned index;
	struct kvm_run *run;
	struct kvm_vm *vm;
	/* With KVM_CAP_SYNC_REGS the registers arrive in run->s.regs on every exit;
	 * without it these caches are filled by ioctls on demand. */
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	bool regs_valid, sregs_valid;
	bool regs_dirty, sregs_dirty;
	/* A replay point (kvm/shutdown_replay.h): the registers of one KVM_RUN as
	 * the vCPU entered the guest with them, taken when `replay_point_wanted`
	 * was set, together with the VM's RAM journal at that moment. */
	atomic_bool replay_point_wanted;
	struct kvm_regs point_regs;
	struct kvm_sregs point_sregs;
	bool point_valid;
};

/* Opens /dev/kvm.  Returns -1 with errno set; the caller reports it. */
int kvm_open_vm(struct kvm_vm *vm, uint64_t ram_bytes, char *err, size_t errlen);
/* A VM over `ops` instead of /dev/kvm, with `ram` as guest memory (not
 * freed by kvm_close_vm) and no sync regs. */
void kvm_open_vm_on(struct kvm_vm *vm, const struct kvm_ops *ops, void *ctx, uint8_t *ram,
		    uint64_t ram_bytes, int run_size);
void kvm_close_vm(struct kvm_vm *vm);

int kvm_create_vcpu(struct kvm_vm *vm, struct kvm_vcpu *vcpu, unsigned index, char *err, size_t errlen);
void kvm_destroy_vcpu(struct kvm_vcpu *vcpu);

/* The raw requests, for the few callers that need one the wrappers lack. */
int kvm_system_request(struct kvm_vm *vm, unsigned long request, void *arg);
int kvm_vm_request(struct kvm_vm *vm, unsigned long request, void *arg);
int kvm_vcpu_request(struct kvm_vcpu *vcpu, unsigned long request, void *arg);

/* CPUID as the host supports it, plus our signature leaf and this vCPU's APIC ID. */
int kvm_setup_cpuid(struct kvm_vcpu *vcpu, char *err, size_t errlen);

/* A flat 4 GiB segment with the attributes the CPU gives it when it loads a
 * selector without reading the descriptor (SYSCALL, SYSRET) or as the PVH
 * boot state defines it. */
enum kvm_flat_kind { KVM_FLAT_CODE64, KVM_FLAT_CODE32, KVM_FLAT_DATA };
static inline void kvm_flat_segment(struct kvm_segment *s, uint16_t selector, uint8_t type, uint8_t dpl,
				    enum kvm_flat_kind kind)
{
	*s = (struct kvm_segment){
		.selector = selector, .limit = 0xffffffffu, .type = type, .s = 1, .dpl = dpl, .present = 1,
		.l = kind == KVM_FLAT_CODE64, .db = kind != KVM_FLAT_CODE64, .g = 1,
	};
}

/* The PVH entry state: 32-bit flat protected mode, paging off, EBX = start_info. */
int kvm_set_pvh_state(struct kvm_vcpu *vcpu, uint32_t entry, uint32_t start_info, char *err, size_t errlen);

int kvm_run_once(struct kvm_vcpu *vcpu);

/* Register access that works with and without sync regs; changes are written
 * back before the next KVM_RUN. */
struct kvm_regs *kvm_regs(struct kvm_vcpu *vcpu);
struct kvm_sregs *kvm_sregs(struct kvm_vcpu *vcpu);
void kvm_mark_regs_dirty(struct kvm_vcpu *vcpu);
void kvm_mark_sregs_dirty(struct kvm_vcpu *vcpu);
/* Forgets the cached registers: the next kvm_regs()/kvm_sregs() asks KVM. */
void kvm_invalidate_regs(struct kvm_vcpu *vcpu);
/* Hands registers the VMM changed to KVM now rather than at the next
 * KVM_RUN (KVM_SET_SREGS, KVM_SET_REGS).  -1 with errno. */
int kvm_flush_regs(struct kvm_vcpu *vcpu);

bool kvm_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *value);
bool kvm_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t value);
/* Lets KVM finish the instruction behind the current exit (e.g. the OUT of a
 * port-I/O exit) without running further, so that registers changed next are
 * not overwritten by that completion.  -1 with errno on failure. */
int kvm_settle(struct kvm_vcpu *vcpu);
/* Makes KVM drop every translation it built from guest memory (shadow pages,
 * EPT/NPT entries, and so the guest's TLB), after the VMM itself changed the
 * guest's page tables: deleting the memory slot and adding it back (the
 * dirty log is read first: the new slot starts with an empty one).  -1 with
 * errno on failure. */
int kvm_forget_translations(struct kvm_vm *vm);
int kvm_set_guest_debug(struct kvm_vcpu *vcpu, uint32_t control, const uint64_t dr[4], uint64_t dr7);

/* ---- events -------------------------------------------------------------------------------- */
/* Queues an exception the vCPU takes before its next instruction.  With
 * exception payloads (vm->exception_payload) KVM writes the payload (CR2 for
 * #PF, the DR6 bits for #DB, as a positive mask) at delivery, as the CPU does;
 * without, the VMM writes CR2 or DR6 itself first.  -1 with errno. */
int kvm_queue_exception(struct kvm_vcpu *vcpu, uint8_t vector, bool has_error, uint32_t error, bool has_payload,
			uint64_t payload);
int kvm_queue_nmi(struct kvm_vcpu *vcpu);
/* An MSI to the in-kernel LAPICs.  Returns > 0 when a LAPIC accepted it, 0
 * when the guest's LAPIC blocked it, -1 with errno. */
int kvm_signal_msi(struct kvm_vm *vm, uint32_t address_lo, uint32_t data);

#endif
