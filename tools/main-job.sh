#!/usr/bin/env bash
# The main job: install what is missing, build, then run the matrix -- every
# entry model x pti x pcid x vcpus x scenario under entrybox's own VMM, in
# parallel -- and print its table.  Results (results.json, results.csv, each
# run's JSON and log, PNG/SVG plots) land in build/matrix-out/.  Exits 1 if any
# run did not end as expected, 3 if the machine lacks /dev/kvm.
# Extra arguments go to `entrybox matrix` (e.g. --engine kvm,qemu-tcg, --jobs 4).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
if [ -f build/build.ninja ]; then meson setup --reconfigure build; else meson setup build; fi
ninja -C build

exec ./build/tools/entrybox matrix --out build/matrix-out "$@"
