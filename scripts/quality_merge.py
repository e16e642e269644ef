"""Replace some methods' rows of a quality-benchmark result with a newer run of them.

When one method changes (say the default preset), re-running the whole benchmark costs
an hour; this re-uses the other methods' rows and takes the changed methods' rows from
a run of those methods alone (same datasets and settings), then rewrites the tables
and plots. A method the base run lacks is added after each item's other rows.

Run:
    .venv/bin/python scripts/quality_merge.py BASE_DIR PATCH_DIR OUT_DIR
Each *_DIR holds the results.json that ``histdip bench quality`` (or
``run_quality_benchmark``) writes; OUT_DIR gets results.json, results.md and plots.
"""

import json
import sys
from pathlib import Path

from histdip.bench.report import jsonable, plot_results, write_markdown

if len(sys.argv) != 4:
    raise SystemExit(__doc__)
base, patch = (json.loads((Path(d) / "results.json").read_text()) for d in sys.argv[1:3])
out = Path(sys.argv[3])
out.mkdir(parents=True, exist_ok=True)
replaced = {r["method"] for r in patch["rows"]}
new_rows = {(r["dataset"], r["item"], r["method"]): r for r in patch["rows"]}
base_methods = {r["method"] for r in base["rows"]}
base_items = {(r["dataset"], r["item"]) for r in base["rows"]}
rows = []
for i, r in enumerate(base["rows"]):
    rows.append(new_rows.get((r["dataset"], r["item"], r["method"]), r))
    last_of_item = i + 1 == len(base["rows"]) or (base["rows"][i + 1]["dataset"], base["rows"][i + 1]["item"]) != (
        r["dataset"], r["item"])
    if last_of_item:  # a method the base run did not have: its rows follow the item's others
        rows += [p for p in patch["rows"] if p["method"] not in base_methods
                 and (p["dataset"], p["item"]) == (r["dataset"], r["item"])]
missing = {(r["dataset"], r["item"]) for r in patch["rows"]} - base_items
if missing:
    raise SystemExit(f"patch rows for items the base run does not have: {sorted(missing)[:3]}")
meta = dict(base["meta"], merged_from={"base": sys.argv[1], "patch": sys.argv[2], "methods": sorted(replaced),
                                       "patch_meta": patch["meta"]})
(out / "results.json").write_text(json.dumps(jsonable({"meta": meta, "rows": rows}), indent=1))
write_markdown(rows, meta, out / "results.md")
plot_results(rows, out)
print(f"wrote {out / 'results.md'}: {len(rows)} rows, {', '.join(sorted(replaced))} from {sys.argv[2]}")
