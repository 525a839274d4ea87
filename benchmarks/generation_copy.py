"""What a folder store's generation costs an ``index`` run: the copy of the published
generation it starts from (``index/generations.py``), measured on a synthetic generation of
the sizes asked (a Chroma-like SQLite database of blobs beside binary HNSW-like files) and on
a real store when one is given; the baseline in the same run is a plain ``cp -r``.

    python -m benchmarks.generation_copy [--mb 512] [--store STORE]

Prints MB/s for both and the time a store of each size would take (2.9 GB is the folder
store at 100k chunks, README), with the CPU.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.common import cpu_line
from index.generations import copy_tree


def synthetic(folder: Path, mb: int) -> int:
    """A generation of about ``mb`` MB: half a SQLite table of 4 KB blobs, half two binary
    files; returns its size in bytes."""
    (folder / "chroma" / "segment").mkdir(parents=True)
    db = sqlite3.connect(folder / "chroma" / "chroma.sqlite3")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, v BLOB)")
    rows = mb * 1024 // 8
    db.executemany("INSERT INTO rows (v) VALUES (?)", ((os.urandom(4096),) for _ in range(rows)))
    db.commit()
    db.close()
    for name in ("data_level0.bin", "link_lists.bin"):
        with open(folder / "chroma" / "segment" / name, "wb") as f:
            for _ in range(mb // 4):
                f.write(os.urandom(1 << 20))
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def timed(fn, *args) -> float:
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


def measure(src: Path, scratch: Path, label: str) -> None:
    size = sum(p.stat().st_size for p in src.rglob("*") if p.is_file()) / 1e6
    dst = scratch / "copy"
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir()
    ours = timed(copy_tree, src, dst)
    shutil.rmtree(dst)
    plain = timed(lambda: subprocess.run(["cp", "-r", str(src), str(dst)], check=True))
    shutil.rmtree(dst)
    print(f"| {label} | {size:,.0f} MB | {ours:.2f} s ({size / ours:,.0f} MB/s) | "
          f"{plain:.2f} s ({size / plain:,.0f} MB/s) | {ours / plain:.2f}x | "
          f"{2900 / (size / ours):.0f} s |")


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.generation_copy",
                                 description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=512, help="size of the synthetic generation")
    ap.add_argument("--store", help="also copy this store's published generation")
    args = ap.parse_args()
    print(cpu_line())
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as tmp:
        scratch = Path(tmp)
        print("| generation | size | copy_tree (SQLite backup + files) | cp -r | ratio | "
              "2.9 GB at this rate |")
        print("|---|---:|---:|---:|---:|---:|")
        if args.store:
            from index import Store

            measure(Store(args.store).data_dir, scratch, args.store)
        gen = scratch / "synthetic"
        gen.mkdir()
        synthetic(gen, args.mb)
        measure(gen, scratch, "synthetic")


if __name__ == "__main__":
    main()
