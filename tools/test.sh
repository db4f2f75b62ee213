#!/usr/bin/env bash
# The whole test suite, for a normal build in build/ and an ASan+UBSan build of
# the host code in build-asan/.  Tests that need /dev/kvm are in the meson suite
# "kvm"; they run on this machine's /dev/kvm where it is usable and in the
# svm-box (tools/svm-box.sh: a real KVM, nested SVM under QEMU TCG) otherwise,
# two boxes side by side, one per build.  Where the host has a usable
# /dev/kvm, the kvm suite of build/ runs in the box as well, so the svm backend
# is exercised everywhere.  Everything else runs on the host.
#
# ENTRYBOX_KVM=host|box forces the choice (default: auto).  Prints meson's
# summary and every Check suite's closing line for each run and exits non-zero
# if a build or a test failed, or if a test of the kvm suite was skipped or the
# suite has no test: the suite is never green without having run KVM.
set -euo pipefail
cd "$(dirname "$0")/.."

. tools/svm-box/choose-kvm.sh

decide_kvm() {
	choose_kvm test.sh
	if [ "$kvm" = host ]; then
		echo "test.sh: KVM tests on the host's /dev/kvm ($why); the kvm suite of build/ also in the svm-box (nested SVM)"
	else
		echo "test.sh: KVM tests in the svm-box, nested SVM under QEMU TCG ($why); the other suites on the host"
	fi
}

configure() {
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@"
	else
		meson setup "$dir" "$@"
	fi
}

# Called as `build ... || status=1`, where bash ignores set -e: every step
# checks its own status.
build() {
	local dir=$1
	shift
	echo "=== $dir: configure and build"
	configure "$dir" "$@" || return 1
	ninja -C "$dir" || return 1
}

# Check prints one "NN%: Checks: ..." line per suite into the test log; show
# them with the test's name, since meson only shows its own summary.
check_summaries() {
	[ -f "$1" ] || return 0
	awk '/^test:/ { sub(/^test: */, ""); sub(/^.* \/ /, ""); name = $0 }
	     /^[0-9]+%: Checks:/ { printf "  %-24s %s\n", name, $0 }' "$1"
}

# kvm_suite_ran DIR JSONLOG WHAT: fails, with one line, if the run skipped a
# test of the kvm suite or did not run every one of them, or if the suite has
# no test at all.  (meson's JSON log names a test by its first suite only, so
# the kvm suite's members come from `meson test --list --suite kvm`.)
kvm_suite_ran() {
	local dir=$1 log=$2 what=$3 members check
	members=$(meson test -C "$dir" --list --no-rebuild --suite kvm 2>/dev/null) || members=
	IFS= read -r -d '' check <<-'EOF' || true
		import json, sys
		log, what = sys.argv[1], sys.argv[2]
		short = lambda name: name.split(" / ", 1)[-1]
		members = {short(l.strip()) for l in sys.stdin if " / " in l}
		if not members:
		    sys.exit(f"test.sh: {what}: the kvm suite has no test (tests that need /dev/kvm belong to suite 'kvm')")
		try:
		    with open(log) as f:
		        results = {short(t["name"]): t["result"] for t in map(json.loads, filter(str.strip, f))}
		except (OSError, ValueError) as e:
		    sys.exit(f"test.sh: {what}: no readable test log ({e})")
		skipped = sorted(n for n in members if results.get(n) == "SKIP")
		missing = sorted(n for n in members if n not in results)
		if skipped:
		    sys.exit(f"test.sh: {what}: {len(skipped)} test(s) of the kvm suite skipped: {' '.join(skipped)}")
		if missing:
		    sys.exit(f"test.sh: {what}: {len(missing)} test(s) of the kvm suite did not run: {' '.join(missing)}")
		print(f"test.sh: {what}: all {len(members)} tests of the kvm suite ran, none skipped")
	EOF
	printf '%s\n' "$members" | python3 -c "$check" "$log" "$what"
}

# run_tests WHERE DIR LOGBASE KVM MESON-TEST-ARGS...: one meson test run,
# on the host or in a box, then its Check lines; KVM=yes when the run
# includes the kvm suite (it must then have run it all).
run_tests() {
	local where=$1 dir=$2 logbase=$3 with_kvm=$4
	shift 4
	local what="$dir ($where${*:+: $*})" rc=0 t0=$SECONDS
	local cmd=(meson test -C "$dir" --no-rebuild --print-errorlogs --logbase "$logbase" "$@")
	echo "=== $what: tests"
	rm -f "$dir/meson-logs/$logbase.json" "$dir/meson-logs/$logbase.txt"
	if [ "$where" = box ]; then
		# A box run of the kvm suite takes 4 to 13 minutes; a hung inner kernel
		# (its timers stop, so no timeout inside fires) is dumped after this.
		ENTRYBOX_BOX_TIMEOUT=${ENTRYBOX_BOX_TIMEOUT:-1500} tools/svm-box.sh "${cmd[@]}" || rc=$?
		# Status 125: the box's own kernel stopped for good (nested TCG loses
		# an interrupt it waits for), not a test's verdict.  The whole run
		# goes again in a new box, ENTRYBOX_BOX_STALL_RETRIES times at most
		# (meson's logs of a stalled run are cut short: nothing of it counts).
		local retries=${ENTRYBOX_BOX_STALL_RETRIES:-2}
		while [ $rc -eq 125 ] && [ "$retries" -gt 0 ]; do
			retries=$((retries - 1))
			echo "test.sh: $what: the svm-box stalled (its kernel stopped running); running it again in a new box"
			rc=0
			rm -f "$dir/meson-logs/$logbase.json" "$dir/meson-logs/$logbase.txt"
			ENTRYBOX_BOX_TIMEOUT=${ENTRYBOX_BOX_TIMEOUT:-1500} tools/svm-box.sh "${cmd[@]}" || rc=$?
		done
	else
		"${cmd[@]}" || rc=$?
	fi
	echo "=== $what: Check suites"
	check_summaries "$dir/meson-logs/$logbase.txt"
	if [ "$with_kvm" = yes ]; then
		kvm_suite_ran "$dir" "$dir/meson-logs/$logbase.json" "$what" || [ $rc -ne 0 ] || rc=1
	fi
	if [ $rc -eq 0 ]; then
		echo "=== $what: passed in $((SECONDS - t0)) s"
	else
		echo "=== $what: FAILED (exit $rc) in $((SECONDS - t0)) s"
	fi
	return $rc
}

# Runs side by side (at most two: one per core), each streamed with its
# build folder in front of its lines; fails if any fails.
side_by_side() {
	local spec pids=() pid rc=0
	for spec in "$@"; do
		run_labelled "$spec" &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || rc=1
	done
	return $rc
}

# run_labelled "WHERE DIR LOGBASE KVM ARGS...": run_tests with "[DIR] " before each line.
run_labelled() {
	local words
	read -ra words <<<"$1"
	local rc=0
	run_tests "${words[@]}" > >(sed -u "s|^|[${words[1]}] |") 2>&1 || rc=$?
	return $rc
}

# meson's own summary (the counts at the end of a test log).
summary() {
	[ -f "$1" ] || return 0
	sed -n '/^Ok: /,$p' "$1"
}

main() {
	decide_kvm
	tools/setup.sh
	local status=0
	local -A built=()
	build build && built[build]=1 || status=1
	build build-asan -Dsanitize=true && built[build-asan]=1 || status=1

	if [ "$kvm" = host ]; then
		if [ -n "${built[build]:-}" ]; then
			run_tests host build testlog yes || status=1
		fi
		if [ -n "${built[build-asan]:-}" ]; then
			# The box's own tests do not depend on the build's flavour.
			run_tests host build-asan testlog yes --no-suite box || status=1
		fi
		if [ -n "${built[build]:-}" ]; then
			run_tests box build testlog-svm-box yes --suite kvm || status=1
		fi
	else
		local boxes=() dir
		if [ -n "${built[build]:-}" ]; then
			run_tests host build testlog no --no-suite kvm || status=1
			boxes+=("box build testlog-svm-box yes --suite kvm")
		fi
		if [ -n "${built[build-asan]:-}" ]; then
			run_tests host build-asan testlog no --no-suite kvm --no-suite box || status=1
			boxes+=("box build-asan testlog-svm-box yes --suite kvm")
		fi
		side_by_side "${boxes[@]}" || status=1
		# Each box's summary again, now that the interleaved output has ended.
		for dir in "${!built[@]}"; do
			echo "=== $dir (box: --suite kvm): summary"
			summary "$dir/meson-logs/testlog-svm-box.txt"
		done
	fi
	if [ $status -eq 0 ]; then
		echo "=== all tests passed (build, build-asan; KVM tests: $kvm)"
	else
		echo "=== TESTS FAILED (see above)"
	fi
	exit $status
}

main "$@"
