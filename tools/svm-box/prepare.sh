#!/usr/bin/env bash
# Fills the svm-box cache: the Debian kernel that linux-image-amd64 depends on
# today, busybox-static, the initramfs built from them, and a QEMU built from
# Debian's own qemu source plus qemu-7.2-svm-dr7.patch.  The cache lives outside
# the work tree (${ENTRYBOX_CACHE:-/var/cache/entrybox}) so that every clone on
# the machine reuses it.  Each part is rebuilt only when its inputs changed, so a
# filled cache costs a second or two.  Failures are one line and exit 3; the
# full output of the failing step stays in $CACHE/logs/.
#
# Everything comes from the machine's own Debian sources through a private apt
# (own sources list with deb-src lines, own lists and archives): the host's apt
# state is never touched, and nothing lands in the host's boot path.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
CACHE=${ENTRYBOX_CACHE:-/var/cache/entrybox}
# Private apt lists older than this are refreshed, so "today's kernel" is today's.
APT_MAX_AGE_MIN=${ENTRYBOX_APT_MAX_AGE_MIN:-720}
# The modules the box needs (virtio-9p, overlayfs for the private layer over
# the host's root, kvm-amd); their dependencies are found from the .ko files.
BOX_MODULES=(virtio_pci 9pnet_virtio 9p overlay kvm_amd)
# Only qemu-system-x86_64, default features off: TCG, virtio-9p (virtfs) and
# firmware from Debian's qemu-system-data/seabios, where Debian puts them.  QEMU
# finds them relative to its binary (qemu/bin/../share/qemu), so qemu/ mirrors
# those folders with symlinks (link_qemu_data).
QEMU_FIRMWARE=(/usr/share/qemu /usr/share/seabios /usr/lib/ipxe/qemu)
QEMU_CONFIGURE=(
	--prefix=/usr "--firmwarepath=$(IFS=:; echo "${QEMU_FIRMWARE[*]}")"
	--target-list=x86_64-softmmu --without-default-features
	--enable-tcg --enable-virtfs --enable-cap-ng --enable-attr --enable-fdt=system
	--disable-docs --disable-werror --audio-drv-list=
)
QEMU_PATCH=$here/qemu-7.2-svm-dr7.patch

say() { echo "svm-box prepare: $*"; }
die() {
	echo "svm-box prepare: $*" >&2
	exit 3
}

# run_logged NAME WHAT CMD...: runs CMD with its output in logs/NAME.log; on
# failure the one line names the step and the log.
run_logged() {
	local name=$1 what=$2
	shift 2
	local log=$CACHE/logs/$name.log
	"$@" >"$log" 2>&1 || die "$what failed (exit $?); see $log"
}

lock_cache() {
	mkdir -p "$CACHE/logs" 2>/dev/null || die "cannot create the cache folder $CACHE (set ENTRYBOX_CACHE)"
	[ -w "$CACHE" ] || die "the cache folder $CACHE is not writable (set ENTRYBOX_CACHE)"
	# Two setups at once (two clones) must not build into the same folders.
	exec 9>"$CACHE/.lock"
	if ! flock -n 9; then
		say "waiting for another setup that holds $CACHE/.lock"
		flock 9
	fi
}

# --- private apt ---------------------------------------------------------------

APT=$CACHE/apt

# The host's own sources, each also as deb-src: same mirrors, same keys.
write_sources() {
	local etc parts f out=$APT/sources.list.d
	eval "$(apt-config shell etc Dir::Etc/d parts Dir::Etc::sourceparts/d)"
	rm -rf "$out.new"
	mkdir -p "$out.new"
	for f in "$parts"/*.sources; do
		[ -f "$f" ] || continue
		sed -E 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb deb-src/' "$f" >"$out.new/$(basename "$f")"
	done
	for f in "$etc/sources.list" "$parts"/*.list; do
		[ -f "$f" ] || continue
		sed -nE 's/^[[:space:]]*deb[[:space:]]+(.*)$/deb \1\ndeb-src \1/p' "$f" >"$out.new/$(basename "$f")"
	done
	[ -n "$(ls -A "$out.new")" ] || die "no apt sources found under $parts or $etc/sources.list"
	if ! diff -r "$out" "$out.new" >/dev/null 2>&1; then
		rm -rf "$out" && mv "$out.new" "$out"
		rm -f "$APT/updated"
	else
		rm -rf "$out.new"
	fi
}

apt_opts() {
	printf '%s\n' -o "Dir::State=$APT/state" -o "Dir::Cache=$APT/cache" \
		-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$APT/sources.list.d" \
		-o "Dir::State::status=/var/lib/dpkg/status" -o "APT::Sandbox::User=root" \
		-o "Dir::Cache::pkgcache=$APT/cache/pkgcache.bin" -o "Dir::Cache::srcpkgcache=$APT/cache/srcpkgcache.bin"
}

papt_get() {
	local opts
	mapfile -t opts < <(apt_opts)
	apt-get "${opts[@]}" "$@"
}

papt_cache() {
	local opts
	mapfile -t opts < <(apt_opts)
	apt-cache "${opts[@]}" "$@"
}

apt_refresh() {
	mkdir -p "$APT/state/lists/partial" "$APT/cache/archives/partial"
	write_sources
	if [ -f "$APT/updated" ] && [ -n "$(find "$APT/updated" -mmin -"$APT_MAX_AGE_MIN")" ]; then
		return 0
	fi
	say "refreshing the private package lists (deb and deb-src)"
	run_logged apt-update "apt-get update (private lists in $APT)" papt_get update
	touch "$APT/updated"
}

# candidate_version PKG: the version apt would download today.
candidate_version() {
	papt_cache policy "$1" | awk '/Candidate:/ { print $2; exit }'
}

# fetch_deb PKG DIR: DIR holds `dpkg -x` of today's PKG; reuses it when the
# version is unchanged.  Prints nothing on success.
fetch_deb() {
	local pkg=$1 dir=$2 ver
	ver=$(candidate_version "$pkg")
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "package $pkg not found in the private lists (see $CACHE/logs/apt-update.log)"
	if [ "$(cat "$dir/.version" 2>/dev/null)" = "$pkg $ver" ]; then
		return 0
	fi
	say "downloading $pkg $ver"
	local tmp=$CACHE/tmp/deb-$pkg
	rm -rf "$tmp" "$dir.new"
	mkdir -p "$tmp" "$dir.new"
	(cd "$tmp" && run_logged "download-$pkg" "apt-get download $pkg=$ver" papt_get download "$pkg=$ver")
	run_logged "unpack-$pkg" "dpkg -x of $pkg" dpkg -x "$tmp"/*.deb "$dir.new"
	echo "$pkg $ver" >"$dir.new/.version"
	rm -rf "$dir" "$tmp"
	mv "$dir.new" "$dir"
}

# --- kernel, busybox, initramfs -------------------------------------------------

# The kernel package linux-image-amd64 depends on today, e.g. linux-image-6.1.0-57-amd64.
kernel_package() {
	papt_cache depends linux-image-amd64 |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

fetch_kernel() {
	local pkg
	pkg=$(kernel_package)
	[ -n "$pkg" ] || die "linux-image-amd64 names no kernel package in the private lists"
	KREL=${pkg#linux-image-}
	fetch_deb "$pkg" "$CACHE/kernel"
	[ -f "$CACHE/kernel/boot/vmlinuz-$KREL" ] || die "$pkg has no /boot/vmlinuz-$KREL"
	KMODS=$CACHE/kernel/lib/modules/$KREL
	[ -d "$KMODS/kernel" ] || die "$pkg has no /lib/modules/$KREL/kernel"
}

declare -A MOD_PATH=()   # module name (with _) -> .ko file
declare -A MOD_SEEN=()
MOD_ORDER=()

index_modules() {
	local f name
	while IFS= read -r f; do
		name=$(basename "$f")
		name=${name%%.ko*}
		MOD_PATH[${name//-/_}]=$f
	done < <(find "$KMODS/kernel" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst')
}

# add_module NAME: appends NAME after everything its `depends=` names
# (the package has no modules.dep; each .ko carries its own list).
add_module() {
	local name=${1//-/_} deps dep
	[ -z "${MOD_SEEN[$name]:-}" ] || return 0
	MOD_SEEN[$name]=1
	[ -n "${MOD_PATH[$name]:-}" ] || die "module $name not found under $KMODS/kernel"
	deps=$(modinfo -F depends "${MOD_PATH[$name]}") || die "modinfo cannot read ${MOD_PATH[$name]}"
	for dep in ${deps//,/ }; do
		add_module "$dep"
	done
	MOD_ORDER+=("$name")
}

# copy_module NAME DEST: the module uncompressed (busybox insmod reads plain .ko).
copy_module() {
	local src=${MOD_PATH[$1]}
	case $src in
	*.ko.xz) xz -dc "$src" >"$2" ;;
	*.ko.zst) zstd -qdc "$src" >"$2" ;;
	*) cp "$src" "$2" ;;
	esac
}

# The box's boot files live in box/STAMP/ (vmlinuz, initramfs.cpio), STAMP
# hashing everything they are made of; box/init-HASH links to the one made with
# the init script whose sha256 is HASH, which is how tools/svm-box.sh finds the
# files for its own tree: clones with different init scripts share the cache.
build_initramfs() {
	local m bb=$CACHE/busybox/bin/busybox
	[ -x "$bb" ] || die "busybox-static has no /bin/busybox"
	local stamp init_hash
	init_hash=$(sha256sum <"$here/init" | cut -d' ' -f1)
	# The module order follows from the kernel and the module list.
	stamp=$( {
		cat "$CACHE/kernel/.version" "$CACHE/busybox/.version" "$here/init"
		echo "${BOX_MODULES[*]}"
	} | sha256sum | cut -c1-16)
	local dir=$CACHE/box/$stamp
	if [ ! -f "$dir/initramfs.cpio" ] || [ ! -f "$dir/vmlinuz" ]; then
		index_modules
		for m in "${BOX_MODULES[@]}"; do
			add_module "$m"
		done
		say "building the initramfs: busybox + ${MOD_ORDER[*]}"
		local root=$CACHE/tmp/initramfs a
		rm -rf "$root" "$dir.new"
		mkdir -p "$root"/{bin,proc,sys,dev,tmp,newroot,modules} "$dir.new"
		cp "$bb" "$root/bin/busybox"
		for a in $("$bb" --list); do
			[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
		done
		for m in "${MOD_ORDER[@]}"; do
			copy_module "$m" "$root/modules/$m.ko"
			echo "$m" >>"$root/modules/order"
		done
		install -m 755 "$here/init" "$root/init"
		# Uncompressed: the inner kernel would spend longer unpacking under TCG
		# than QEMU spends loading a few more megabytes.
		(cd "$root" && find . | "$bb" cpio -o -H newc >"$dir.new/initramfs.cpio" 2>/dev/null) ||
			die "cpio of the initramfs failed"
		cp "$CACHE/kernel/boot/vmlinuz-$KREL" "$dir.new/vmlinuz"
		echo "kernel $KREL, modules ${MOD_ORDER[*]}" >"$dir.new/contents"
		rm -rf "$dir" "$root"
		mv "$dir.new" "$dir"
	fi
	ln -sfn "$stamp" "$CACHE/box/init-$init_hash"
	prune_boxes
}

# Links unused for two weeks go, and then the boot files no link names.
prune_boxes() {
	local d
	find "$CACHE/box" -maxdepth 1 -type l -name 'init-*' -mtime +14 -delete
	for d in "$CACHE/box"/*/; do
		[ ! -L "${d%/}" ] || continue
		d=$(basename "$d")
		[ -n "$(find "$CACHE/box" -maxdepth 1 -type l -lname "$d")" ] || rm -rf "${CACHE:?}/box/$d"
	done
}

# --- QEMU ----------------------------------------------------------------------

# Debian's qemu source of the installed qemu-system-x86, so the firmware in
# /usr/share/qemu matches the binary.
qemu_source_version() {
	dpkg-query -W -f='${source:Version}' qemu-system-x86 2>/dev/null ||
		die "qemu-system-x86 is not installed (tools/setup.sh installs it)"
}

# qemu/share/qemu -> /usr/share/qemu, ...: the firmware at the place the
# relocatable binary in qemu/bin looks for it.
link_qemu_data() {
	local d
	for d in "${QEMU_FIRMWARE[@]}"; do
		mkdir -p "$(dirname "$CACHE/qemu/${d#/usr/}")"
		ln -sfn "$d" "$CACHE/qemu/${d#/usr/}"
	done
}

build_qemu() {
	local srcver stamp dir=$CACHE/qemu
	srcver=$(qemu_source_version)
	stamp="qemu $srcver patch $(sha256sum <"$QEMU_PATCH" | cut -d' ' -f1) configure $(echo "${QEMU_CONFIGURE[*]}" | sha256sum | cut -d' ' -f1)"
	if [ -x "$dir/bin/qemu-system-x86_64" ] && [ "$(cat "$dir/stamp" 2>/dev/null)" = "$stamp" ]; then
		link_qemu_data
		return 0
	fi
	local work=$CACHE/tmp/qemu t0=$SECONDS
	rm -rf "$work"
	mkdir -p "$work"
	say "fetching Debian's qemu $srcver source"
	(cd "$work" && run_logged qemu-source "apt-get source qemu=$srcver" papt_get source "qemu=$srcver")
	local src
	src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'qemu-*' | head -n1)
	[ -n "$src" ] && [ -f "$src/target/i386/tcg/sysemu/svm_helper.c" ] || die "the qemu $srcver source has no target/i386/tcg/sysemu/svm_helper.c"
	run_logged qemu-patch "applying $(basename "$QEMU_PATCH") to qemu $srcver" patch -d "$src" -p1 --forward -i "$QEMU_PATCH"
	say "configuring and building qemu-system-x86_64 (about 5 minutes on 2 cores; log: $CACHE/logs/qemu-build.log)"
	mkdir -p "$src/b"
	run_logged qemu-build "configure of qemu $srcver" sh -c 'cd "$1/b" && shift && ../configure "$@"' sh "$src" "${QEMU_CONFIGURE[@]}"
	run_logged qemu-build-ninja "build of qemu-system-x86_64" ninja -C "$src/b" -j "$(nproc)" qemu-system-x86_64
	mkdir -p "$dir/bin"
	strip -o "$dir/bin/qemu-system-x86_64.new" "$src/b/qemu-system-x86_64"
	mv "$dir/bin/qemu-system-x86_64.new" "$dir/bin/qemu-system-x86_64"
	echo "$stamp" >"$dir/stamp"
	rm -rf "$work"
	link_qemu_data
	say "qemu-system-x86_64 built in $((SECONDS - t0)) s"
}

main() {
	lock_cache
	rm -rf "$CACHE/tmp"
	# Sources and build trees are big: none is kept, whatever the outcome
	# (the logs stay).
	trap 'rm -rf "$CACHE/tmp"' EXIT
	mkdir -p "$CACHE/tmp"
	apt_refresh
	fetch_kernel
	fetch_deb busybox-static "$CACHE/busybox"
	build_initramfs
	build_qemu
	say "ready in $CACHE: kernel $KREL, $(cut -d' ' -f2 "$CACHE/busybox/.version") busybox, $(cut -d' ' -f1-2 "$CACHE/qemu/stamp") + $(basename "$QEMU_PATCH")"
}

main "$@"
