#!/usr/bin/env bash
# The main job: install what is missing, build, then run every scenario with
# pti=on and pti=off under entrybox's own VMM, and print one line per run.
# Results (one JSON per run) land in build/main-job/.  Exits 1 if any run did
# not end as expected, 3 if the machine lacks /dev/kvm.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
if [ -f build/build.ninja ]; then meson setup --reconfigure build; else meson setup build; fi
ninja -C build

entrybox=./build/tools/entrybox
out=build/main-job
mkdir -p "$out"

# The scenario names, as `entrybox list` prints them (second section).
mapfile -t scenarios < <("$entrybox" list | awk '/^scenarios/ { on = 1; next } /^[^ ]/ { on = 0 } on { print $1 }')

status=0
printf "%-20s %-4s %-8s %s\n" scenario pti status outcome
for scenario in "${scenarios[@]}"; do
	for pti in on off; do
		json="$out/$scenario-pti-$pti.json"
		rc=0
		"$entrybox" run --scenario "$scenario" --pti "$pti" --quiet --json "$json" || rc=$?
		if [ $rc -eq 3 ]; then
			echo "main-job: this machine cannot run entrybox (status 3)" >&2
			exit 3
		fi
		outcome=$(sed -n 's/^ *"outcome": *"\([^"]*\)".*/\1/p' "$json" 2>/dev/null || true)
		printf "%-20s %-4s %-8s %s\n" "$scenario" "$pti" "$rc" "${outcome:-?}"
		[ $rc -eq 0 ] || status=1
	done
done
echo "main-job: JSON results in $out/"
exit $status
