# Sourced by tools/test.sh and tools/main-job.sh: where runs that need KVM go.
# choose_kvm sets kvm=host (this machine's /dev/kvm) or kvm=box (the svm-box,
# tools/svm-box.sh) and why=REASON.  ENTRYBOX_KVM=host|box forces the choice;
# auto (the default) takes the host's /dev/kvm when it opens read-write, which
# is what entrybox needs of it.

host_kvm_usable() {
	[ -c /dev/kvm ] && (exec 3<>/dev/kvm) 2>/dev/null
}

# choose_kvm SCRIPT: exits 2 with one line for a bad ENTRYBOX_KVM.
choose_kvm() {
	case ${ENTRYBOX_KVM:-auto} in
	host) kvm=host why="ENTRYBOX_KVM=host" ;;
	box) kvm=box why="ENTRYBOX_KVM=box" ;;
	auto)
		if host_kvm_usable; then
			kvm=host why="/dev/kvm is usable"
		else
			kvm=box why="no usable /dev/kvm on this machine"
		fi
		;;
	*)
		echo "$1: ENTRYBOX_KVM must be auto, host or box, not '$ENTRYBOX_KVM'" >&2
		exit 2
		;;
	esac
}
