#!/usr/bin/env bash
# The main job: install what is missing, build, then run the matrix -- every
# entry model x pti x pcid x vcpus x scenario under entrybox's own VMM, in
# parallel -- and print its table.  Results (results.json, results.csv, each
# run's JSON and log, PNG/SVG plots) land in build/matrix-out/.  Exits 1 if any
# run did not end as expected.
# The matrix runs on this machine's /dev/kvm where it is usable, otherwise in
# the svm-box (tools/svm-box.sh: a real KVM, nested SVM under QEMU TCG); the
# first line says which (ENTRYBOX_KVM=host|box forces it).
# Extra arguments go to `entrybox matrix` (e.g. --engine kvm,qemu-tcg, --jobs 4).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/svm-box/choose-kvm.sh

choose_kvm main-job.sh
if [ "$kvm" = host ]; then
	echo "main-job.sh: the matrix runs on the host's /dev/kvm ($why)"
else
	echo "main-job.sh: the matrix runs in the svm-box, nested SVM under QEMU TCG ($why)"
fi

tools/setup.sh
if [ -f build/build.ninja ]; then meson setup --reconfigure build; else meson setup build; fi
ninja -C build

if [ "$kvm" = host ]; then
	exec ./build/tools/entrybox matrix --out build/matrix-out "$@"
fi
# The cells run under entrybox's VMM in SVM boxes (one vCPU each) that share
# one queue, one box per core (--box-jobs, default --jobs).
exec ./build/tools/entrybox matrix --engine svm-box --out build/matrix-out "$@"
