/* SPDX-License-Identifier: MIT */
#include "host/backend.h"

#include <stdio.h>
#include <sys/stat.h>

static bool module_loaded(const char *root, const char *name)
{
	char path[256];
	struct stat st;
	snprintf(path, sizeof(path), "%s/module/%s", root, name);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

enum kvm_backend backend_detect(const char *sysfs_root)
{
	bool vmx = module_loaded(sysfs_root, "kvm_intel");
	bool svm = module_loaded(sysfs_root, "kvm_amd");
	bool pvm = module_loaded(sysfs_root, "kvm_pvm");
	/* A machine may have kvm_pvm loaded beside a hardware module; then /dev/kvm
	 * belongs to whichever registered first, and hardware modules load at boot. */
	if (vmx)
		return BACKEND_VMX;
	if (svm)
		return BACKEND_SVM;
	if (pvm)
		return BACKEND_PVM;
	return BACKEND_UNKNOWN;
}

const char *backend_name(enum kvm_backend b)
{
	switch (b) {
	case BACKEND_VMX: return "vmx";
	case BACKEND_SVM: return "svm";
	case BACKEND_PVM: return "pvm";
	default: return "unknown";
	}
}

bool backend_cycles_meaningful(enum kvm_backend b)
{
	return b == BACKEND_VMX || b == BACKEND_SVM;
}
