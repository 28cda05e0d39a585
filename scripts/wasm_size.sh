#!/usr/bin/env bash
# Where the browser's wasm bytes go: a size profile of the trading screen's module by twiggy
# (installed into ~/.cargo/bin on first use). Writes bench-results/wasm_size.json (bytes by
# crate, shallow; the largest retainers) and bench-results/wasm_size.txt (twiggy's top items).
#
#   bash scripts/wasm_size.sh      # after a release build (scripts/run.sh or scripts/test.sh)
#
# twiggy reads the module cargo built (target/wasm32-unknown-unknown/wasm-release/), which
# still has its function names; the file trunk ships in dist/ is that module after
# wasm-bindgen and wasm-opt -Oz, without names. Both sizes, and the compressed forms in dist/,
# are reported.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
wasm=target/wasm32-unknown-unknown/wasm-release/desk-frontend.wasm
[ -f "$wasm" ] || { echo "no $wasm: build the frontend first (bash scripts/run.sh)" >&2; exit 1; }
command -v twiggy >/dev/null || cargo install twiggy --version 0.8.0 --locked
mkdir -p bench-results target/size
twiggy top -n 40 "$wasm" >bench-results/wasm_size.txt
twiggy top -n 1000000 -f csv "$wasm" >target/size/top.csv
twiggy dominators -f csv "$wasm" >target/size/dominators.csv
python3 - "$wasm" <<'PY'
import csv, collections, datetime, glob, json, os, re, sys
wasm = sys.argv[1]
meta = ("function names", "__wasm_bindgen_unstable", "subsection")
by_crate = collections.Counter()
for r in csv.DictReader(open("target/size/top.csv")):
    name, size = r["Name"], int(r["ShallowSize"])
    if any(m in name for m in meta):
        continue
    m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)::", name)
    by_crate[m.group(1) if m else ("data" if name.startswith("data") else "unnamed")] += size
code = sum(by_crate.values())
retainers = sorted(
    ((int(r["RetainedSize"]), r["Name"]) for r in csv.DictReader(open("target/size/dominators.csv"))
     if "desk_frontend" in r["Name"]), reverse=True)[:15]
shipped = {os.path.basename(p): os.path.getsize(p) for p in glob.glob("dist/*_bg.wasm*")}
out = {
    "date": datetime.date.today().isoformat(),
    "module_code_and_data_bytes": code,
    "shipped": shipped,
    "by_crate_shallow": [{"crate": k, "bytes": v, "share": round(v / code, 3)} for k, v in by_crate.most_common(20)],
    "largest_desk_retainers": [{"item": n[:160], "retained_bytes": s} for s, n in retainers],
}
json.dump(out, open("bench-results/wasm_size.json", "w"), indent=2)
print(json.dumps({k: out[k] for k in ("module_code_and_data_bytes", "shipped")}, indent=2))
for row in out["by_crate_shallow"][:12]:
    print(f'{row["bytes"]:>9} {row["share"]:6.1%} {row["crate"]}')
PY
