#!/usr/bin/env bash
# Where the bridge's CPU goes: instructions per delivered frame, the desk's `/ws` path
# against a plain tokio-tungstenite relay, counted by callgrind (instruction counts repeat
# run to run on a noisy machine, unlike seconds). Writes bench-results/bridge_profile.json
# and bench-results/bridge_profile.txt (each path's top functions, inclusive).
#
#   bash scripts/profile_bridge.sh      # ~4 min; needs valgrind; uses perf when it can sample
#
# Each path runs twice under callgrind (the `bridge` bench's profile mode: a feed → the
# path → SESSIONS WebSocket clients over loopback, paced at RATE frames/s), with FEW and
# MANY frames; the difference of the two totals over the extra deliveries is the marginal
# cost of one frame delivered to one session: setup, handshakes and snapshots cancel out.
# The count covers the whole process (feed, path and clients), which both paths share.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v valgrind >/dev/null || { echo "valgrind is needed (Debian: apt-get install valgrind)" >&2; exit 1; }
sessions="${SESSIONS:-100}" rate="${RATE:-100}" few="${FEW:-300}" many="${MANY:-900}"
bin=$(cargo bench -p desk-backend --bench bridge --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == "bridge" and m.get("executable"):
        print(m["executable"])')
out=target/profile
mkdir -p "$out" bench-results
for path in desk relay; do
    for frames in "$few" "$many"; do
        echo "==> callgrind: $path, $sessions sessions, $frames frames at $rate/s" >&2
        DESK_BRIDGE_PROFILE="$path" DESK_BRIDGE_PROFILE_SESSIONS="$sessions" \
            DESK_BRIDGE_PROFILE_FRAMES="$frames" DESK_BRIDGE_PROFILE_RATE="$rate" \
            valgrind --tool=callgrind --callgrind-out-file="$out/$path-$frames.out" "$bin" \
            >"$out/$path-$frames.json" 2>"$out/$path-$frames.log"
    done
done
: >bench-results/bridge_profile.txt
for path in desk relay; do
    {
        echo "===== $path, $sessions sessions, $many frames: top functions by inclusive instructions"
        callgrind_annotate --inclusive=yes "$out/$path-$many.out" >"$out/$path.annotate" 2>/dev/null || true
        grep -E '^ *[0-9,]+ \( *[0-9.]+%\) ' "$out/$path.annotate" | sed -n '2,61p' | cut -c1-220
        echo
    } >>bench-results/bridge_profile.txt
done
# Time, kernel included, where perf can sample (software cpu-clock works in a VM): the
# production rate, 5,000 frames/s into the same sessions for 4 s.
if command -v perf >/dev/null && perf stat -e cpu-clock true >/dev/null 2>&1; then
    for path in desk relay; do
        echo "==> perf: $path, $sessions sessions, 20000 frames at 5000/s" >&2
        DESK_BRIDGE_PROFILE="$path" DESK_BRIDGE_PROFILE_SESSIONS="$sessions" \
            DESK_BRIDGE_PROFILE_FRAMES=20000 DESK_BRIDGE_PROFILE_RATE=5000 \
            perf record -q -F 999 -g -e cpu-clock -o "$out/$path.perf" "$bin" >/dev/null 2>&1 || true
        perf report -i "$out/$path.perf" --stdio --sort dso 2>/dev/null >"$out/$path.perf.dso" || true
        {
            echo "===== perf, $path, $sessions sessions, 20000 frames at 5000/s: on-CPU samples (999 Hz) by object, then by symbol (self)"
            perf report -i "$out/$path.perf" --no-children --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9.]+%|Samples' || true
            perf report -i "$out/$path.perf" --no-children -g none --sort dso,symbol --stdio 2>/dev/null |
                grep -E '^ +[0-9.]+%' | sed -n '1,30p' | cut -c1-160 || true
            echo
        } >>bench-results/bridge_profile.txt
    done
fi
python3 - "$out" "$sessions" "$rate" "$few" "$many" <<'PY'
import json, re, sys, datetime
out, sessions, rate, few, many = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def total(path, frames):
    text = open(f"{out}/{path}-{frames}.out", errors="replace").read()
    m = re.search(r"^(?:summary|totals):\s*(\d+)", text, re.M)
    return int(m.group(1))
def run(path, frames):
    return json.loads(open(f"{out}/{path}-{frames}.json").read().strip().splitlines()[-1])
result = {"what": "instructions (callgrind Ir, whole process) per frame delivered to one session, marginal between two run lengths",
          "date": datetime.date.today().isoformat(), "sessions": sessions, "rate_frames_per_sec": rate,
          "frames": [few, many]}
for path in ("desk", "relay"):
    a, b = total(path, few), total(path, many)
    result[path] = {"instructions": [a, b],
                    "instructions_per_delivered_frame": round((b - a) / ((many - few) * sessions)),
                    "sessions_conflated": [run(path, few)["sessions_conflated"], run(path, many)["sessions_conflated"]]}
for path in ("desk", "relay"):
    try:
        text = open(f"{out}/{path}.perf.dso").read()
    except OSError:
        continue
    m = re.search(r"Event count \(approx\.\): (\d+)", text)
    kernel = re.search(r"([0-9.]+)%\s+\[kernel", text)
    if m:
        result[path]["perf_cpu_us_per_delivery_at_5000_fps"] = round(int(m.group(1)) / 1e3 / (20000 * sessions), 2)
        result[path]["perf_kernel_share"] = float(kernel.group(1)) / 100 if kernel else None
result["desk_over_relay"] = round(result["desk"]["instructions_per_delivered_frame"] / result["relay"]["instructions_per_delivered_frame"], 2)
json.dump(result, open("bench-results/bridge_profile.json", "w"), indent=2)
print(json.dumps(result, indent=2))
PY
