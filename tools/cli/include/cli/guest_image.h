/* SPDX-License-Identifier: MIT */
/* Which guest ELF a run boots. */
#ifndef ENTRYBOX_GUEST_IMAGE_H
#define ENTRYBOX_GUEST_IMAGE_H

#include <stddef.h>

/* The default image's place in the build tree, relative to the entrybox binary's directory. */
#define GUEST_IMAGE_BUILD_PATH "../guest/entrybox-guest.elf"
#define GUEST_IMAGE_ENV "ENTRYBOX_GUEST"

/* Picks the guest image: `explicit_path` (--guest) if given, else the one in
 * the build tree next to this binary, else $ENTRYBOX_GUEST; then checks it is
 * a readable ELF file.  Returns 0 with the path in out, EBX_STATUS_USAGE when a
 * named image is unusable, EBX_STATUS_ENV when there is none; one line on
 * stderr on failure. */
int guest_image_resolve(const char *explicit_path, char *out, size_t outlen);

#endif
