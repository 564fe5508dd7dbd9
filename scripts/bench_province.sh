#!/bin/bash
# Province 35 (Jawa Timur) at full size, end to end: generate (42.3M persons), ingest, then
# consolidate one regency at a time. Not in CI: about 30 minutes on 2 cores with --dry-run,
# about 45 with the registry write (2026-11-23). Disk: sources without truth 19 GB, ingest
# output 29 GB, the regency split 29 GB while it is consumed, a SQLite registry ~50 GB; the run
# removes the ingest output once it is split (--discard-ingested), so ~65 GB suffice.
#
# usage: scripts/bench_province.sh WORK_DIR [--dry-run]
# Writes WORK_DIR/keep/: the report, GNU time's figures per step, the coverage table.
set -euo pipefail
work=${1:?usage: scripts/bench_province.sh WORK_DIR [--dry-run]}
dry=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
dtsen=$root/target/release/dtsen
mkdir -p "$work/keep"
cd "$work"
rm -rf src ing cons dtsen.db*
timed() { local name=$1; shift; /usr/bin/time -v "$@" > "keep/$name.out" 2> "keep/$name.time"; }
echo "generate $(date -u +%FT%TZ)"
timed generate "$dtsen" generate --region 35 --seed 35 --out src
du -sb src > keep/src.size
# The truth files (13 GB) are the generator's answers; consolidation never reads them.
rm -f src/truth_*.csv
du -sb src > keep/src-without-truth.size
echo "ingest $(date -u +%FT%TZ)"
timed ingest "$dtsen" ingest --sources src --out ing --as-of 2026-09-30
du -sb ing > keep/ing.size
rm -rf src
echo "consolidate $(date -u +%FT%TZ)"
timed consolidate "$dtsen" consolidate --ingested ing --snapshot 2026Q3 --work cons \
    --db "sqlite://$work/dtsen.db" --retrain --discard-ingested $dry
echo "done $(date -u +%FT%TZ)"
cp cons/consolidation-report.json cons/consolidation-report.txt cons/cakupan_wilayah.csv keep/
grep -E 'Elapsed|Maximum resident|User time|System time' keep/*.time
