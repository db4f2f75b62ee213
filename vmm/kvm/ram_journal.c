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

#include "kvm/dirty_log.h"
#include "kvm/kvm.h"

#define PAGE 4096ull

struct ram_journal {
	pthread_mutex_t lock;
	uint8_t *shadow;
	struct dirty_reader *dirty;  /* the pages written since the last point */
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

struct copy {
	uint8_t *dst;
	const uint8_t *src;
};

static void copy_page(void *ctx, size_t page)
{
	const struct copy *c = ctx;
	memcpy(c->dst + page * PAGE, c->src + page * PAGE, PAGE);
}

/* Copies the pages written since the previous call from src to dst. */
static bool copy_dirty(struct kvm_vm *vm, struct ram_journal *j, uint8_t *dst, const uint8_t *src)
{
	struct copy c = { dst, src };
	return dirty_log_take(vm, j->dirty, copy_page, &c) == 0;
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
	j->shadow = mmap(NULL, vm->mem.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (j->shadow == MAP_FAILED) {
		snprintf(err, errlen, "RAM journal: out of memory");
		free(j);
		return -1;
	}
	char why[120];
	j->dirty = dirty_log_join(vm, why, sizeof(why));
	if (!j->dirty) {
		snprintf(err, errlen, "RAM journal: %s", why);
		munmap(j->shadow, vm->mem.size);
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
	if (j->broken || !copy_dirty(vm, j, j->shadow, vm->mem.host))
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
	bool ok = !j->broken && copy_dirty(vm, j, vm->mem.host, j->shadow);
	if (!ok)
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
	dirty_log_leave(vm, j->dirty);
	munmap(j->shadow, vm->mem.size);
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
