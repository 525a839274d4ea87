"""How much N shard processes (``index --shard I/N``) speed up loading one Chroma server
against one whole run, in the same command.

    python -m benchmarks.shard_speed [--chunks 10000] [--shards 2] [--embedders given]
        [--json OUT]

Each mode loads the same synthetic articles (6-12 XQuAD sentences of paragraphs 120-239,
en/de/ru/tr/es, as ``benchmarks.store_scale``) into a fresh ``chroma run`` through the
product's ``index_articles``: one process, or N processes at once, each with ``--shard i/N``.
``--embedders given``: the real models' names with seeded random unit vectors (384-d and
512-d), so what is timed is the store's side (chunking, manifest, Chroma writes, publishing);
``real``: the product's models (the embedding too). Timed from starting the processes until
the last one has ended (the store's generation published); the whole run's keyword index
and every run's same-story links are left out (a reader builds the first; the links are
computed once a round either way). The store is checked afterwards: every chunk there,
once, for each embedder, and the generation published.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import index
import index.pipeline
from benchmarks import common
from benchmarks.common import bench_parser, cpu_line, write_json
from benchmarks.store_scale import chroma_server, pool_sentences, say, synthetic
from benchmarks.write_path import unit
from index import RemoteStore
from index.shards import Shard

ROOT = Path(__file__).resolve().parents[1]


class RandomEmbedder:
    """A real model's name; a unit vector seeded by the text (the same in every process)."""

    def __init__(self, name: str, dim: int):
        self.name, self.dim, self.version = name, dim, f"random {dim}"

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return np.vstack([unit(np.random.default_rng(int.from_bytes(
            hashlib.sha256(t.encode()).digest()[:8], "big")), 1, self.dim) for t in texts])


def worker(spec: dict) -> dict:
    """One process: a whole run (``shard`` "") or one shard's."""
    index.pipeline.refresh_links = lambda store, names: 0
    if not spec["shard"]:
        index.pipeline.refresh_keyword_index = lambda store, name: 0
    embs = [RandomEmbedder("e5-small", 384), RandomEmbedder("use", 512)] \
        if spec["embedders"] == "given" else [index.load_embedder(n) for n in
                                              ("e5-small", "use")]
    shard = Shard.parse(spec["shard"]) if spec["shard"] else None
    store = RemoteStore(spec["url"], cache=Path(spec["cache"]), shard=shard)
    pool = pool_sentences(Path(spec["xquad"]))
    t = time.perf_counter()
    report = index.index_articles(synthetic(pool, spec["articles"], seed=1), store, embs,
                                  None, 256)
    return {"shard": spec["shard"], "articles": report.articles, "seconds":
            round(time.perf_counter() - t, 2), "timings": report.timings,
            "shards_done": store.shards_done}


def run_mode(n: int, args, articles: int, tmp: Path) -> dict:
    """Load a fresh server with ``n`` shard processes (0: one whole run)."""
    with chroma_server(tmp / f"data-{n}", tmp / f"chroma-{n}.log") as (_, url):
        specs = [{"url": url, "cache": str(tmp / f"cache-{n}-{i}"), "xquad": args.xquad,
                  "articles": articles, "embedders": args.embedders,
                  "shard": f"{i}/{n}" if n else ""} for i in range(1, max(n, 1) + 1)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        t = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-m", "benchmarks.shard_speed", "--worker",
                                   json.dumps(s)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                  text=True) for s in specs]
        outs = [p.communicate()[0] for p in procs]
        wall = time.perf_counter() - t
        if any(p.returncode for p in procs):
            raise SystemExit(f"error: a worker of the {n or 1}-process run failed")
        workers = [json.loads(o.strip().splitlines()[-1]) for o in outs]
        check = RemoteStore(url, cache=tmp / f"check-{n}")
        counts = {e: check.collection(e).count() for e in ("e5-small", "use")}
        published = check.exists()
        check.close()
    return {"processes": max(n, 1), "sharded": bool(n), "seconds": round(wall, 2),
            "chunk_counts": counts, "published": published, "workers": workers}


def main(argv: list[str] | None = None) -> int:
    ap = bench_parser("python -m benchmarks.shard_speed", __doc__)
    ap.add_argument("--chunks", type=int, default=10000, help="about this many chunks")
    ap.add_argument("--shards", type=int, default=2)
    ap.add_argument("--embedders", choices=("given", "real"), default="given")
    ap.add_argument("--json", metavar="OUT", help="write the figures as JSON")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return print(json.dumps(worker(json.loads(args.worker))))
    args.xquad = str(Path(args.xquad).resolve())
    pool = pool_sentences(Path(args.xquad))
    per = np.mean([len(index.chunk_article(a)) for a in synthetic(pool, 300, seed=1)])
    articles = max(1, round(args.chunks / per))
    chunks = sum(len(index.chunk_article(a)) for a in synthetic(pool, articles, seed=1))
    cpu = cpu_line()
    print(f"CPU: {cpu}\n{articles:,} articles, {chunks:,} chunks, embedders {args.embedders}",
          flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="shard-speed-") as tmp:
        for n in (0, args.shards):
            say(f"{max(n, 1)} process(es), {'sharded' if n else 'one whole run'}")
            row = run_mode(n, args, articles, Path(tmp))
            if set(row["chunk_counts"].values()) != {chunks} or not row["published"]:
                raise SystemExit(f"error: the store holds {row['chunk_counts']} chunks "
                                 f"(want {chunks}), published: {row['published']}")
            rows.append(row)
            shutil.rmtree(Path(tmp) / f"data-{n}", ignore_errors=True)
    base = rows[0]["seconds"]
    print("\n| processes | run | seconds | chunks/s | x one run |\n|---:|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['processes']} | {'--shard i/' + str(args.shards) if r['sharded'] else 'whole'}"
              f" | {r['seconds']:.1f} | {chunks / r['seconds']:,.0f} | "
              f"{base / r['seconds']:.2f} |")
    write_json(args.json, {"cpu": cpu, "chunks": chunks, "articles": articles,
                           "embedders": args.embedders, "rows": rows})
    return 0


if __name__ == "__main__":
    common.run(main)
