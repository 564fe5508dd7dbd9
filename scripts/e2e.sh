#!/usr/bin/env bash
# End-to-end: runs `dtsen demo --no-serve` (Kota Kediri: generate, ingest, consolidate, rank,
# publish, one account per role) from the release binary, serves it on a loopback port, and
# drives Debian's Chromium through it with playwright-core (e2e/web.test.mjs). Screenshots land
# in e2e/screenshots/. Needs: target/release/dtsen, /usr/bin/chromium, node and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
dtsen=./target/release/dtsen
port="${DTSEN_E2E_PORT:-18080}"
work="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== e2e: dtsen demo --no-serve (Kota Kediri)"
start=$(date +%s)
$dtsen demo --dir "$work/demo" --no-serve > "$work/demo.log" 2>&1 || { tail -40 "$work/demo.log"; exit 1; }
tail -16 "$work/demo.log"
echo "demo took $(( $(date +%s) - start )) s"

echo "== e2e: serving on 127.0.0.1:$port"
$dtsen serve --db "sqlite://$work/demo/dtsen.db" --model "$work/demo/pmt-model.json" \
  --addr "127.0.0.1:$port" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null

echo "== e2e: Chromium"
(cd e2e && npm ci --no-audit --no-fund --silent && DTSEN_E2E_URL="http://127.0.0.1:$port" \
  DTSEN_E2E_REPORT="$work/demo/consolidation/consolidation-report.json" npm test)
ls e2e/screenshots/
