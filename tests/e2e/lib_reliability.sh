# shellcheck shell=bash
# tests/e2e/lib_reliability.sh - helpers shared by t_upgrade.sh, t_crash.sh
# and t_concurrency.sh (sourced after lib.sh).

# Program ids: what runs on the XDP link of IFACE, in its tc egress filter,
# and what the instance's program pins hold.
# (bpftool's plain output, parsed with sed: no interpreter per call)
link_prog_id() {    # PIN_DIR IFACE
	bpftool link show pinned "$1/link_xdp_$2" 2>/dev/null | sed -n '1s/.* prog \([0-9]*\).*/\1/p'
}
tc_prog_id() {      # IFACE (in the lb netns)
	nsenter --net="/run/netns/$NS_LB" tc filter show dev "$1" egress 2>/dev/null |
		sed -n 's/.*handle 0xb6 .* id \([0-9]*\) .*/\1/p' | head -n 1
}
pin_prog_id() {     # PIN_DIR NAME
	bpftool prog show pinned "$1/$2" 2>/dev/null | sed -n '1s/^\([0-9]*\):.*/\1/p'
}
pin_map_id() {      # PIN_DIR NAME
	bpftool map show pinned "$1/$2" 2>/dev/null | sed -n '1s/^\([0-9]*\):.*/\1/p'
}
prog_map_ids() {    # PROG_ID: its maps' ids, sorted, one line
	bpftool prog show id "$1" 2>/dev/null | sed -n 's/.*map_ids \([0-9,]*\).*/\1/p' | tr , '\n' | sort -n | paste -sd' '
}

# status_config FILE: the part of `status --json` a command changes (share,
# generation, changes, backends with their states), flow counts left out.
status_config() {
	python3 - "$1" <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))
for s in st["services"]:
    s.pop("flows", None)
    s.pop("open_flows", None)
    for c in s["backends"].values():
        for b in c:
            b.pop("flows", None)
            b.pop("open_flows", None)
print(json.dumps(st["services"], sort_keys=True))
PY
}

# check_whole PIN_DIR: the control-plane state and the data plane agree.
# For every service and color: the live Maglev ring (the buffer the config
# word names) holds exactly the slots of the backends that status calls up,
# the word says "has backends" iff there is one, and a color with a share
# has an up backend.  A command killed half-way through would show here.
check_whole() {
	local pin=$1
	BGX_QUIET=1 bgx status --json >"$WORK/whole.json" || { log "status --json failed"; return 1; }
	python3 - "$pin" "$WORK/whole.json" <<'PY'
import json, subprocess, sys

pin, status = sys.argv[1], json.load(open(sys.argv[2]))
MAX_BACKENDS, RING = 128, 13001

def bpftool(*args):
    out = subprocess.run(["bpftool", "-j", "map"] + list(args), check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)

def raw(v):
    return bytes(int(x, 16) for x in v)

def dump(m):      # index -> value bytes
    return {int.from_bytes(raw(e["key"]), "little"): raw(e["value"])
            for e in bpftool("dump", "pinned", f"{pin}/{m}")}

def lookup(m, key):
    kb = [str(b) for b in key.to_bytes(4, "little")]
    return raw(bpftool("lookup", "pinned", f"{pin}/{m}", "key", *kb)["value"])

meta, words, backends = dump("svc_meta"), dump("svc_config"), dump("backends")
bad = []
for sid, m in sorted(meta.items()):
    if m[72] == 0:                                   # svc_meta.in_use
        continue
    name = m[:32].split(b"\0")[0].decode()
    word = int.from_bytes(words[sid][:8], "little")
    svc = next(s for s in status["services"] if s["name"] == name)
    for color, cname in ((0, "blue"), (1, "green")):
        base = (sid * 2 + color) * MAX_BACKENDS
        up = {s for s in range(MAX_BACKENDS) if backends[base + s][19] == 1}  # backend.state
        n_up = sum(1 for b in svc["backends"][cname] if b["state"] == "up")
        if n_up != len(up):
            bad.append(f"{name} {cname}: status shows {n_up} up, backends map {len(up)}")
        buf = (word >> (16 + color)) & 1
        has = (word >> (20 + color)) & 1
        ring = lookup("maglev_rings", (sid * 2 + color) * 2 + buf)
        slots = {int.from_bytes(ring[2 * i:2 * i + 2], "little") for i in range(RING)}
        if has and slots != up:
            bad.append(f"{name} {cname}: live ring holds slots {sorted(slots)}, up backends are {sorted(up)}")
        if bool(has) != bool(up):
            bad.append(f"{name} {cname}: word says has-backends={has}, {len(up)} up")
        if svc["share"][cname] and not up:
            bad.append(f"{name} {cname}: share {svc['share'][cname]} but no up backend")
if bad:
    print("not whole: " + "; ".join(bad))
    sys.exit(1)
PY
}
