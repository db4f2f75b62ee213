/* SPDX-License-Identifier: MIT */
/*
 * Which guest RAM pages the guest wrote, for everyone who needs to know (the
 * RAM journal of triple-fault replays, VM snapshots for sweeps).  KVM keeps
 * one dirty log per memory slot, and reading it clears it: one reader would
 * steal the others' pages.  So the log is read here only, and every read is
 * added to each reader's own set of pages, which the reader takes when it
 * wants them.  Reading also happens before the slot is reloaded
 * (kvm_forget_translations), which would drop the log.
 */
#ifndef ENTRYBOX_KVM_DIRTY_LOG_H
#define ENTRYBOX_KVM_DIRTY_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kvm_vm;
struct dirty_reader;

/* Turns the slot's dirty log on (with the first reader) and registers a
 * reader whose set starts empty.  NULL with a message when KVM or memory
 * refuses. */
struct dirty_reader *dirty_log_join(struct kvm_vm *vm, char *err, size_t errlen);
/* Unregisters; the log goes off with the last reader.  NULL is fine. */
void dirty_log_leave(struct kvm_vm *vm, struct dirty_reader *r);
/* Reads KVM's log into every reader's set.  -1 with errno when KVM refuses
 * (the sets then miss pages: readers that need all must give up). */
int dirty_log_sync(struct kvm_vm *vm);
/* Reads the log, then hands the reader's pages to `fn` (page index; NULL to
 * just forget them) and empties its set.  -1 with errno when the read failed. */
int dirty_log_take(struct kvm_vm *vm, struct dirty_reader *r, void (*fn)(void *ctx, size_t page), void *ctx);
/* Frees what dirty_log_join made (at VM close). */
void dirty_log_close(struct kvm_vm *vm);

#endif
