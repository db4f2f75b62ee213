/* SPDX-License-Identifier: MIT */
#include "kvm/dirty_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/kvm.h"

#define PAGE        4096ull
#define MAX_READERS 4

struct dirty_reader {
	uint64_t *bits;
};

struct dirty_log {
	pthread_mutex_t lock;
	size_t npages, words;
	uint64_t *scratch;              /* what KVM_GET_DIRTY_LOG fills */
	struct dirty_reader *readers[MAX_READERS];
	unsigned nreaders;
};

static int set_logging(struct kvm_vm *vm, bool on)
{
	uint32_t flags = on ? vm->slot_flags | KVM_MEM_LOG_DIRTY_PAGES : vm->slot_flags & ~KVM_MEM_LOG_DIRTY_PAGES;
	struct kvm_userspace_memory_region region = {
		.slot = 0, .flags = flags, .guest_phys_addr = 0, .memory_size = vm->mem.size,
		.userspace_addr = (uintptr_t)vm->mem.host,
	};
	if (kvm_vm_request(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return -1;
	vm->slot_flags = flags;
	return 0;
}

static struct dirty_log *log_create(struct kvm_vm *vm, char *err, size_t errlen)
{
	struct dirty_log *d = calloc(1, sizeof(*d));
	if (d) {
		d->npages = vm->mem.size / PAGE;
		d->words = (d->npages + 63) / 64;
		d->scratch = calloc(d->words, sizeof(uint64_t));
	}
	if (!d || !d->scratch) {
		free(d);
		snprintf(err, errlen, "dirty log: out of memory");
		return NULL;
	}
	if (set_logging(vm, true) < 0) {
		snprintf(err, errlen, "KVM_MEM_LOG_DIRTY_PAGES: %s", strerror(errno));
		free(d->scratch);
		free(d);
		return NULL;
	}
	pthread_mutex_init(&d->lock, NULL);
	return d;
}

/* The VMM's own writes to guest RAM, which KVM's log does not see. */
static void mark_written(void *ctx, uint64_t gpa, uint64_t len)
{
	struct kvm_vm *vm = ctx;
	struct dirty_log *d = vm->dirty;
	if (!d || len == 0)
		return;
	pthread_mutex_lock(&d->lock);
	for (uint64_t page = gpa / PAGE; page <= (gpa + len - 1) / PAGE && page < d->npages; page++)
		for (unsigned i = 0; i < d->nreaders; i++)
			d->readers[i]->bits[page / 64] |= 1ull << (page % 64);
	pthread_mutex_unlock(&d->lock);
}

struct dirty_reader *dirty_log_join(struct kvm_vm *vm, char *err, size_t errlen)
{
	if (!vm->dirty && !(vm->dirty = log_create(vm, err, errlen)))
		return NULL;
	vm->mem.on_write = mark_written;
	vm->mem.write_ctx = vm;
	struct dirty_log *d = vm->dirty;
	struct dirty_reader *r = calloc(1, sizeof(*r));
	if (r)
		r->bits = calloc(d->words, sizeof(uint64_t));
	pthread_mutex_lock(&d->lock);
	bool ok = r && r->bits && d->nreaders < MAX_READERS;
	if (ok)
		d->readers[d->nreaders++] = r;
	pthread_mutex_unlock(&d->lock);
	if (!ok) {
		if (r)
			free(r->bits);
		free(r);
		snprintf(err, errlen, "dirty log: too many readers or out of memory");
		return NULL;
	}
	return r;
}

void dirty_log_leave(struct kvm_vm *vm, struct dirty_reader *r)
{
	struct dirty_log *d = vm->dirty;
	if (!d || !r)
		return;
	pthread_mutex_lock(&d->lock);
	for (unsigned i = 0; i < d->nreaders; i++) {
		if (d->readers[i] == r) {
			d->readers[i] = d->readers[--d->nreaders];
			break;
		}
	}
	bool last = d->nreaders == 0;
	pthread_mutex_unlock(&d->lock);
	free(r->bits);
	free(r);
	if (last) {
		set_logging(vm, false);
		dirty_log_close(vm);
	}
}

/* With the lock held. */
static int sync_locked(struct kvm_vm *vm, struct dirty_log *d)
{
	struct kvm_dirty_log log = { .slot = 0 };
	memset(d->scratch, 0, d->words * sizeof(uint64_t));
	log.dirty_bitmap = d->scratch;
	if (kvm_vm_request(vm, KVM_GET_DIRTY_LOG, &log) < 0)
		return -1;
	for (unsigned i = 0; i < d->nreaders; i++)
		for (size_t w = 0; w < d->words; w++)
			d->readers[i]->bits[w] |= d->scratch[w];
	return 0;
}

int dirty_log_sync(struct kvm_vm *vm)
{
	struct dirty_log *d = vm->dirty;
	if (!d)
		return 0;
	pthread_mutex_lock(&d->lock);
	int rc = sync_locked(vm, d);
	pthread_mutex_unlock(&d->lock);
	return rc;
}

int dirty_log_take(struct kvm_vm *vm, struct dirty_reader *r, void (*fn)(void *ctx, size_t page), void *ctx)
{
	struct dirty_log *d = vm->dirty;
	if (!d || !r) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&d->lock);
	int rc = sync_locked(vm, d);
	for (size_t w = 0; rc == 0 && w < d->words; w++) {
		for (uint64_t bits = r->bits[w]; bits; bits &= bits - 1) {
			size_t page = w * 64 + (size_t)__builtin_ctzll(bits);
			if (page < d->npages && fn)
				fn(ctx, page);
		}
		r->bits[w] = 0;
	}
	pthread_mutex_unlock(&d->lock);
	return rc;
}

void dirty_log_close(struct kvm_vm *vm)
{
	struct dirty_log *d = vm->dirty;
	if (!d)
		return;
	vm->dirty = NULL;
	vm->mem.on_write = NULL;
	for (unsigned i = 0; i < d->nreaders; i++) {
		free(d->readers[i]->bits);
		free(d->readers[i]);
	}
	free(d->scratch);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
