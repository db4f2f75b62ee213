#!/usr/bin/env bash
# tools/svm-box.sh CMD [ARGS...]: runs CMD inside a VM that has a real KVM.
#
# QEMU's TCG runs an AMD CPU model with SVM (one vCPU) and Debian's kernel,
# which loads kvm_amd: /dev/kvm inside is a real SVM backend, on any machine,
# with or without a /dev/kvm of its own.  The VM sees this machine's files at
# the same paths: / read-only over virtio-9p under a private writable layer
# (writes there stay in the box), the current directory and /tmp writable and
# shared, and fresh tmpfs where programs keep state (/run, /var/tmp, /var/log,
# /var/lib/libvirt, /var/cache/libvirt, /root, /dev/shm).
# CMD runs in the same directory with the environment that matters, as root;
# its stdout and stderr stream back live (stdin is /dev/null), and the script
# exits with CMD's status.
#
# Its own failures are one line on stderr and exit 3 (cache not prepared, no
# SVM in the CPU model, a module that does not load, no /dev/kvm inside, QEMU
# cannot start); a CMD that outlives the time limit is dumped (the inner
# kernel's tasks and locks, or QEMU's view of the registers when the inner
# kernel no longer answers) and ends the box with status 124.  A box whose
# inner kernel stops its heartbeat (under nested TCG an interrupt it waits
# for can fail to arrive: it halts for good, or spins in guest mode for good)
# is dumped the same way after ENTRYBOX_BOX_STALL_SECONDS of silence and ends
# with status 125.
#
# Environment:
#   ENTRYBOX_CACHE        the cache tools/setup.sh fills (default /var/cache/entrybox)
#   ENTRYBOX_BOX_CPU      QEMU -cpu model (default EPYC,+svm)
#   ENTRYBOX_BOX_MEM      memory in MiB (default 3072: enough for the ASan build's tests)
#   ENTRYBOX_BOX_TIMEOUT  seconds CMD may run (default 3000; 0: no limit)
#   ENTRYBOX_BOX_STALL_SECONDS  seconds without the inner kernel's heartbeat that end the box as stalled (default 180; 0: never)
#   ENTRYBOX_BOX_QEMU     another qemu-system-x86_64 (default: the cache's patched build)
#   ENTRYBOX_BOX_TMP      where the per-box control folder goes; under /tmp (default /tmp)
#   ENTRYBOX_BOX_ENV      more variable names to pass into the box (space separated)
#   ENTRYBOX_BOX_VERBOSE  1: show the inner kernel's console and the box's timings
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${ENTRYBOX_CACHE:-/var/cache/entrybox}
CPU=${ENTRYBOX_BOX_CPU:-EPYC,+svm}
MEM=${ENTRYBOX_BOX_MEM:-3072}
LIMIT=${ENTRYBOX_BOX_TIMEOUT:-3000}
QEMU=${ENTRYBOX_BOX_QEMU:-$CACHE/qemu/bin/qemu-system-x86_64}
TMPBASE=${ENTRYBOX_BOX_TMP:-/tmp}
VERBOSE=${ENTRYBOX_BOX_VERBOSE:-0}
# Past the limit, the host waits this long for the inner dump and power-off
# before it asks QEMU for the registers and kills it.
GRACE=${ENTRYBOX_BOX_GRACE:-60}
STALL=${ENTRYBOX_BOX_STALL_SECONDS:-180}
# Variables passed into the box, by name and by prefix.
PASS_NAMES=(PATH HOME TERM LANG LANGUAGE TZ USER LOGNAME CI TMPDIR NO_COLOR
	ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS MSAN_OPTIONS)
PASS_PREFIXES=(ENTRYBOX_ CK_ MESON_ LC_)

ctl= qpid= tpid= tail_pid=
readers=()

die() {
	echo "svm-box: $*" >&2
	exit 3
}
usage() {
	echo "usage: tools/svm-box.sh CMD [ARGS...]   (see the comment at its top for the environment)" >&2
	exit 2
}
verbose() { [ "$VERBOSE" = 1 ]; }

check_config() {
	[[ $MEM =~ ^[0-9]+$ ]] || { echo "svm-box: ENTRYBOX_BOX_MEM must be MiB, not '$MEM'" >&2; exit 2; }
	[[ $LIMIT =~ ^[0-9]+$ ]] || { echo "svm-box: ENTRYBOX_BOX_TIMEOUT must be seconds, not '$LIMIT'" >&2; exit 2; }
	[[ $STALL =~ ^[0-9]+$ ]] || { echo "svm-box: ENTRYBOX_BOX_STALL_SECONDS must be seconds, not '$STALL'" >&2; exit 2; }
	# The boot files made with this tree's init script (see prepare.sh).
	BOOT=$CACHE/box/init-$(sha256sum <"$HERE/svm-box/init" | cut -d' ' -f1)
	if [ ! -f "$BOOT/vmlinuz" ] || [ ! -f "$BOOT/initramfs.cpio" ] ||
		{ [ -z "${ENTRYBOX_BOX_QEMU:-}" ] && [ ! -x "$QEMU" ]; }; then
		die "the box cache $CACHE is not prepared for this tree: run tools/setup.sh (as root; ENTRYBOX_CACHE names another cache)"
	fi
	[ -x "$QEMU" ] || command -v "$QEMU" >/dev/null || die "ENTRYBOX_BOX_QEMU=$QEMU is not an executable"
	local base
	base=$(realpath -e "$TMPBASE" 2>/dev/null) || die "ENTRYBOX_BOX_TMP=$TMPBASE does not exist"
	case $base/ in
	/tmp/*) ;;
	*) die "ENTRYBOX_BOX_TMP=$TMPBASE is not under /tmp, so the box could not see it" ;;
	esac
}

# QEMU option values double their commas.
qarg() { printf '%s' "${1//,/,,}"; }

# --- the command script the box runs ------------------------------------------

pass_var() {
	local v=$1 n p
	for n in "${PASS_NAMES[@]}" ${ENTRYBOX_BOX_ENV:-}; do
		[ "$v" = "$n" ] && return 0
	done
	for p in "${PASS_PREFIXES[@]}"; do
		[[ $v == "$p"* ]] && return 0
	done
	return 1
}

write_run_script() {
	local v
	{
		echo "# written by tools/svm-box.sh; run by the box's init, chrooted into the host root"
		printf ': >%q/running\n' "$ctl"
		printf 'cd -- %q || exit 125\n' "$PWD"
		echo "export HOME=/root"
		for v in $(compgen -e); do
			pass_var "$v" && printf 'export %s=%q\n' "$v" "${!v}"
		done
		echo "export ENTRYBOX_IN_BOX=1"
		printf 'exec --'
		printf ' %q' "$@"
		printf '\n'
	} >"$ctl/run.sh"
	pwd -P >"$ctl/cwd"
}

# --- QEMU ----------------------------------------------------------------------

# idle=poll: the inner kernel never halts.  Under nested TCG its timer
# interrupt can fail to wake a halted CPU (it stays halted with IF=1 for good,
# most often while KVM's vCPUs sleep on their own timers, as timer=on guests
# do); a polling idle loop takes the interrupt whenever it comes.
start_qemu() {
	local cwd loglevel=1 quiet=quiet
	cwd=$(pwd -P)
	[ "$cwd" != / ] || die "run it from a folder other than / (the current directory is shared writable)"
	if verbose; then loglevel=7 quiet=; fi
	local args=(
		-nodefaults -no-user-config -display none -no-reboot
		-machine pc -accel tcg -cpu "$CPU" -smp 1 -m "$MEM"
		-kernel "$BOOT/vmlinuz" -initrd "$BOOT/initramfs.cpio"
		-append "console=ttyS0 panic=-1 idle=poll $quiet loglevel=$loglevel box.ctl=$ctl box.limit=$LIMIT"
		-chardev "file,id=con,path=$(qarg "$ctl/console.log")" -serial chardev:con
		-chardev "file,id=out,path=$(qarg "$ctl/out")" -serial chardev:out
		-chardev "file,id=err,path=$(qarg "$ctl/err")" -serial chardev:err
		-chardev "pipe,id=mon,path=$(qarg "$ctl/mon")" -mon chardev=mon,mode=readline
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
		-virtfs local,path=/tmp,mount_tag=tmp,security_model=none,multidevs=remap
	)
	case $cwd in
	/tmp | /tmp/*) ;;
	*) args+=(-virtfs "local,path=$(qarg "$cwd"),mount_tag=cwd,security_model=none,multidevs=remap") ;;
	esac
	# CMD's output: QEMU writes each serial port into a FIFO that a reader
	# copies to our stdout/stderr as it comes.
	mkfifo "$ctl/out" "$ctl/err" "$ctl/mon.in" "$ctl/mon.out"
	cat "$ctl/out" &
	readers+=($!)
	cat "$ctl/err" >&2 &
	readers+=($!)
	: >"$ctl/console.log"
	T_START=$(date +%s.%N)
	"$QEMU" "${args[@]}" </dev/null >"$ctl/qemu.log" 2>&1 &
	qpid=$!
	if verbose; then
		tail -n +1 -f --pid="$qpid" "$ctl/console.log" | tr -d '\r' >&2 &
		tail_pid=$!
	fi
}

# monitor CMD...: QEMU's answers to human-monitor commands, for a dump.
monitor() {
	timeout 5 cat "$ctl/mon.out" >"$ctl/monitor.txt" &
	local cat_pid=$!
	printf '%s\n' "$@" >"$ctl/mon.in"
	wait "$cat_pid" || true
	# Without the banner and the prompt lines (readline echoes the input).
	tr -d '\r' <"$ctl/monitor.txt" | sed -e 's/\x1b\[[0-9;]*[A-Za-z]//g' -e '/^(qemu)/d' -e '/^QEMU .* monitor/d'
}

stop_qemu() {
	[ -n "$qpid" ] || return 0
	if kill -0 "$qpid" 2>/dev/null; then
		kill -TERM "$qpid" 2>/dev/null || true
		local i
		for i in $(seq 50); do
			kill -0 "$qpid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$qpid" 2>/dev/null || true
	fi
	wait "$qpid" 2>/dev/null || true
	qpid=
}

# The readers end at EOF once no writer is left; opening each FIFO for
# writing and closing it again also ends a reader that QEMU never wrote to.
drain_readers() {
	local f fd
	for f in "$ctl/out" "$ctl/err"; do
		exec {fd}<>"$f"
		exec {fd}>&-
	done
	local p
	for p in "${readers[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	readers=()
}

cleanup() {
	local rc=$?
	stop_qemu
	[ -z "$tpid" ] || kill "$tpid" 2>/dev/null || true
	local p
	for p in "${readers[@]}" $tail_pid; do
		kill "$p" 2>/dev/null || true
	done
	[ -z "$ctl" ] || rm -rf "$ctl"
	exit "$rc"
}

# --- the box's answer -----------------------------------------------------------

# The init's protocol lines ("@svm-box: ..."), CRs dropped.
protocol() { tr -d '\r' <"$ctl/console.log" | sed -n 's/^.*@svm-box: //p'; }

console_tail() { tr -d '\r' <"$ctl/console.log" | { grep -av '@svm-box: ' || true; } | tail -n "$1"; }

timings() {
	verbose || return 0
	local t_end run done
	t_end=$(date +%s.%N)
	run=$(date -r "$ctl/running" +%s.%N 2>/dev/null) || return 0
	done=$(date -r "$ctl/done" +%s.%N 2>/dev/null) || done=$t_end
	awk -v s="$T_START" -v r="$run" -v d="$done" -v e="$t_end" 'BEGIN {
		printf "svm-box: boot %.1f s (QEMU start to command), command %.1f s, power-off %.1f s\n", r - s, d - r, e - d }' >&2
}

# finish QEMU_STATUS: turns what the box said into our exit status.
finish() {
	local qstatus=$1 line kind rest
	shift
	line=$(protocol | grep -E '^(fail|exit|timeout)' | head -n1 || true)
	kind=${line%% *}
	rest=${line#"$kind"}
	rest=${rest# }
	case $kind in
	exit)
		timings
		exit "$rest"
		;;
	timeout)
		tr -d '\r' <"$ctl/console.log" | sed -n '/@svm-box: timeout$/,$p' | { grep -av '@svm-box: ' || true; } >&2
		echo "svm-box: '$CMDLINE' did not end within ${LIMIT} s (ENTRYBOX_BOX_TIMEOUT); the inner kernel's tasks (sysrq t, w, l) are above" >&2
		exit 124
		;;
	fail)
		case $rest in
		nosvm) die "the CPU model '$CPU' has no SVM: no svm flag in the box's /proc/cpuinfo (ENTRYBOX_BOX_CPU)" ;;
		module\ *)
			rest=${rest#module }
			die "kernel module ${rest%% *} did not load in the box: ${rest#* }"
			;;
		nokvm) die "no /dev/kvm in the box after loading kvm_amd (CPU model '$CPU')" ;;
		mount\ *)
			rest=${rest#mount }
			die "the box cannot mount ${rest%%: *}: ${rest#*: }"
			;;
		*) die "the box failed: $rest" ;;
		esac
		;;
	esac
	if [ "$qstatus" -ne 0 ] && ! protocol | grep -q '^running'; then
		# QEMU's error, not the warnings before it (e.g. on CPU features TCG lacks)
		local why
		why=$(grep -av -e '^\s*$' -e 'warning:' "$ctl/qemu.log" | head -n1 || true)
		die "QEMU did not start the box (exit $qstatus): ${why:-$(head -n1 "$ctl/qemu.log")}"
	fi
	console_tail 30 >&2
	die "the box stopped before '$CMDLINE' ended (QEMU exit $qstatus; the inner kernel's last console lines are above)"
}

# The inner kernel did not power off in time: it does not answer any more.
host_timeout() {
	{
		console_tail 40
		echo "--- QEMU monitor: info registers"
		monitor "info registers"
	} >&2
	stop_qemu
	drain_readers
	if [ -e "$ctl/stalled" ]; then
		echo "svm-box: '$CMDLINE' stalled: the inner kernel's heartbeat stopped for ${STALL} s (ENTRYBOX_BOX_STALL_SECONDS), it no longer runs; its console and QEMU's registers are above" >&2
		exit 125
	fi
	echo "svm-box: '$CMDLINE' did not end within ${LIMIT} s (ENTRYBOX_BOX_TIMEOUT) and the inner kernel no longer answers; its console and QEMU's registers are above" >&2
	exit 124
}

# Ends when the limit (plus the grace) has passed, or earlier, leaving
# $ctl/stalled, once the console has not grown for STALL seconds: the inner
# kernel's init says "alive" on it every 10 s (boot included, it says more).
watch_box() {
	local left=$((LIMIT + GRACE)) silent=0 last now
	last=$(stat -c %s "$ctl/console.log" 2>/dev/null) || last=0
	while [ "$left" -gt 0 ]; do
		sleep 10
		left=$((left - 10))
		kill -0 "$qpid" 2>/dev/null || return 0
		now=$(stat -c %s "$ctl/console.log" 2>/dev/null) || now=0
		if [ "$STALL" -gt 0 ] && [ "$now" -eq "$last" ]; then
			silent=$((silent + 10))
			if [ "$silent" -ge "$STALL" ]; then
				: >"$ctl/stalled"
				return 0
			fi
		else
			silent=0
		fi
		last=$now
	done
}

# stopped SIGNAL STATUS: a signal ends the box (cleanup kills QEMU).
stopped() {
	echo "svm-box: stopped by SIG$1 while '$CMDLINE' ran; the box is gone" >&2
	exit "$2"
}

main() {
	[ $# -ge 1 ] || usage
	check_config
	CMDLINE=$*
	trap cleanup EXIT
	trap 'stopped HUP 129' HUP
	trap 'stopped INT 130' INT
	trap 'stopped TERM 143' TERM
	ctl=$(mktemp -d "$(realpath "$TMPBASE")/svm-box.XXXXXX")
	write_run_script "$@"
	start_qemu
	local done_pid= qstatus=0
	if [ "$LIMIT" -gt 0 ]; then
		watch_box &
		tpid=$!
		wait -n -p done_pid "$qpid" "$tpid" || qstatus=$?
		if [ "$done_pid" = "$tpid" ]; then
			tpid=
			host_timeout "$@"
		fi
		kill "$tpid" 2>/dev/null || true
		tpid=
	else
		wait "$qpid" || qstatus=$?
	fi
	qpid=
	drain_readers
	# tail notices QEMU's end within a second; its lines come before ours.
	[ -z "$tail_pid" ] || wait "$tail_pid" || true
	tail_pid=
	finish "$qstatus" "$@"
}

main "$@"
