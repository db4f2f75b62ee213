/* SPDX-License-Identifier: MIT */
#include "kvm/ram_journal.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "kvm/kvm.h"

#define PAGE 4096ull

struct ram_journal {
	pthread_mutex_t lock;
	uint8_t *shadow;
	uint64_t *bitmap;
	size_t npages;
	bool broken;          /* a dirty-log read failed: the shadow is no longer the last point's */
	double note_seconds;  /* time spent in note_entry, for pacing the points */
	unsigned long notes;
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t bitmap_bytes(size_t npages)
{
	return (npages + 63) / 64 * 8;
}

static int set_slot_flags(struct kvm_vm *vm, uint32_t flags)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0, .flags = flags, .guest_phys_addr = 0, .memory_size = vm->mem.size,
		.userspace_addr = (uintptr_t)vm->mem.host,
	};
	if (kvm_vm_request(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return -1;
	vm->slot_flags = flags;
	return 0;
}

/* Fills j->bitmap with the pages written since the previous call. */
static bool read_dirty_log(struct kvm_vm *vm, struct ram_journal *j)
{
	struct kvm_dirty_log log = { .slot = 0 };
	memset(j->bitmap, 0, bitmap_bytes(j->npages));
	log.dirty_bitmap = j->bitmap;
	return kvm_vm_request(vm, KVM_GET_DIRTY_LOG, &log) == 0;
}

static void copy_dirty(const struct ram_journal *j, uint8_t *dst, const uint8_t *src)
{
	for (size_t w = 0; w < bitmap_bytes(j->npages) / 8; w++) {
		for (uint64_t bits = j->bitmap[w]; bits; bits &= bits - 1) {
			size_t page = w * 64 + (size_t)__builtin_ctzll(bits);
			if (page < j->npages)
				memcpy(dst + page * PAGE, src + page * PAGE, PAGE);
		}
	}
}

/* The first shadow: guest RAM is anonymous memory, so a page nobody has
 * touched yet reads as zeros in both mappings and needs no copy.  Copying
 * only what is resident keeps the start cheap (the loaded image, a few MiB),
 * where a full copy of RAM took 0.4 s under nested TCG. */
static void copy_resident(struct kvm_vm *vm, struct ram_journal *j)
{
	unsigned char *resident = malloc(j->npages);
	if (!resident || mincore(vm->mem.host, vm->mem.size, resident) < 0) {
		memcpy(j->shadow, vm->mem.host, vm->mem.size);
		free(resident);
		return;
	}
	for (size_t page = 0; page < j->npages; page++)
		if (resident[page] & 1)
			memcpy(j->shadow + page * PAGE, vm->mem.host + page * PAGE, PAGE);
	free(resident);
}

int ram_journal_start(struct kvm_vm *vm, char *err, size_t errlen)
{
	struct ram_journal *j = calloc(1, sizeof(*j));
	if (!j) {
		snprintf(err, errlen, "RAM journal: out of memory");
		return -1;
	}
	j->npages = vm->mem.size / PAGE;
	j->bitmap = calloc(1, bitmap_bytes(j->npages));
	j->shadow = mmap(NULL, vm->mem.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!j->bitmap || j->shadow == MAP_FAILED) {
		snprintf(err, errlen, "RAM journal: out of memory");
		free(j->bitmap);
		if (j->shadow != MAP_FAILED)
			munmap(j->shadow, vm->mem.size);
		free(j);
		return -1;
	}
	if (set_slot_flags(vm, vm->slot_flags | KVM_MEM_LOG_DIRTY_PAGES) < 0) {
		snprintf(err, errlen, "RAM journal: KVM_MEM_LOG_DIRTY_PAGES: %s", strerror(errno));
		munmap(j->shadow, vm->mem.size);
		free(j->bitmap);
		free(j);
		return -1;
	}
	copy_resident(vm, j);
	pthread_mutex_init(&j->lock, NULL);
	vm->journal = j;
	return 0;
}

void ram_journal_note_entry(struct kvm_vm *vm)
{
	struct ram_journal *j = vm->journal;
	if (!j)
		return;
	pthread_mutex_lock(&j->lock);
	double start = now_seconds();
	if (!j->broken && read_dirty_log(vm, j))
		copy_dirty(j, j->shadow, vm->mem.host);
	else
		j->broken = true;
	j->note_seconds += now_seconds() - start;
	j->notes++;
	pthread_mutex_unlock(&j->lock);
}

bool ram_journal_rewind(struct kvm_vm *vm, char *why, size_t len)
{
	struct ram_journal *j = vm->journal;
	if (!j) {
		snprintf(why, len, "no RAM journal");
		return false;
	}
	pthread_mutex_lock(&j->lock);
	bool ok = !j->broken && read_dirty_log(vm, j);
	if (ok)
		copy_dirty(j, vm->mem.host, j->shadow);
	else
		snprintf(why, len, "the RAM journal lost track (KVM_GET_DIRTY_LOG failed)");
	pthread_mutex_unlock(&j->lock);
	return ok;
}

void ram_journal_stop(struct kvm_vm *vm)
{
	struct ram_journal *j = vm->journal;
	if (!j)
		return;
	vm->journal = NULL;
	munmap(j->shadow, vm->mem.size);
	free(j->bitmap);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

double ram_journal_mean_note_seconds(struct kvm_vm *vm)
{
	struct ram_journal *j = vm->journal;
	if (!j)
		return 0;
	pthread_mutex_lock(&j->lock);
	double mean = j->notes ? j->note_seconds / (double)j->notes : 0;
	pthread_mutex_unlock(&j->lock);
	return mean;
}
