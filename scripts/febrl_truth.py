"""Writes the truth of FEBRL files (the entity is the number in rec_id) for `dtsen link eval`:
python3 scripts/febrl_truth.py OUT.csv FILE.csv [FILE.csv ...]
then: dtsen link eval --clusters DIR/clusters.csv --truth OUT.csv --truth-id rec_id
      --truth-entity entity --truth-source source
"""
import csv
import os
import sys

out, files = sys.argv[1], sys.argv[2:]
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["rec_id", "entity", "source"])
    for path in files:
        source = os.path.splitext(os.path.basename(path))[0]
        with open(path, newline="") as g:
            for row in csv.DictReader(g, skipinitialspace=True):
                rec = row["rec_id"].strip()
                w.writerow([rec, rec.split("-")[1], source])
