#!/usr/bin/env bash
# The whole test suite, twice: a normal build in build/ and an ASan+UBSan build
# of the host code in build-asan/.  Prints meson's summary and every Check
# suite's closing line for both; exits non-zero if either build or suite fails.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh

configure() {
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@"
	else
		meson setup "$dir" "$@"
	fi
}

# Check prints one "NN%: Checks: ..." line per suite into the test log; show
# them with the test's name, since meson only shows its own summary.
check_summaries() {
	[ -f "$1/meson-logs/testlog.txt" ] || return 0
	awk '/^test:/ { sub(/^test: */, ""); sub(/^.* \/ /, ""); name = $0 }
	     /^[0-9]+%: Checks:/ { printf "  %-24s %s\n", name, $0 }' \
		"$1/meson-logs/testlog.txt"
}

# Called as `run_suite ... || status=1`, where bash ignores set -e: every
# step checks its own status.
run_suite() {
	local dir=$1
	shift
	echo "=== $dir: configure and build"
	configure "$dir" "$@" || return 1
	ninja -C "$dir" || return 1
	echo "=== $dir: tests"
	local rc=0
	meson test -C "$dir" --print-errorlogs || rc=$?
	echo "=== $dir: Check suites"
	check_summaries "$dir"
	return $rc
}

status=0
run_suite build || status=1
run_suite build-asan -Dsanitize=true || status=1
if [ $status -eq 0 ]; then
	echo "=== all tests passed (build, build-asan)"
else
	echo "=== TESTS FAILED (see above)"
fi
exit $status
