#!/usr/bin/env bash
# Runs inside an SVM box (tools/svm-box.sh) for `entrybox matrix --engine svm-box`.
# QUEUE/todo holds one file per run: its time limit in seconds, its log path,
# then its command line, one argument a line.  Several boxes share the queue:
# a box takes a run by renaming its file into QUEUE/claimed (a rename is atomic
# on the shared folder, so each run is taken once), runs it, and leaves
# "STATUS SECONDS" in QUEUE/done/<run> (written aside, then renamed, so the
# matrix outside never reads half a line).  The box ends when the queue is empty.
set -uo pipefail

queue=$1
worker=$2

now() { date +%s.%N; }

run_one() {
	local name=$1 file=$queue/claimed/$1 limit log
	local -a argv=()
	{
		IFS= read -r limit
		IFS= read -r log
		while IFS= read -r arg; do argv+=("$arg"); done
	} <"$file"
	local start end rc
	start=$(now)
	timeout --signal=KILL "$limit" "${argv[@]}" >"$log" 2>&1 </dev/null
	rc=$?
	end=$(now)
	printf '%s %s %s\n' "$rc" "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')" "$worker" \
		>"$queue/done/.$name"
	mv "$queue/done/.$name" "$queue/done/$name"
}

for todo in "$queue"/todo/*; do
	[ -e "$todo" ] || break
	name=${todo##*/}
	mv "$todo" "$queue/claimed/$name" 2>/dev/null || continue
	run_one "$name"
done
exit 0
