"""How fast a store takes chunks whose vectors are given (the write path of ``index``), by
store layout, against the layout before issue 31 in the same run.

    python -m benchmarks.write_path [--chunks 20000] [--kinds folder,server]
        [--layouts all] [--json OUT]

Synthetic articles of 6-12 XQuAD sentences (paragraphs 120-239, en/de/ru/tr/es, as
``benchmarks.store_scale``) are chunked as ``index`` chunks them and written through
``Store.add`` for e5-small (384-d) and USE (512-d) in groups of about 256 chunks (``index``'s
batch), with seeded random unit vectors in place of the models' (the models' time is not the
store's). Each layout writes into a fresh store: a folder, or a fresh ``chroma run`` server.
Layouts:
- ``both graphs``: every sentence vector of both embedders in an HNSW graph (store layout 2);
- ``USE's graph only``: e5's sentence vectors kept inside their chunk (``index.sentvecs``);
- ``no sentence graph``: both embedders' kept inside their chunk (store layout 3: the
  product; retrieval scores the sentences of the chunks its other channels found);
- the same with cheaper graphs: ``ef_construction`` 50 (Chroma's default 100), or a larger
  ``batch_size``/``sync_threshold`` (fewer, larger flushes of the graph to disk).
Prints chunks/s, the ratio to ``both graphs`` and the disk used, with the CPU.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

import index.store
from benchmarks.common import bench_parser, cpu_line, write_json
from benchmarks.store_scale import chroma_server, pool_sentences, say, synthetic
from index import RemoteStore, Store, chunk_article, chunk_sentences

DEFAULT_HNSW = {"space": "cosine"}
CHEAP = {**DEFAULT_HNSW, "ef_construction": 50}
LAYOUTS = {  # name: (embedders whose sentences get a graph, HNSW settings)
    "both graphs": ({"e5-small", "use"}, DEFAULT_HNSW),
    "USE's graph only": ({"use"}, DEFAULT_HNSW),
    "no sentence graph": (set(), DEFAULT_HNSW),
    "no sentence graph, ef_construction 50": (set(), CHEAP),
    "no sentence graph, batch 1000 / sync 10000": (set(), {**DEFAULT_HNSW, "batch_size": 1000,
                                                           "sync_threshold": 10000}),
}
DIMS = {"e5-small": 384, "use": 512}


def groups(articles, size: int = 256):
    """(sha256, chunks) pairs in groups of about ``size`` chunks."""
    group, n = [], 0
    for a in articles:
        chunks = chunk_article(a)
        group.append((a.sha256, chunks))
        n += len(chunks)
        if n >= size:
            yield group
            group, n = [], 0
    if group:
        yield group


def unit(rng, n: int, dim: int) -> np.ndarray:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def load(store, batches, searched: set[str]) -> tuple[int, float]:
    """Write every group as ``index`` does; (chunks, seconds)."""
    rng, chunks, t0 = np.random.default_rng(0), 0, time.perf_counter()
    for group in batches:
        n = sum(len(cs) for _, cs in group)
        n_sents = sum(len(chunk_sentences(c)) for _, cs in group for c in cs)
        for name, dim in DIMS.items():
            store.add(name, "bench", group, unit(rng, n, dim), unit(rng, n_sents, dim),
                      searched=name in searched)
        chunks += n
    return chunks, time.perf_counter() - t0


def disk_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def measure(kind: str, layout: str, batches, base: Path) -> dict:
    searched, hnsw = LAYOUTS[layout]
    index.store.HNSW = hnsw
    data = base / f"{kind}-{len(list(base.iterdir()))}"
    with contextlib.ExitStack() as stack:
        if kind == "server":
            _, url = stack.enter_context(chroma_server(data, base / "chroma.log"))
            store = RemoteStore(url, cache=base / "cache")
        else:
            store = Store(data)
        with store.locked(exclusive=True):
            _ = store.manifest  # as an index run does first
            chunks, secs = load(store, batches, searched)
        store.close()
    mb = disk_mb(data)
    shutil.rmtree(data, ignore_errors=True)
    return {"kind": kind, "layout": layout, "chunks": chunks, "seconds": round(secs, 1),
            "chunks_per_s": round(chunks / secs, 1), "disk_mb": round(mb, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = bench_parser("python -m benchmarks.write_path", __doc__)
    ap.add_argument("--chunks", type=int, default=20000, help="about this many chunks")
    ap.add_argument("--kinds", default="folder,server")
    ap.add_argument("--layouts", default="all", help="names from LAYOUTS, comma-separated")
    ap.add_argument("--json", metavar="OUT")
    args = ap.parse_args(argv)
    layouts = list(LAYOUTS) if args.layouts == "all" else args.layouts.split(",")
    pool = pool_sentences(Path(args.xquad))
    batches, total = [], 0
    for group in groups(synthetic(pool, 10**9, seed=1)):
        batches.append(group)
        total += sum(len(cs) for _, cs in group)
        if total >= args.chunks:
            break
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.kinds.split(","):
            for layout in layouts:
                say(f"{kind}: {layout}")
                rows.append(measure(kind, layout, batches, Path(tmp)))
    print(f"{cpu_line()}; {total} chunks, "
          f"{sum(len(chunk_sentences(c)) for g in batches for _, cs in g for c in cs)} sentences")
    print("| store | layout | chunks/s | x both graphs | s | disk MB |")
    print("|---|---|---:|---:|---:|---:|")
    for r in rows:
        base = next(b for b in rows if b["kind"] == r["kind"])
        print(f"| {r['kind']} | {r['layout']} | {r['chunks_per_s']} | "
              f"{r['chunks_per_s'] / base['chunks_per_s']:.2f} | {r['seconds']} | "
              f"{r['disk_mb']} |")
    write_json(args.json, {"machine": cpu_line(), "rows": rows})
    return 0


if __name__ == "__main__":
    from benchmarks import common

    common.run(main)
