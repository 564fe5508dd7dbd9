#!/usr/bin/env bash
# Load test of the web platform on loopback: the family page and search, 200 concurrent
# connections, with wrk (Debian's). Uses a demo directory from `dtsen demo --no-serve`
# (default dtsen-demo/) and the release binary. Prints wrk's latency distribution; the figures
# go to BENCHMARKS.md by hand with the machine and the date.
#
#   scripts/bench_web.sh [DEMO_DIR] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
demo="${1:-dtsen-demo}"
secs="${2:-30}"
port="${DTSEN_BENCH_PORT:-18181}"
conns="${DTSEN_BENCH_CONNECTIONS:-200}"
dtsen=./target/release/dtsen
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
test -f "$demo/dtsen.db" || { echo "$demo/dtsen.db missing: run dtsen demo --dir $demo --no-serve first" >&2; exit 1; }
work="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

$dtsen serve --db "sqlite://$demo/dtsen.db" --model "$demo/pmt-model.json" --addr "127.0.0.1:$port" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

# A regency operator's session (the demo's account), as a browser would hold it.
token=$(curl -fsS -X POST "http://127.0.0.1:$port/api/v1/session" -H 'content-type: application/json' \
  -d '{"username":"demo.operator_kabkota","password":"Demo-operator-kabkota-2026"}' | python3 -c 'import sys, json; print(json.load(sys.stdin)["token"])')

# Requests drawn from the registry itself: 5,000 random families; searches by first name
# (3 to 6 letters), by NIK and by KK number.
python3 - "$demo/dtsen.db" "$work" <<'PY'
import random, sqlite3, sys, urllib.parse
db, out = sys.argv[1], sys.argv[2]
random.seed(7)
c = sqlite3.connect(db)
snap = c.execute("SELECT id FROM snapshots ORDER BY id DESC LIMIT 1").fetchone()[0]
fam = c.execute("SELECT kode_provinsi, family_id FROM snapshot_families WHERE snapshot_id = ?", (snap,)).fetchall()
random.shuffle(fam)
with open(f"{out}/family.txt", "w") as f:
    for p, i in fam[:5000]:
        f.write(f"/keluarga/{p}/{i}\n")
names = [r[0] for r in c.execute("SELECT name_std FROM persons ORDER BY random() LIMIT 3000")]
niks = [r[0] for r in c.execute("SELECT nik FROM snapshot_members WHERE snapshot_id = ? AND nik IS NOT NULL ORDER BY random() LIMIT 1000", (snap,))]
kks = [r[0] for r in c.execute("SELECT kk FROM snapshot_families WHERE snapshot_id = ? AND kk IS NOT NULL ORDER BY random() LIMIT 1000", (snap,))]
with open(f"{out}/search.txt", "w") as f:
    for n in names:
        first = n.split(" ")[0]
        if len(first) >= 3:
            f.write("/cari?q=" + urllib.parse.quote_plus(first[: random.randint(3, min(6, len(first)))]) + "\n")
    for x in niks + kks:
        f.write(f"/cari?q={x}\n")
PY
cat > "$work/paths.lua" <<'LUA'
local paths = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  i = math.random(#paths)
end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
LUA

for what in family search; do
  echo "== $what: $(wc -l < "$work/$what.txt") distinct requests, $conns connections, ${secs} s"
  wrk -t2 -c"$conns" -d"${secs}s" --latency --timeout 10s -H "Cookie: dtsen_sesi=$token" \
    -s "$work/paths.lua" "http://127.0.0.1:$port" -- "$work/$what.txt"
done
echo "== access log after the run"
$dtsen audit verify --db "sqlite://$demo/dtsen.db"
