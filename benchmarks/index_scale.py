"""Indexing an archive: articles/s, peak memory and where the time goes, at 1,000 and 10,000
synthetic articles built from real XQuAD paragraphs.

    python -m benchmarks.index_scale [--articles 1000,10000] [--xquad ../shared/benchmarks/xquad]
                                [--out out/scale-bench]

Article i is paragraph i mod 1,200 (240 paragraphs x en/de/ru/tr/es) with its sentences
rotated by i // 1,200, so no two articles are equal; each gets a ' date' header within 2025.
Every size is indexed from scratch into its own store by a fresh process (the product's
``index_corpus`` with the default configuration), which reports its own peak resident memory
(ru_maxrss), the memory once the models are loaded, and the time spent embedding, writing to
Chroma and the manifest, building the keyword index and linking stories.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

LANGS = ("en", "de", "ru", "tr", "es")


def write_corpus(xquad: Path, n: int, folder: Path) -> None:
    from benchmarks.common import load_xquad
    from corpus import sentence_spans

    data = load_xquad(xquad, list(LANGS))
    paragraphs = [p for lang in LANGS for p in data[lang]["paragraphs"]]
    rng = random.Random(n)
    if folder.exists():
        shutil.rmtree(folder)
    for i in range(n):
        p = paragraphs[i % len(paragraphs)]
        sents = [p[s:e] for s, e in sentence_spans(p)]
        k = (i // len(paragraphs)) % max(1, len(sents))
        text = " ".join(sents[k:] + sents[:k])
        day = rng.randrange(365)
        date = time.strftime("%Y-%m-%d", time.gmtime(1735689600 + day * 86400))
        f = folder / f"{i // 1000:02d}" / f"{i:05d}.txt"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(f" date {date} {text}\n", encoding="utf-8")


def worker(corpus: str, store: str) -> None:
    """Index ``corpus`` into ``store`` in this process and print the figures as JSON."""
    from assistant.engine.config import load_config
    from assistant.engine.service import Assistant
    from index import index_corpus

    cfg = load_config(corpus=corpus, store=store)
    app = Assistant(cfg)
    t = time.perf_counter()
    embedders = app.embedders
    for e in embedders:
        e.encode_documents(["warm-up"])
    load_s = time.perf_counter() - t
    models_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = index_corpus(Path(corpus), app.store, embedders, cfg.fields(), None,
                          cfg.index_batch)
    print(json.dumps({"articles": report.articles, "chunks": report.chunks,
                      "seconds": report.seconds, "timings": report.timings,
                      "links": report.links, "model_load_s": round(load_s, 1),
                      "models_mb": round(models_mb),
                      "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                       / 1024)}))


def main(argv: list[str] | None = None) -> int:
    from benchmarks.common import bench_parser

    ap = bench_parser("python -m benchmarks.index_scale", __doc__, "out/scale-bench")
    ap.add_argument("--articles", default="1000,10000")
    ap.add_argument("--worker", nargs=2, metavar=("CORPUS", "STORE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    xquad, out = Path(args.xquad), Path(args.out)
    if not (xquad / "xquad.en.json").is_file():
        print(f"error: no XQuAD files in {xquad}: pass the folder with --xquad.", file=sys.stderr)
        return 2
    rows = []
    for n in (int(x) for x in args.articles.split(",")):
        corpus, store = out / f"corpus-{n}", out / f"store-{n}"
        write_corpus(xquad, n, corpus)
        if store.exists():
            shutil.rmtree(store)
        print(f"indexing {n} articles ...", file=sys.stderr, flush=True)
        res = subprocess.run([sys.executable, "-m", "benchmarks.index_scale", "--worker",
                              str(corpus), str(store)], capture_output=True, text=True)
        if res.returncode != 0:
            print(res.stderr, file=sys.stderr)
            return 1
        r = json.loads(res.stdout.strip().splitlines()[-1])
        t = r["timings"]
        rows.append(
            f"| {r['articles']:,} | {r['chunks']:,} | {r['seconds']:.1f} | "
            f"{r['articles'] / r['seconds']:.2f} | {t['embed'] / r['seconds']:.0%} | "
            f"{t['write'] / r['seconds']:.0%} | {t['keyword']:.1f} | {t['links']:.1f} | "
            f"{r['links']:,} | {r['models_mb']:,} | {r['peak_mb']:,} |")
        print(json.dumps(r), file=sys.stderr, flush=True)
    print("| articles | chunks | index s | articles/s | embedding | Chroma+manifest writes | "
          "keyword s | links s | links | MB after model load | peak MB |\n"
          "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    from benchmarks import common

    common.run(main)
