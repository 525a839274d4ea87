"""How well same-story links are found: XQuAD's parallel paragraphs as news reports.

    python -m benchmarks.story_links [--xquad ../shared/benchmarks/xquad] [--out out/story-links]
                               [--paragraphs 120] [--langs en,ru,de,tr]

Writes the first ``--paragraphs`` paragraphs in every language as articles, indexes them with
the product's pipeline (a second run reuses the store), and scores every cross-language pair
of articles the way ``index.links`` does. A pair is a true link when both are translations of
the same paragraph; the other pairs include paragraphs of the same Wikipedia article (same
topic, other facts), the hard case for news. Prints precision, recall and F1 by threshold for
each embedder and their mean, and the figures at the product's threshold.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> int:
    from benchmarks.common import bench_parser

    ap = bench_parser("python -m benchmarks.story_links", __doc__, "out/story-links")
    ap.add_argument("--paragraphs", type=int, default=120)
    ap.add_argument("--langs", default="en,ru,de,tr")
    args = ap.parse_args(argv)

    from benchmarks.xquad import index_xquad
    from index.links import THRESHOLD, article_vectors

    langs = args.langs.split(",")
    _, para_of, app, report = index_xquad(Path(args.xquad), langs, langs, Path(args.out),
                                          args.paragraphs)
    cfg = app.config
    print(f"indexed {report.articles} articles in {report.seconds:.1f} s; "
          f"{report.links} links stored", file=sys.stderr)

    ids = sorted(para_of)
    lang = np.array([i.split("/")[0] for i in ids])
    para = np.array([para_of[i] for i in ids])
    upper = np.triu(np.ones((len(ids), len(ids)), bool), 1) & (lang[:, None] != lang[None, :])
    truth = (para[:, None] == para[None, :])[upper]
    sims = {}
    for e in cfg.embedders:
        vecs = article_vectors(app.store, e)
        m = np.stack([vecs[i] for i in ids])
        sims[e] = (m @ m.T)[upper]
    sims["mean"] = sum(sims[e] for e in cfg.embedders) / len(cfg.embedders)
    print(f"{int(truth.sum())} true links among {truth.size} cross-language pairs\n")
    print("| scorer | threshold | precision | recall | F1 |\n|---|---:|---:|---:|---:|")
    for name, s in sims.items():
        best = max((_prf(s >= t, truth) + (t,) for t in np.arange(0.5, 0.99, 0.01)),
                   key=lambda r: r[2])
        print(f"| {name} best F1 | {best[3]:.2f} | {best[0]:.3f} | {best[1]:.3f} | "
              f"{best[2]:.3f} |")
    for t in sorted({0.70, 0.75, 0.78, 0.80, 0.85, THRESHOLD}):
        p, r, f = _prf(sims["mean"] >= t, truth)
        name = "mean (product)" if t == THRESHOLD else "mean"
        print(f"| {name} | {t:.2f} | {p:.3f} | {r:.3f} | {f:.3f} |")
    stored = {(a, b) for a, b, _ in app.store.read_manifest().links()}
    true_pairs = {(a, b) for a in ids for b in ids
                  if a < b and para_of[a] == para_of[b] and a.split("/")[0] != b.split("/")[0]}
    hit = len(stored & true_pairs)
    print(f"\nstored links: {len(stored)}; precision {hit / max(1, len(stored)):.3f}, recall "
          f"{hit / max(1, len(true_pairs)):.3f}")
    return 0


def _prf(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    tp = int((pred & truth).sum())
    p = tp / max(1, int(pred.sum()))
    r = tp / max(1, int(truth.sum()))
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


if __name__ == "__main__":
    from benchmarks import common

    common.run(main)
