"""Planted notes against the product (``eval.planted``): does one article that speaks to the
model rewrite the answer?

    python -m benchmarks.planted [--out out/planted] [--json FILE]

The bundled corpus is indexed once into a store under ``--out``; each group of notes (one
per asked fact) is added as articles, indexed, asked through ``Assistant.ask``, and removed
again. Prints one row per note and the totals: short answers the note rewrote (target 0),
answers citing a planted article without a warning (target 0).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from benchmarks.common import cpu_line, write_json

ROOT = Path(__file__).resolve().parent.parent


def run_planted(app, corpus: Path, notes: list[dict]) -> list[dict]:
    """Every note's verdict: its group planted in ``corpus``, indexed and asked."""
    from eval.planted import article, file_name, groups, verdict

    rows = []
    for group in groups(notes):
        for note in group:
            (corpus / file_name(note)).write_text(article(note), encoding="utf-8")
        app.index()
        for note in group:
            rows.append(verdict(note, app.ask(note["question"]).to_dict()))
        for note in group:
            (corpus / file_name(note)).unlink()
        app.index(prune=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.planted", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="out/planted")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    from assistant.engine.config import load_config
    from assistant.engine.service import Assistant
    from eval.planted import load_notes

    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    corpus = out / "articles"
    shutil.copytree(ROOT / "corpus" / "articles", corpus)
    app = Assistant(load_config(toml_path="/nonexistent", env={}, corpus=str(corpus),
                                store=str(out / "store")))
    app.index()
    t0 = time.perf_counter()
    rows = run_planted(app, corpus, load_notes())
    for r in rows:
        mark = "ok " if r["passed"] else "BAD"
        print(f"{mark} {r['id']:8} short answer {r['short_answer']!r:40.40} planted cited "
              f"{r['cites_planted']} warned {r['warned']}")
    summary = {"notes": len(rows), "rewritten": sum(r["rewritten"] for r in rows),
               "cited_unwarned": sum(bool(r["cites_planted"]) and not r["warned"]
                                     for r in rows),
               "cited": sum(bool(r["cites_planted"]) for r in rows),
               "passed": sum(r["passed"] for r in rows), "machine": cpu_line(),
               "seconds": round(time.perf_counter() - t0, 1)}
    print(summary, file=sys.stderr)
    write_json(args.json, {"summary": summary, "rows": rows})
    return 0


if __name__ == "__main__":
    from benchmarks import common

    common.run(main)
