#!/usr/bin/env bash
# Runs every fuzz target for a bounded time with libFuzzer (clang, ASan+UBSan),
# starting from its corpus under tests/fuzz/corpus/.  The build itself uses
# gcc, so the targets are compiled here with clang; a machine without clang or
# its libFuzzer runtime prints SKIP and exits 77 (meson's skip).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${FUZZ_SECONDS:-15}
work=$(mktemp -d /tmp/entrybox-fuzz-XXXXXX)
trap 'rm -rf "$work"' EXIT

if ! command -v clang >/dev/null 2>&1; then
	echo "SKIP: clang is not installed (libFuzzer targets need it)"
	exit 77
fi
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
	>"$work/probe.c"
if ! clang -fsanitize=fuzzer "$work/probe.c" -o "$work/probe" 2>/dev/null; then
	echo "SKIP: clang has no libFuzzer runtime (Debian: libclang-rt-14-dev)"
	exit 77
fi

flags=(-std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-I"$src/tests" -I"$src/vmm/check/include" -I"$src/vmm/machine/include" -I"$src/vmm/result/include"
	-I"$src/guest/include" -I"$src/pagetables" -I"$src/vmm/gdb/include" $(pkg-config --cflags json-c))
check=("$src"/vmm/check/rules.c "$src"/vmm/check/rules_*.c "$src/vmm/check/layout.c")
declare -A sources=(
	[loader]="$src/vmm/machine/loader.c $src/vmm/machine/gmem.c $src/pagetables/pagetables.c"
	[layout]="${check[*]}"
	[events]="$src/vmm/machine/events.c $src/vmm/check/ptregs_check.c $src/vmm/machine/serial.c $src/vmm/result/result.c $src/vmm/result/result_inject.c ${check[*]} $src/vmm/machine/gmem.c $src/pagetables/pagetables.c"
	[gdb_packet]="$src/vmm/gdb/proto.c $src/vmm/gdb/regs.c $src/vmm/gdb/rsp.c $src/vmm/gdb/tdesc.c $src/tests/fixtures/gdb_fake_target.c"
)
declare -A libs=([loader]="$(pkg-config --libs libelf)" [layout]="" [events]="$(pkg-config --libs json-c)" [gdb_packet]="")

status=0
for target in loader layout events gdb_packet; do
	# shellcheck disable=SC2086
	if ! clang "${flags[@]}" "$src/tests/fuzz/fuzz_$target.c" ${sources[$target]} ${libs[$target]} -o "$work/fuzz_$target" \
		2>"$work/$target.build"; then
		echo "fuzz_$target: build failed"
		cat "$work/$target.build"
		status=1
		continue
	fi
	mkdir -p "$work/corpus-$target"
	cp "$src/tests/fuzz/corpus/$target"/* "$work/corpus-$target/"
	if "$work/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 "$work/corpus-$target" \
		>"$work/$target.log" 2>&1; then
		runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$target.log" | grep -o '[0-9]*$' || echo "?")
		echo "fuzz_$target: ${seconds} s, $runs inputs, no crash"
	else
		echo "fuzz_$target: FAILED"
		tail -40 "$work/$target.log"
		status=1
	fi
done
exit $status
