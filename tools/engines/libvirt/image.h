/* SPDX-License-Identifier: MIT */
/* The guest image on the libvirt host (image.c). */
#ifndef ENTRYBOX_LIBVIRT_IMAGE_H
#define ENTRYBOX_LIBVIRT_IMAGE_H

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stddef.h>

#include "engines/libvirt.h"

/* Makes the image at local_path bootable on the host of conn and writes its
 * path there into out: the same path on this machine's hypervisor; on
 * another host the path of an uploaded volume (mode auto or upload), or the
 * same path after checking that the host has a file there (same-path).
 * False with one line in err. */
bool libvirt_image_place(virConnectPtr conn, const char *uri, const char *local_path, enum libvirt_image_mode mode,
			 bool local_host, char *out, size_t outlen, char *err, size_t errlen);

#endif
