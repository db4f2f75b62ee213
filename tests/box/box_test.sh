#!/usr/bin/env bash
# Tests of tools/svm-box.sh, one case per meson test: box_test.sh CASE.
# Each case but "unprepared" boots a box (about 7 s).  A box that cannot run
# here (cache not prepared, no SVM) fails the case: it is never skipped.
# Env (from tests/box/meson.build): SVM_BOX (the script), BOX_TEST_DIR (a folder
# outside /tmp for scratch files), ENTRYBOX_BIN.
set -euo pipefail

: "${SVM_BOX:?}" "${BOX_TEST_DIR:?}"
case_name=${1:?usage: box_test.sh CASE}
scratch= box_tmp=

fail() {
	echo "FAIL box-$case_name: $*" >&2
	exit 1
}
cleanup() {
	[ -z "$scratch" ] || rm -rf "$scratch"
	[ -z "$box_tmp" ] || rm -rf "$box_tmp"
}
trap cleanup EXIT

# A scratch folder as the current directory (shared as the box's working
# directory), and a private control-folder parent under /tmp, so that the
# case can check the box left nothing behind.
enter_scratch() {
	mkdir -p "$BOX_TEST_DIR"
	scratch=$(mktemp -d "$BOX_TEST_DIR/scratch-$case_name.XXXXXX")
	box_tmp=$(mktemp -d /tmp/box-test-$case_name.XXXXXX)
	export ENTRYBOX_BOX_TMP=$box_tmp
	cd "$scratch"
}

# box OUT ERR CMD...: runs the box; its stdout and stderr in files; sets rc.
box() {
	local out=$1 err=$2
	shift 2
	rc=0
	"$SVM_BOX" "$@" >"$out" 2>"$err" || rc=$?
}

expect_eq() { [ "$2" = "$3" ] || fail "$1: expected '$3', got '$2'"; }

# The box's control folder is gone, and no process still names it.
expect_no_leftovers() {
	[ -z "$(ls -A "$box_tmp")" ] || fail "control folder left behind: $(ls -A "$box_tmp")"
	if pgrep -f "$box_tmp/" >/dev/null; then
		fail "a process still names $box_tmp: $(pgrep -af "$box_tmp/")"
	fi
}

# One line on stderr and exit 3, the line matching the pattern.
expect_one_line_failure() {
	local err=$1 pattern=$2
	expect_eq "exit status" "$rc" 3
	expect_eq "stderr lines" "$(wc -l <"$err")" 1
	grep -qE "$pattern" "$err" || fail "stderr '$(cat "$err")' does not match '$pattern'"
}

case_status() {
	enter_scratch
	box out err true
	expect_eq "status of true" "$rc" 0
	expect_eq "output of true" "$(cat out err)" ""
	box out err sh -c 'echo to-stdout; echo to-stderr >&2; exit 7'
	expect_eq "status of exit 7" "$rc" 7
	expect_eq "stdout" "$(cat out)" to-stdout
	expect_eq "stderr" "$(cat err)" to-stderr
	expect_no_leftovers
}

case_args() {
	enter_scratch
	box out err printf '%s|' 'a b' "c'd" '$HOME' '' '*' $'new\nline'
	expect_eq status "$rc" 0
	expect_eq "arguments" "$(cat out)" "a b|c'd|\$HOME||*|new
line|"
	box out err no-such-command-anywhere
	expect_eq "status of a missing command" "$rc" 127
}

case_files() {
	enter_scratch
	local shared
	shared=$(mktemp -d /tmp/box-test-files.XXXXXX)
	echo "from the host $$" >"$scratch/in.txt"
	echo "tmp from the host $$" >"$shared/in.txt"
	cat >inner.sh <<EOF
set -e
[ "\$(pwd)" = "$scratch" ] || { echo "cwd \$(pwd)"; exit 11; }
cat in.txt "$shared/in.txt"
echo "from the box" >out.txt
echo "tmp from the box" >"$shared/out.txt"
mkdir -p "sub dir" && echo spaced >"sub dir/f"
# writes outside the shares land in the box's private layer or tmpfs
for d in /usr /var/cache/libvirt /run /var/tmp /var/log /root /dev/shm; do
	echo private >"\$d/.svm-box-test" || exit 13
done
# unix sockets work there (not on the 9p shares)
python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("/run/.svm-box-sock")' || exit 15
[ -c /dev/kvm ] || exit 14
EOF
	box out err bash inner.sh
	[ "$rc" = 0 ] || { cat out err >&2; fail "inner script exit $rc"; }
	expect_eq "files read in the box" "$(cat out)" "from the host $$
tmp from the host $$"
	expect_eq "cwd file written in the box" "$(cat out.txt)" "from the box"
	expect_eq "/tmp file written in the box" "$(cat "$shared/out.txt")" "tmp from the box"
	expect_eq "file in a folder with a space" "$(cat "sub dir/f")" spaced
	local d
	for d in /usr /var/cache/libvirt /run /var/tmp /var/log /root /dev/shm; do
		[ ! -e "$d/.svm-box-test" ] || fail "$d/.svm-box-test written in the box reached the host"
	done
	rm -rf "$shared"
	expect_no_leftovers
}

case_env() {
	enter_scratch
	local tricky=$'va lue "q" \'s\' $x `y` \\ \n2nd line'
	ENTRYBOX_TEST_VAR=$tricky CK_FORK=no MESON_TEST_ITERATION=3 ASAN_OPTIONS=detect_leaks=0 \
		BOX_TEST_PRIVATE=secret \
		box out err sh -c 'printf "%s\n" "$ENTRYBOX_TEST_VAR" >var.txt; echo "$CK_FORK $MESON_TEST_ITERATION $ASAN_OPTIONS ${BOX_TEST_PRIVATE-unset} $ENTRYBOX_IN_BOX"; echo "$PATH"; pwd'
	expect_eq status "$rc" 0
	expect_eq "tricky value" "$(cat var.txt)" "$tricky"
	expect_eq "environment" "$(cat out)" "no 3 detect_leaks=0 unset 1
$PATH
$scratch"
	ENTRYBOX_BOX_ENV=BOX_TEST_PRIVATE BOX_TEST_PRIVATE=asked box out err sh -c 'echo "$BOX_TEST_PRIVATE"'
	expect_eq "a variable named in ENTRYBOX_BOX_ENV" "$(cat out)" asked
}

case_kvm() {
	: "${ENTRYBOX_BIN:?}"
	enter_scratch
	box out err "$ENTRYBOX_BIN" run --scenario syscall-loop --json -
	[ "$rc" = 0 ] || { cat err >&2; fail "entrybox run in the box: exit $rc"; }
	local facts
	facts=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
m = d.get("measure") or {}
print(d["backend"], d["outcome"], m.get("round_trips_stepped", 0))' out) || fail "no JSON from entrybox: $(head -c 300 out)"
	read -r backend outcome stepped <<<"$facts"
	expect_eq backend "$backend" svm
	expect_eq outcome "$outcome" pass
	# Stepped round trips need the VMM's hardware breakpoints, which fire only
	# with the DR7 fix in the box's QEMU.
	[ "$stepped" -gt 0 ] || fail "no round trip stepped: hardware breakpoints do not fire in the box"
	expect_no_leftovers
}

case_no_svm() {
	enter_scratch
	ENTRYBOX_BOX_CPU=EPYC,-svm box out err true
	expect_one_line_failure err "^svm-box: the CPU model 'EPYC,-svm' has no SVM"
	expect_no_leftovers
}

case_unprepared() {
	enter_scratch
	local empty
	empty=$(mktemp -d /tmp/box-test-cache.XXXXXX)
	ENTRYBOX_CACHE=$empty box out err true
	rm -rf "$empty"
	expect_one_line_failure err "^svm-box: the box cache .* is not prepared .*run tools/setup.sh"
}

case_timeout() {
	enter_scratch
	ENTRYBOX_BOX_TIMEOUT=5 box out err sh -c 'echo started; sleep 1000'
	expect_eq "status" "$rc" 124
	expect_eq "stdout" "$(cat out)" started
	grep -q 'sysrq: Show State' err || fail "no task dump before the time-limit line"
	tail -n1 err | grep -q "^svm-box: 'sh -c echo started; sleep 1000' did not end within 5 s" ||
		fail "last line: $(tail -n1 err)"
	expect_no_leftovers
}

# The inner kernel's own watchdog is gone (as if the kernel hung): the host's
# limit asks QEMU for the registers and ends the box.
case_timeout_dead() {
	enter_scratch
	ENTRYBOX_BOX_TIMEOUT=5 ENTRYBOX_BOX_GRACE=5 box out err sh -c '
		for p in $(pidof sleep); do kill -9 "$(ps -o ppid= -p "$p")" "$p"; done
		sleep 1000'
	expect_eq "status" "$rc" 124
	grep -q '^RIP=' err || fail "no registers from QEMU's monitor: $(cat err)"
	tail -n1 err | grep -q "did not end within 5 s .*no longer answers" || fail "last line: $(tail -n1 err)"
	expect_no_leftovers
}

# An inner kernel that idles is alive; one whose heartbeat stops (here the
# command silences it, as a kernel that no longer takes its timer interrupts
# would) ends as stalled long before the box's limit.
case_stall() {
	enter_scratch
	ENTRYBOX_BOX_TIMEOUT=600 ENTRYBOX_BOX_STALL_SECONDS=20 box out err sh -c 'sleep 45; echo idled'
	expect_eq "idle status" "$rc" 0
	expect_eq "idle stdout" "$(cat out)" idled
	ENTRYBOX_BOX_TIMEOUT=600 ENTRYBOX_BOX_STALL_SECONDS=20 box out err \
		sh -c 'echo started; kill -STOP "$(cat /run/svm-box-heartbeat.pid)"; sleep 1000'
	expect_eq "status" "$rc" 125
	expect_eq "stdout" "$(cat out)" started
	grep -q '^RIP=' err || fail "no registers from QEMU's monitor: $(cat err)"
	tail -n1 err | grep -q "stalled: the inner kernel's heartbeat stopped for 20 s" || fail "last line: $(tail -n1 err)"
	expect_no_leftovers
}

"case_${case_name//-/_}"
echo "box-$case_name: ok"
