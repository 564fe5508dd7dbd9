#!/usr/bin/env python3
"""Benchmark: `dtsen consolidate` end to end (ingest, matching, golden records, SQLite store)
and `dtsen export`, on generated regions, with the matching quality against the truth.

Each case generates a region (truth beside it), then runs under GNU time (wall clock, peak
resident memory): `dtsen consolidate --sources` (which ingests first) into a fresh SQLite
registry, and `dtsen export`. Person-level matching is evaluated with `dtsen link eval` on
`persons-clusters.csv`. The table goes between the `bench:consolidate` markers of
BENCHMARKS.md.

usage: python3 scripts/bench_consolidate.py [--cases regency,surabaya,province35-2m,province35-2m-whole] [--work DIR]
Needs: a release build (cargo build --release) and GNU time (apt-get install time).
"""
import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_link import DTSEN, ROOT, cpu, run, timed  # noqa: E402

# name: (region, persons (None = the real population), seed, what it is, extra arguments)
CASES = {
    "regency": ("35.71", None, 7, "Kota Kediri, full size (the issue's regency)", []),
    "surabaya": ("35.78", None, 8, "Kota Surabaya, full size", []),
    "largest35": ("35.24", None, 24, "Kabupaten Lamongan, full size: the generator's largest regency "
                  "of Jawa Timur (5.5% of its records), the memory a partitioned run of the whole "
                  "province needs", []),
    "province35-1m": ("35", 1_000_000, 35, "Jawa Timur, all 38 regencies, scaled to 1M persons", []),
    "province35-2m": ("35", 2_000_000, 35, "Jawa Timur, all 38 regencies, scaled to 2M persons, "
                      "one regency at a time", []),
    "province35-2m-whole": ("35", 2_000_000, 35, "the same, whole in memory (`--partition none`)",
                            ["--partition", "none"]),
    "province35-4m": ("35", 4_000_000, 35, "Jawa Timur, all 38 regencies, scaled to 4M persons", []),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default="regency,province35-2m")
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "bench-consolidate"))
    ap.add_argument("--keep", action="store_true",
                    help="keep the table's rows of cases not run this time (marked as earlier runs)")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    rows = []
    for case in args.cases.split(","):
        region, persons, seed, what, extra = CASES[case]
        d = os.path.join(args.work, case)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        src = os.path.join(d, "src")
        gen = [DTSEN, "generate", "--region", region, "--seed", str(seed), "--out", src]
        if persons:
            gen += ["--persons", str(persons)]
        run(gen, stdout=subprocess.DEVNULL)
        db = "sqlite://" + os.path.join(d, "dtsen.db")
        work = os.path.join(d, "cons")
        wall, rss = timed([DTSEN, "consolidate", "--sources", src, "--snapshot", "2026Q3",
                           "--work", work, "--db", db, "--retrain"] + extra,
                          os.path.join(d, "consolidate.log"))
        report = json.load(open(os.path.join(work, "consolidation-report.json")))
        ingest = json.load(open(os.path.join(work, "ingested", "ingest-report.json")))
        ewall, erss = timed([DTSEN, "export", "--snapshot", "2026Q3", "--db", db,
                             "--out", os.path.join(d, "export")], os.path.join(d, "export.log"))
        ev = subprocess.run([DTSEN, "link", "eval", "--clusters", os.path.join(work, "persons-clusters.csv"),
                             "--truth", os.path.join(src, "truth_records.csv"), "--json"],
                            check=True, capture_output=True, text=True)
        e = json.loads(ev.stdout)
        t = report["timings_ms"]
        rows.append({
            "case": case, "what": what, "region": region, "seed": seed,
            "rows": sum(s.get("read", 0) for s in ingest["sources"].values()),
            "records": report["reconciliation"]["person_records"],
            "persons": report["persons"]["snapshot"], "families": report["families"]["snapshot"],
            "wall": wall, "rss": rss, "ingest": ingest["seconds"],
            "matching": t["matching"] / 1000, "golden": (t["read"] + t["golden_records"]) / 1000,
            "store": t["store"] / 1000, "export": ewall, "export_rss": erss,
            "f1": e["pairwise"]["f1"], "precision": e["pairwise"]["precision"], "recall": e["pairwise"]["recall"],
            "reconciles": report["reconciliation"]["reconciles"],
            "partitions": report.get("partitions", 1),
        })
        # Keep the disk free for the next case: the sources and the registry are regenerated.
        shutil.rmtree(d, ignore_errors=True)
        print(rows[-1], flush=True)
    today = datetime.date.today().isoformat()
    lines = [
        f"Measured {today} on {cpu()}, {os.cpu_count()} cores, command `python3 scripts/bench_consolidate.py --cases {args.cases}`. "
        "Wall clock and peak resident memory of the whole `dtsen consolidate --sources` (ingest, matching, "
        "golden records, return files and report, SQLite registry with the draft snapshot) under GNU time; "
        "the stage columns are the report's own timings. Matching quality: `dtsen link eval` on "
        "`persons-clusters.csv` against the generator's truth.",
        "",
        "| case | source rows | person records | snapshot persons | families | partitions | consolidate wall s | peak MiB | "
        "ingest s | matching s | golden records s | store s | export s | export peak MiB | matching P | R | F1 | reconciles |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['what']} ({r['region']}, seed {r['seed']}) | {r['rows']:,} | {r['records']:,} | {r['persons']:,} | "
            f"{r['families']:,} | {r['partitions']} | {r['wall']:.1f} | {r['rss']:.0f} | {r['ingest']:.1f} | {r['matching']:.1f} | "
            f"{r['golden']:.1f} | {r['store']:.1f} | {r['export']:.1f} | {r['export_rss']:.0f} | {r['precision']:.4f} | {r['recall']:.4f} | "
            f"{r['f1']:.4f} | {'yes' if r['reconciles'] else 'NO'} |")
    path = os.path.join(ROOT, "BENCHMARKS.md")
    text = open(path).read()
    if args.keep:
        old = re.search(r"<!-- bench:consolidate:begin -->(.*?)<!-- bench:consolidate:end -->", text, re.S)
        ran = [r["what"] for r in rows]
        for line in (old.group(1).splitlines() if old else []):
            if line.startswith("| ") and not line.startswith("| case") and not any(
                    line.startswith(f"| {w} (") or line.startswith(f"| (earlier run) {w} (") for w in ran):
                lines.append(line if line.startswith("| (earlier run") else "| (earlier run) " + line[2:])
    section = "\n".join(lines)
    begin, end = "<!-- bench:consolidate:begin -->", "<!-- bench:consolidate:end -->"
    block = f"{begin}\n{section}\n{end}"
    if begin in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n## Consolidation (issue 6)\n\n" + block + "\n"
    open(path, "w").write(text)
    print(section)


if __name__ == "__main__":
    main()
