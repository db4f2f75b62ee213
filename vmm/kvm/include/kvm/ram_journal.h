/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM as it was when a vCPU last entered the guest.
 *
 * A replay after a triple fault (kvm/shutdown_replay.h) restarts the vCPU from
 * its last entry; for the guest to take the same path again it must also read
 * the memory of that moment, not memory its run has changed since (a run
 * queue already taken, a counter already bumped).  With KVM's dirty-page log
 * on the RAM slot, each replay point copies the pages written since the
 * previous one into a shadow, and a rewind copies back the pages written since
 * the last point.  A point costs a KVM_GET_DIRTY_LOG (with its TLB flush) and
 * a few page copies, so points are taken at a pace set from that cost, and
 * only where the backend destroys the state at a triple fault.
 *
 * With several vCPUs the shadow is the memory at the most recent point of any
 * of them: exact for one vCPU, an approximation for more.
 */
#ifndef ENTRYBOX_KVM_RAM_JOURNAL_H
#define ENTRYBOX_KVM_RAM_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

struct kvm_vm;

/* Turns on the dirty-page log of the RAM slot and takes the first full copy.
 * -1 with a message when KVM or memory refuses. */
int ram_journal_start(struct kvm_vm *vm, char *err, size_t errlen);
/* At a replay point's KVM_RUN: the shadow catches up with RAM.  Thread-safe. */
void ram_journal_note_entry(struct kvm_vm *vm);
/* RAM goes back to the shadow.  False with a reason when the journal cannot. */
bool ram_journal_rewind(struct kvm_vm *vm, char *why, size_t len);
void ram_journal_stop(struct kvm_vm *vm);
/* Mean wall time of one ram_journal_note_entry(), 0 before the first. */
double ram_journal_mean_note_seconds(struct kvm_vm *vm);

#endif
