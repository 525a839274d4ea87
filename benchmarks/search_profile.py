"""Where a warm search's time goes on a store that ``benchmarks.store_scale --keep`` kept:
`chroma run` on its data again (on the port its reader cache was made for, so the cache and
its keyword index are reused), then cProfile over --questions held-out searches.

    python -m benchmarks.search_profile [--base out/store-scale-1m/server-1000000]
        [--questions 40] [--top 30]

Prints the CPU, search p50/p95 and the functions by cumulative time.
"""

from __future__ import annotations

import cProfile
import io
import pstats
from pathlib import Path

import numpy as np

from benchmarks import common
from benchmarks.common import bench_parser
from benchmarks.store_scale import chroma_server, gold_set, reader_app, timed


def profile(base: Path, xquad: Path, questions: int, top: int) -> str:
    caches = sorted((base / "reader" / "stores").glob("127.0.0.1-*"))
    if not (base / "chroma-data").is_dir() or not caches:
        raise SystemExit(f"error: {base} holds no kept server store with a reader cache; run "
                         "benchmarks.store_scale --kinds server --keep first.")
    port = int(caches[0].name.split("-")[1])
    with chroma_server(base / "chroma-data", base / "profile-chroma.log", port) as (_, url):
        app = reader_app({"kind": "server", "store": url, "base": str(base)})
        qs = [q for _, q, _ in gold_set(xquad)[1]]
        for q in qs[:5]:  # warm-up
            app.search(q, k=5)
        prof = cProfile.Profile()
        ms, _ = timed(lambda q: prof.runcall(app.search, q, k=5), qs[5:5 + questions], app)
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
    p50, p95 = np.percentile(ms, [50, 95])
    return (f"{common.cpu_line()}\n{len(ms)} searches: p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
            f"mean {np.mean(ms):.0f} ms\n{out.getvalue()}")


def main(argv: list[str] | None = None) -> int:
    ap = bench_parser("python -m benchmarks.search_profile", __doc__)
    ap.add_argument("--base", default="out/store-scale-1m/server-1000000")
    ap.add_argument("--questions", type=int, default=40)
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args(argv)
    print(profile(Path(args.base).resolve(), Path(args.xquad), args.questions, args.top))
    return 0


if __name__ == "__main__":
    common.run(main)
