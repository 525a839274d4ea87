"""The store at scale as a picture: latency and memory against the number of chunks, log-log,
from the ``results.json`` of one or more ``benchmarks.store_scale`` runs.

    python -m benchmarks.scale_plot out/store-scale/results.json out/store-scale-1m/results.json
        [--out docs/scale.png]

Left: search and ask p95 (warm) and a cold ``ask`` (seconds from the shell, as ms); right:
the product's RSS after the questions and the Chroma server's. Folder stores solid, server
stores dashed. Also prints every row as the store_scale table, with the CPU of each run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks import common
from benchmarks.store_scale import table


def load(paths: list[str]) -> tuple[list[dict], list[str]]:
    rows, cpus = [], []
    for p in paths:
        got = json.loads(Path(p).read_text(encoding="utf-8"))
        cpus.append(f"{p}: {got['cpu']}")
        rows += [r for r in got["rows"] if "error" not in r.get("index", {})
                 and "error" not in r.get("query", {"error": 1})]
    return sorted(rows, key=lambda r: (r["kind"], r["index"]["chunks"])), cpus


def draw(rows: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (lat, mem) = plt.subplots(1, 2, figsize=(11, 4.2))
    for kind, style in (("folder", "-"), ("server", "--")):
        mine = [r for r in rows if r["kind"] == kind]
        if not mine:
            continue
        x = [r["index"]["chunks"] for r in mine]
        cold = [min(c[0] for c in r["cold_ask_s"] if isinstance(c, list)) * 1000 for r in mine]
        for label, ys, color in (
                ("search p95", [r["query"]["search_ms"][1] for r in mine], "tab:blue"),
                ("ask p95", [r["query"]["ask_ms"][1] for r in mine], "tab:orange"),
                ("cold ask", cold, "tab:gray")):
            lat.plot(x, ys, style, marker="o", color=color, label=f"{label}, {kind}")
        mem.plot(x, [r["query"]["rss_mb"] for r in mine], style, marker="o", color="tab:green",
                 label=f"product, {kind}")
        if kind == "server":
            mem.plot(x, [r["chroma_rss_mb"] for r in mine], style, marker="s",
                     color="tab:purple", label="Chroma server")
    for ax, title, unit in ((lat, "latency", "ms"), (mem, "resident memory", "MB")):
        ax.set(xscale="log", yscale="log", xlabel="chunks in the store", ylabel=unit,
               title=title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    for ax, y, text in ((mem, 1536, "product RSS target 1.5 GB"),
                        (lat, 200, "search p95 target (1M, server)"),
                        (lat, 500, "ask p95 target (1M, server)")):
        ax.axhline(y, color="red", lw=0.8, ls=":")
        ax.annotate(text, (ax.get_xlim()[0], y), fontsize=7, color="red", xytext=(4, 3),
                    textcoords="offset points")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.scale_plot", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", nargs="+", help="results.json of benchmarks.store_scale runs")
    ap.add_argument("--out", default="docs/scale.png")
    args = ap.parse_args(argv)
    rows, cpus = load(args.results)
    if not rows:
        raise SystemExit("error: no measured row in those files: run benchmarks.store_scale.")
    draw(rows, Path(args.out))
    print("\n".join(cpus) + "\n\n" + table(rows) + f"\n\nplot: {args.out}")
    return 0


if __name__ == "__main__":
    common.run(main)
