#!/usr/bin/env python3
"""Benchmark: `dtsen link` against Splink 5 (DuckDB) on the same generated files, in one run.

For each size it generates a region with the generator (ground truth beside it), ingests it,
writes the linking file (`dtsen link prepare`), runs both engines under GNU time (wall clock,
peak resident memory), evaluates both clusterings with `dtsen link eval` against the truth,
and writes the table between the `bench:link` markers of BENCHMARKS.md.

Each engine runs `--repeat` times (default 3), the two alternating, and the table gives the
median wall time (every run's is listed beside it) and the largest peak memory: on a VM whose
host takes back free memory, a run's first touches of memory cost it a host fault each, so one
run alone measures the host as much as the engine.

With `--partition-by region:7`, `dtsen link run --partition-by region:7` (one district at a
time in memory) runs too, alternating with the other two, in its own rows.

usage: python3 scripts/bench_link.py [--sizes 100k,1m,5m] [--repeat 3] [--work DIR] [--no-splink]
                                     [--partition-by COLUMN:N]
Needs: a release build (cargo build --release), GNU time (apt-get install time), and network
access to PyPI the first time (Splink is installed into a throwaway virtualenv).
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DTSEN = os.path.join(ROOT, "target", "release", "dtsen")
SPLINK_VERSION = "5.0.0"
REPEAT = 3
PARTITION_BY = None

# records ≈ 2.37 × persons (SIAK, Regsosek members, DTKS, P3KE). Regions chosen so that
# villages keep a realistic size after scaling; seeds differ from the development seed (7).
SIZES = {
    "100k": ("35.71", 42_200, 11),     # Kota Kediri, scaled down
    "1m": ("35.01", 422_000, 12),      # Kabupaten Pacitan, scaled down
    "5m": ("35.07", 2_110_000, 13),    # Kabupaten Malang, scaled down
}


def run(cmd, **kw):
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def timed(cmd, log):
    """Runs cmd under GNU time; returns (wall seconds, peak RSS MiB)."""
    with open(log, "w") as f:
        run(["/usr/bin/time", "-v"] + cmd, stdout=f, stderr=subprocess.STDOUT)
    text = open(log).read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    parts = [float(p) for p in wall.split(":")]
    seconds = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) == 3 else 0)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
    return seconds, rss


def evaluate(clusters, truth, out):
    res = subprocess.run(
        [DTSEN, "link", "eval", "--clusters", clusters, "--truth", truth, "--out", out, "--json"],
        check=True, capture_output=True, text=True)
    return json.loads(res.stdout)


def splink_python(work):
    venv = os.path.join(work, "splink-venv")
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        run([sys.executable, "-m", "venv", venv])
        run([py, "-m", "pip", "install", "-q", f"splink=={SPLINK_VERSION}"])
    return py


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100k,1m,5m")
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "bench-link"))
    ap.add_argument("--no-splink", action="store_true")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each engine, alternating (median wall, largest peak memory)")
    ap.add_argument("--reuse-splink", action="store_true",
                    help="reuse Splink's figures from an earlier run on the same files (marked in the table)")
    ap.add_argument("--partition-by", default=None,
                    help="also run dtsen link in partitions by this key (e.g. region:7)")
    args = ap.parse_args()
    global REPEAT, PARTITION_BY
    REPEAT = max(1, args.repeat)
    PARTITION_BY = args.partition_by
    os.makedirs(args.work, exist_ok=True)
    py = None if args.no_splink else splink_python(args.work)
    rows = []
    for size in args.sizes.split(","):
        region, persons, seed = SIZES[size]
        d = os.path.join(args.work, size)
        src, ing, inp = f"{d}/src", f"{d}/ing", f"{d}/link-in.csv"
        if not os.path.exists(inp):
            run([DTSEN, "generate", "--region", region, "--persons", str(persons),
                 "--seed", str(seed), "--out", src], stdout=subprocess.DEVNULL)
            run([DTSEN, "ingest", "--sources", src, "--out", ing], stdout=subprocess.DEVNULL)
            run([DTSEN, "link", "prepare", "--ingested", ing, "--out", inp])
        records = sum(1 for _ in open(inp)) - 1
        truth = f"{src}/truth_records.csv"
        saved = f"{d}/splink/result.json"
        reuse = py and args.reuse_splink and os.path.exists(saved)
        ours_runs, theirs_runs, parted_runs = [], [], []
        for k in range(max(1, args.repeat)):
            ours_runs.append(timed(
                [DTSEN, "link", "run", "--input", inp, "--out", f"{d}/dtsen"], f"{d}/dtsen.log"))
            if PARTITION_BY:
                parted_runs.append(timed(
                    [DTSEN, "link", "run", "--input", inp, "--out", f"{d}/dtsen-parts",
                     "--partition-by", PARTITION_BY], f"{d}/dtsen-parts.log"))
            if py and not reuse:
                theirs_runs.append(timed(
                    [py, os.path.join(ROOT, "scripts", "splink_run.py"), inp, f"{d}/splink"],
                    f"{d}/splink.log"))
        ours = summary(ours_runs)
        ours["eval"] = evaluate(f"{d}/dtsen/clusters.csv", truth, f"{d}/dtsen")
        parted = None
        if PARTITION_BY:
            parted = summary(parted_runs)
            parted["eval"] = evaluate(f"{d}/dtsen-parts/clusters.csv", truth, f"{d}/dtsen-parts")
            report = json.load(open(f"{d}/dtsen-parts/link-report.json"))["partitions"]
            parted["partitions"] = len(report["partitions"])
            parted["largest"] = report["partitions"][0]["records"]
        theirs = None
        if reuse:
            theirs = json.load(open(saved))
            theirs["reused"] = True
        elif py:
            theirs = summary(theirs_runs)
            theirs["eval"] = evaluate(f"{d}/splink/clusters.csv", truth, f"{d}/splink")
            json.dump(theirs, open(saved, "w"))
        rows.append((size, region, persons, seed, records, ours, theirs, parted))
        print(json.dumps({"size": size, "records": records,
                          "dtsen": {k: v for k, v in ours.items() if k != "eval"},
                          "dtsen_f1": ours["eval"]["pairwise"]["f1"],
                          "splink": theirs and {k: v for k, v in theirs.items() if k != "eval"},
                          "splink_f1": theirs and theirs["eval"]["pairwise"]["f1"]}), flush=True)
    write(rows)


def summary(runs):
    """Median wall time, every run's wall time, largest peak memory."""
    walls = sorted(w for w, _ in runs)
    return {"wall": walls[len(walls) // 2], "walls": [w for w, _ in runs],
            "rss": max(r for _, r in runs)}


def cpu():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def write(rows):
    lines = [
        f"Measured {datetime.date.today()} on {cpu()}, {os.cpu_count()} cores, "
        f"command `python3 scripts/bench_link.py --sizes {','.join(r[0] for r in rows)} "
        f"--repeat {REPEAT}"
        + (f" --partition-by {PARTITION_BY}" if PARTITION_BY else "")
        + f"`: each engine run {REPEAT} times, alternating; wall = the median "
        "(every run's in the last column), peak = the largest. "
        f"Splink {SPLINK_VERSION} with DuckDB, configured as `scripts/splink_run.py` (same "
        "input file, equivalent comparisons and blocking rules, u from 1M random pairs, EM "
        "per blocking rule, threshold 0.5). Both clusterings evaluated by `dtsen link eval` "
        "against the generator's truth (pairwise = every pair put in one cluster).",
        "",
        "| records | region, seed | engine | wall s | peak MiB | pairwise P | pairwise R | pairwise F1 | cluster P | cluster R | speed-up | memory | runs (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size, region, persons, seed, records, ours, theirs, parted in rows:
        engines = [("dtsen link", ours), ("Splink 5", theirs)]
        if parted:
            engines.append((f"dtsen link, {parted['partitions']} partitions by {PARTITION_BY} "
                            f"(largest {parted['largest']:,} records)", parted))
        for name, r in engines:
            if r is None:
                continue
            if r.get("reused"):
                name += " (earlier run)"
            e = r["eval"]
            p = e["pairwise"]
            speed = mem = ""
            if name.startswith("dtsen link") and theirs:
                speed = f"{theirs['wall'] / r['wall']:.1f}×"
                mem = f"{r['rss'] / theirs['rss']:.2f}×"
            lines.append(
                f"| {records:,} | {region}, {seed} | {name} | {r['wall']:.1f} | {r['rss']:.0f} | "
                f"{p['precision']:.4f} | {p['recall']:.4f} | {p['f1']:.4f} | "
                f"{e['cluster_precision']:.4f} | {e['cluster_recall']:.4f} | {speed} | {mem} | "
                f"{', '.join(f'{w:.1f}' for w in r.get('walls', [r['wall']]))} |")
    section = "\n".join(lines)
    path = os.path.join(ROOT, "BENCHMARKS.md")
    text = open(path).read()
    begin, end = "<!-- bench:link:begin -->", "<!-- bench:link:end -->"
    block = f"{begin}\n{section}\n{end}"
    if begin in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text += f"\n## Matching engine: dtsen link vs Splink\n\n{block}\n"
    open(path, "w").write(text)
    print(section)


if __name__ == "__main__":
    main()
