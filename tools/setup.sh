#!/usr/bin/env bash
# Installs the Debian 12 packages entrybox needs, and only those that are missing,
# then fills the svm-box cache (tools/svm-box/prepare.sh), so it is quick and
# harmless to run before every build.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
	build-essential meson ninja-build pkg-config
	libcapstone-dev check libelf-dev libdw-dev libjson-c-dev libseccomp-dev
	qemu-system-x86 gnuplot-nox
	# the fuzz targets run under libFuzzer, which needs clang and its runtime
	clang libclang-rt-14-dev
	# libvirt: the C API, and the daemons the tests start privately (libvirtd, virtlogd,
	# the QEMU driver); libvirt-daemon-system is left out: it would start system services.
	libvirt-dev libvirt-daemon libvirt-daemon-driver-qemu
	# the gdb stub's tests and benchmark drive Debian's gdb in batch mode
	gdb
	# svm-box (tools/svm-box.sh): modinfo reads each kernel module's dependencies, and
	# the box's own QEMU build (Debian's qemu source plus our patch) links against these.
	kmod libglib2.0-dev libpixman-1-dev libfdt-dev libcap-ng-dev libattr1-dev zlib1g-dev
)

installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

install_missing() {
	local p missing=()
	for p in "${packages[@]}"; do
		installed "$p" || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		echo "setup: all ${#packages[@]} packages present"
		return 0
	fi
	echo "setup: installing ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: run as root (apt-get install needs it), or install: ${missing[*]}" >&2
		exit 3
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	apt-get install -y --no-install-recommends "${missing[@]}"
}

install_missing
# The box needs the packages above (kmod, the -dev packages, qemu-system-x86's firmware).
tools/svm-box/prepare.sh
