#!/usr/bin/env bash
# bench/levers.sh - what each optimisation bought: the per-packet bench of
# several commits, built and run back to back in one go on this machine.
#
#   sudo bench/levers.sh [RUNS] [FLOWS]      (defaults 5 and 1000000)
#
# Each LEVERS entry is "commit label": the commit is checked out into a
# temporary worktree, its own bench (bench/bench.c + bench/bench.bpf.c, which
# include that commit's data plane) is built and run, and the medians are
# collected.  Printed per row: the median and the data plane's own cost, the
# median minus that commit's "floor + save/restore" row, so a change to the
# bench's save/restore does not count as a data-plane gain.
set -euo pipefail

RUNS=${1:-5}
FLOWS=${2:-1000000}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LEVERS=(
	"f58b64b baseline"
	"82d7e75 one-flow-insert"
	"ea1964b direct-access"
	"9ec06e7 vip-filter+flow-first"
	"bc67c17 before-half-open"
	"f33a67a half-open+tc-in-place"
	"1317aee one-lock+hash3"
)

if ((EUID != 0)); then
	echo "levers.sh: must run as root (BPF_PROG_TEST_RUN)" >&2
	exit 1
fi
TMP=$(mktemp -d /tmp/bgx-levers.XXXXXX)
cleanup() {
	local d
	for d in "$TMP"/wt-*; do
		[[ -d $d ]] && git -C "$REPO" worktree remove --force "$d" >/dev/null 2>&1
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

labels=()
for entry in "${LEVERS[@]}"; do
	read -r commit label <<<"$entry"
	wt=$TMP/wt-$label
	git -C "$REPO" worktree add --detach "$wt" "$commit" >/dev/null 2>&1
	make -s -C "$wt" BUILD="$TMP/build-$label" "$TMP/build-$label/bench" >"$TMP/make-$label.log" 2>&1 ||
		{ echo "levers.sh: building $commit failed, see below" >&2; cat "$TMP/make-$label.log" >&2; exit 1; }
	echo "# $label ($(git -C "$REPO" rev-parse --short "$commit")): running" >&2
	"$TMP/build-$label/bench" -r "$RUNS" -f "$FLOWS" -o "$TMP/$label.csv" >/dev/null
	labels+=("$label")
done

python3 - "$TMP" "${labels[@]}" <<'PY'
import csv, sys
tmp, labels = sys.argv[1], sys.argv[2:]
tables = {}
for label in labels:
    with open(f"{tmp}/{label}.csv") as f:
        tables[label] = {r["row"]: float(r["median_ns"]) for r in csv.DictReader(f)}
rows = []
for l in labels:            # every row of any build, in order of appearance
    rows += [r for r in tables[l] if r not in rows]
print("# per-packet medians in ns (BPF_PROG_TEST_RUN, repeat 1e6), and in [ ] the data plane's")
print("# own cost: median minus that build's 'floor + save/restore' row")
print("%-44s" % "row" + "".join("%24s" % l for l in labels))
for row in rows:
    cells = []
    for l in labels:
        t = tables[l]
        if row not in t:
            cells.append("%24s" % "-")
            continue
        own = t[row] - t.get("floor + save/restore", 0)
        cells.append("%24s" % ("%.0f [%.0f]" % (t[row], own) if "floor" not in row else "%.0f" % t[row]))
    print("%-44s" % row + "".join(cells))
PY
