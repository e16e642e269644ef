"""Replace some methods' rows of a quality-benchmark result with a newer run of them.

When one method changes (say the default preset), re-running the whole benchmark costs
an hour; this re-uses the other methods' rows and takes the changed methods' rows from
a run of those methods alone (same datasets and settings), then rewrites the tables
and plots.

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
rows = [new_rows.get((r["dataset"], r["item"], r["method"]), r) for r in base["rows"]]
missing = set(new_rows) - {(r["dataset"], r["item"], r["method"]) for r in base["rows"]}
if missing:
    raise SystemExit(f"patch rows with no place in the base run: {sorted(missing)[:3]}")
meta = dict(base["meta"], merged_from={"base": sys.argv[1], "patch": sys.argv[2], "methods": sorted(replaced),
                                       "patch_meta": patch["meta"]})
(out / "results.json").write_text(json.dumps(jsonable({"meta": meta, "rows": rows}), indent=1))
write_markdown(rows, meta, out / "results.md")
plot_results(rows, out)
print(f"wrote {out / 'results.md'}: {len(rows)} rows, {', '.join(sorted(replaced))} from {sys.argv[2]}")
