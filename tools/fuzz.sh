#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz/, one after another on one core.
#
#   tools/fuzz.sh [--seconds N] [--no-save] [--keep DIR] [TARGET...]
#
# Each target is built with clang (-fsanitize=fuzzer,address,undefined; the
# normal build uses gcc and replays the corpora as plain tests) and run for N
# seconds (default 60) from its corpus, tests/fuzz/corpus/TARGET/.  Without
# --no-save, what a run found stays in the tree: inputs that reach new
# coverage are merged into the corpus, and a crash, leak, timeout or
# out-of-memory input is written there as regress-<kind>-<sha1>, so the
# suite's corpus replay fails on it until the bug is fixed.  --no-save (the
# suite's fuzz-bounded test) works on copies and changes nothing; a crash
# input then stays in the work folder, whose path is printed.
#
# One line per target: executions, coverage (edges) and features at the end,
# corpus size before and after, and what it found.  Exit status 0 when no
# target crashed, 1 when one did or did not build, 77 (SKIP) without clang
# or its libFuzzer runtime.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
all_targets=(events layout loader console result inject_spec xen_hv gdb_packet)
seconds=60
save=1
keep=""
targets=()

usage() {
	sed -n '3,4p' "$0" | sed 's/^# \{0,3\}//' >&2
	echo "targets: ${all_targets[*]}" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) [ $# -ge 2 ] || usage; seconds=$2; shift 2 ;;
	--no-save) save=0; shift ;;
	--keep) [ $# -ge 2 ] || usage; keep=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) echo "fuzz.sh: unknown option '$1'" >&2; usage ;;
	*) targets+=("$1"); shift ;;
	esac
done
case "$seconds" in ''|*[!0-9]*) echo "fuzz.sh: --seconds takes a whole number, not '$seconds'" >&2; exit 2 ;; esac
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
	case " ${all_targets[*]} " in *" $t "*) ;; *) echo "fuzz.sh: unknown target '$t' (${all_targets[*]})" >&2; exit 2 ;; esac
done

if [ -n "$keep" ]; then
	work=$keep
	mkdir -p "$work"
else
	work=$(mktemp -d /tmp/entrybox-fuzz-XXXXXX)
fi
failed=0
# shellcheck disable=SC2317  # called by the trap
cleanup() { if [ -z "$keep" ] && [ "$failed" = 0 ]; then rm -rf "$work"; fi; }
trap cleanup EXIT

if ! command -v clang >/dev/null 2>&1; then
	echo "SKIP: clang is not installed (libFuzzer targets need it; Debian: clang)"
	exit 77
fi
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
	>"$work/probe.c"
if ! clang -fsanitize=fuzzer "$work/probe.c" -o "$work/probe" 2>/dev/null; then
	echo "SKIP: clang has no libFuzzer runtime (Debian: libclang-rt-14-dev)"
	exit 77
fi

# What each target is built from: its file in tests/fuzz/ plus these sources.
v=$src/vmm
check="$v/check/layout.c $v/check/ptregs_check.c $v/check/switch_check.c $(echo "$v"/check/rules*.c)"
declare -A sources=(
	[events]="$v/machine/events.c $v/machine/gmem.c $src/pagetables/pagetables.c $check $src/tests/fixtures/layout_fixture.c"
	[layout]="$check"
	[loader]="$v/machine/loader.c $v/machine/gmem.c $src/pagetables/pagetables.c"
	[console]="$v/console/console.c"
	[result]="$v/result/result.c $v/result/result_inject.c $v/result/result_coverage.c $v/result/console_verdict.c $v/console/console.c"
	[inject_spec]="$v/inject/inject_spec.c"
	[xen_hv]="$src/tests/fuzz/fake_kvm.c $v/roles/xen_hv.c $v/machine/gmem.c $src/pagetables/pagetables.c $check $src/tests/fixtures/layout_fixture.c"
	[gdb_packet]="$v/gdb/proto.c $v/gdb/regs.c $v/gdb/rsp.c $v/gdb/tdesc.c $src/tests/fixtures/gdb_fake_target.c"
)
declare -A libs=([loader]="$(pkg-config --libs libelf)" [result]="$(pkg-config --libs json-c)")
incs=(-I"$src/tests" -I"$src/guest/include" -I"$src/pagetables")
read -r -a jsonc_flags <<<"$(pkg-config --cflags json-c)"
incs+=("${jsonc_flags[@]}")
for d in "$v"/*/include; do incs+=(-I"$d"); done
sanitizers=fuzzer,address,undefined
flags=(-std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize="$sanitizers" -fno-sanitize-recover=undefined)

# "#123 DONE cov: 45 ft: 67 corp: ..." -> "45 67"
coverage() { grep -E '^#[0-9]+.*cov: ' "$1" | tail -1 | sed -E 's/.*cov: ([0-9]+) ft: ([0-9]+).*/\1 \2/'; }
stat_of() { grep -o "stat::$2: *[0-9]*" "$1" | grep -o '[0-9]*$' || echo "?"; }

fuzz_one() {
	local t=$1
	local dir="$work/$t" corpus="$src/tests/fuzz/corpus/$t"
	mkdir -p "$dir/corpus" "$dir/artifacts"
	# shellcheck disable=SC2086
	if ! clang "${flags[@]}" "${incs[@]}" "$src/tests/fuzz/fuzz_$t.c" ${sources[$t]} ${libs[$t]:-} \
		-o "$dir/fuzz_$t" 2>"$dir/build.log"; then
		echo "fuzz_$t: build failed"
		cat "$dir/build.log"
		return 1
	fi
	local before
	before=$(find "$corpus" -type f | wc -l)
	cp "$corpus"/* "$dir/corpus/"
	local rc=0 started
	started=$(date +%s)
	"$dir/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$dir/run.log" 2>&1 || rc=$?
	local took=$(($(date +%s) - started))
	local execs cov after found="no crash"
	execs=$(stat_of "$dir/run.log" number_of_executed_units)
	cov=$(coverage "$dir/run.log")
	if [ "$save" = 1 ]; then
		"$dir/fuzz_$t" -merge=1 "$corpus" "$dir/corpus" >"$dir/merge.log" 2>&1 || true
	fi
	after=$(find "$([ "$save" = 1 ] && echo "$corpus" || echo "$dir/corpus")" -type f | wc -l)
	local artifacts
	artifacts=$(find "$dir/artifacts" -type f | sort)
	if [ "$rc" != 0 ] || [ -n "$artifacts" ]; then
		found="FOUND: $(grep -m1 -E 'ERROR: |invariant broken|SUMMARY: ' "$dir/run.log" || echo "exit status $rc")"
		for a in $artifacts; do
			local kind name
			kind=$(basename "$a" | cut -d- -f1)
			name="regress-$kind-$(sha1sum "$a" | cut -c1-16)"
			if [ "$save" = 1 ]; then
				cp "$a" "$corpus/$name"
				found="$found; input saved as tests/fuzz/corpus/$t/$name"
			else
				found="$found; input $a"
			fi
		done
	fi
	echo "fuzz_$t: ${took} s, $execs executions, cov ${cov:-? ?} (edges features), corpus $before -> $after, $found"
	[ "$rc" = 0 ] && [ -z "$artifacts" ]
}

for t in "${targets[@]}"; do
	fuzz_one "$t" || failed=1
done
if [ "$failed" != 0 ]; then
	echo "fuzz.sh: logs and inputs in $work"
	exit 1
fi
exit 0
