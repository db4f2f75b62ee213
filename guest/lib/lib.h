/* SPDX-License-Identifier: MIT */
/* The string functions gcc may call even in freestanding code. */
#ifndef ENTRYBOX_LIB_H
#define ENTRYBOX_LIB_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
/* Copies at most size-1 bytes and always terminates (when size > 0). */
void strlcpy_k(char *dst, const char *src, size_t size);

#endif
