"""The store at scale: load rate, warm search/ask latency, cold start, memory, disk and hit@5
at 10k and 100k (or 1M) chunks, for the folder store and for a real Chroma server.

    python -m benchmarks.store_scale [--sizes 10000,100000] [--kinds folder,server]
        [--out out/store-scale] [--asks 40] [--skip-links] [--keep] [--reuse]

Not the embedders' time: real sentences (XQuAD paragraphs 120-239, en/de/ru/tr/es) embedded
once by the real models are cached in OUT/pool.npz; each size goes into a fresh store through
the product's ``index_articles`` with stand-in embedders having the real models' ``name`` and
``version`` (the collections are the real ones; questions use the real models), whose
``encode_documents`` gives a text's own real vector if cached, else the L2-normalised mean of
the real vectors of the pool sentences it is made of. An article: one language, 6-12 pool
sentences in paragraphs of 2-4, titled by its first, dated 2024-2025. hit@5: 120 XQuAD
questions on paragraphs 0-119 (60 en, 30 de, 30 ru), gold paragraphs with their real vectors.
Each step is a process stopped past --max-rss-gb or --timeout-min: index; open (a reader's
first open: a server's from an empty cache, "a second machine"); query (a warm-up, every
question through ``search``, --asks through ``ask``, then VmRSS); then two cold
``python -m assistant ask --json --no-server`` (seconds and peak RSS).
Load rate = chunks / (index wall time - links time). 1M chunks on 2 cores: about 2 h to load
a server store and 38 KB of disk a chunk; pass --keep, then --reuse to measure again.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
from tqdm import tqdm

import index
import index.pipeline
from assistant.engine.config import load_config
from assistant.engine.service import Assistant
from benchmarks import common
from benchmarks.common import bench_parser, load_xquad
from benchmarks.page_speed import free_port
from corpus import Article, sentence_spans
from index.embedders.e5build import default_cache
from index.embedders.e5engine import cpu_features, cpu_model

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("en", "de", "ru", "tr", "es")
EMBEDDERS = ("e5-small", "use")
GOLD = (("en", range(0, 60)), ("de", range(60, 90)), ("ru", range(90, 120)))
COLUMNS = ("size", "kind", "chunks", "articles", "load chunks/s", "index s", "keyword s",
           "links s (n)", "publish s", "first open s (peak)", "search p50/p95 ms",
           "ask p50/p95 ms", "cold ask s (peak RSS; 1st/2nd)", "RSS MB product",
           "RSS MB chroma", "disk MB", "hit@5")


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def make_article(aid: str, lang: str, text: str, title: str, rng: random.Random) -> Article:
    date = time.strftime("%Y-%m-%d", time.gmtime(1704067200 + rng.randrange(731) * 86400))
    return Article(id=aid, title=title, text=text, date=date, lang=lang, source=f"{aid}.txt",
                   path=f"/synthetic/{aid}.txt", raw=text,
                   sha256=hashlib.sha256(f"{date}\n{title}\n{text}".encode()).hexdigest())


def gold_set(xquad: Path) -> tuple[list[Article], list[tuple[str, str, str]]]:
    data = load_xquad(xquad, [lang for lang, _ in GOLD])
    rng, arts, qs = random.Random(7), [], []
    for lang, paras in GOLD:
        first = {p: q for _, q, p in reversed(data[lang]["questions"])}  # a paragraph's 1st
        for p in paras:
            text, aid = data[lang]["paragraphs"][p], f"gold/{lang}/{p:03d}"
            s, e = sentence_spans(text)[0]
            arts.append(make_article(aid, lang, text, text[s:e], rng))
            qs.append((lang, first[p], aid))
    rng.shuffle(qs)
    return arts, qs


def pool_sentences(xquad: Path) -> dict[str, list[str]]:
    data = load_xquad(xquad, list(LANGS))
    return {lang: sorted({p[s:e] for p in data[lang]["paragraphs"][120:240]
                          for s, e in sentence_spans(p) if 20 <= e - s <= 600})
            for lang in LANGS}


def synthetic(pool: dict[str, list[str]], n: int, seed: int):
    rng = random.Random(seed)
    for i in range(n):
        lang = LANGS[i % len(LANGS)]
        sents = rng.sample(pool[lang], rng.randint(6, 12))
        paras, j = [], 0
        while j < len(sents):  # paragraphs of 2-4 sentences
            paras.append(" ".join(sents[j:(j := j + rng.randint(2, 4))]))
        yield make_article(f"syn/{lang}/{seed}-{i:07d}", lang, "\n\n".join(paras), sents[0],
                           rng)


def pool_worker(spec: dict) -> dict:
    """Real vectors of the pool sentences and of the gold chunks and their sentences."""
    embs = [index.load_embedder(n) for n in EMBEDDERS]
    versions = {e.name: e.version for e in embs}
    path = Path(spec["out"]) / "pool.npz"
    if path.is_file() and json.loads(str(np.load(path)["meta"]))["versions"] == versions:
        return {"pool": "cached"}
    pool = pool_sentences(Path(spec["xquad"]))
    chunks = [c for a in gold_set(Path(spec["xquad"]))[0] for c in index.chunk_article(a)]
    spans = [index.chunk_sentences(c) for c in chunks]
    sents = [s for lang in LANGS for s in pool[lang]]
    arrays = {}
    for e in embs:
        parts = [e.encode_documents(sents[i:i + 64]) for i in
                 tqdm(range(0, len(sents), 64), f"pool {e.name}", file=sys.stderr)]
        cv, sv = index.encode_with_spans(e, [c.text for c in chunks], spans)
        arrays[f"doc_{e.name}"] = np.vstack([*parts, cv]).astype(np.float32)
        arrays[f"span_{e.name}"] = np.asarray(sv, np.float32)
    meta = {"versions": versions, "sentences": {lang: len(pool[lang]) for lang in LANGS}}
    np.savez(path, doc_texts=np.array(sents + [c.text for c in chunks]),
             span_texts=np.array([c.text[s:e] for c, ss in zip(chunks, spans, strict=True)
                                  for s, e in ss]), meta=np.array(json.dumps(meta)), **arrays)
    return {"pool": "built", **meta}


class StandIn:
    """A real model's name and version, vectors from the cached real ones (see above)."""

    def __init__(self, name: str, version: str, pool) -> None:
        self.name, self.version = name, version
        self.docs = {t: i for i, t in enumerate(pool["doc_texts"].tolist())}
        self.spans = {t: i for i, t in enumerate(pool["span_texts"].tolist())}
        self.dvec, self.svec = pool[f"doc_{name}"], pool[f"span_{name}"]

    def _doc(self, text: str) -> np.ndarray:
        i = self.docs.get(text)
        if i is not None:
            return self.dvec[i]
        rows = [self.docs.get(text[s:e]) for s, e in sentence_spans(text)]
        hit = [r for r in rows if r is not None]
        v = self.dvec[hit].mean(0) if hit else self.dvec.mean(0)
        return v / np.linalg.norm(v)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return np.asarray([self._doc(t) for t in texts], np.float32)

    def encode_documents_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]
                                    ) -> tuple[np.ndarray, np.ndarray]:
        sv = [self.svec[self.spans[t[s:e]]] if t[s:e] in self.spans else self._doc(t[s:e])
              for t, ss in zip(texts, spans, strict=True) for s, e in ss]
        return self.encode_documents(texts), np.asarray(sv, np.float32)


def open_spec(spec: dict, cache: str) -> index.Store:
    return index.Store(spec["store"]) if spec["kind"] == "folder" else \
        index.RemoteStore(spec["store"], cache=Path(spec["base"]) / cache)


def vm_mb(pid: int | str = "self") -> dict:
    got = common.proc_memory(pid)
    return {"rss_mb": got["VmRSS"], "peak_mb": got["VmHWM"]}


def index_worker(spec: dict) -> dict:
    pool = np.load(Path(spec["out"]) / "pool.npz")
    embs = [StandIn(n, json.loads(str(pool["meta"]))["versions"][n], pool) for n in EMBEDDERS]
    sents, (gold, _) = pool_sentences(Path(spec["xquad"])), gold_set(Path(spec["xquad"]))
    per = statistics.mean(len(index.chunk_article(a)) for a in synthetic(sents, 300, seed=1))
    n = max(1, round((spec["size"] - sum(len(index.chunk_article(a)) for a in gold)) / per))
    at = {round((j + 0.5) * n / len(gold)): a for j, a in enumerate(gold)}  # spread out
    if spec["skip_links"]:
        index.pipeline.refresh_links = lambda store, names: 0

    def items():
        return tqdm((b for i, a in enumerate(synthetic(sents, n, seed=spec["size"]))
                     for b in ([at[i], a] if i in at else [a])), total=n + len(gold),
                    desc=f"index {spec['kind']} {spec['size']:,}", mininterval=15)

    store, t = open_spec(spec, "writer"), time.perf_counter()
    report = index.index_articles(items(), store, embs, None, 256)
    wall = time.perf_counter() - t
    return {"articles": report.articles, "chunks": report.chunks, "links": report.links,
            "pipeline_s": report.seconds, "wall_s": round(wall, 2), "timings": report.timings,
            "publish_s": round(wall - report.seconds, 2), **vm_mb()}


def timed(fn, questions: list[str], app: Assistant) -> tuple[list[float], list]:
    times, out = [], []
    for q in questions:
        app.retriever._qcache.clear()  # embed the question each time, as a new one would be
        t = time.perf_counter()
        out.append(fn(q))
        times.append((time.perf_counter() - t) * 1000)
    return times, out


def reader_app(spec: dict, embedders: list | None = None) -> Assistant:  # a reader's cache
    embs = [index.load_embedder(n) for n in EMBEDDERS] if embedders is None else embedders
    return Assistant(load_config(toml_path="/nonexistent", env={}, store=spec["store"]),
                     store=open_spec(spec, "reader"), embedders=embs)


def query_worker(spec: dict) -> dict:
    app = reader_app(spec)
    t = time.perf_counter()
    app.retriever  # noqa: B018 - a warm open (the open step made the cache)
    open_s = time.perf_counter() - t
    app.search("What did the government announce about the new budget?")  # warm-up
    qs = gold_set(Path(spec["xquad"]))[1]
    s_ms, hits = timed(lambda q: app.search(q, k=5), [q for _, q, _ in qs], app)
    found = [g in {h.chunk.article_id for h in hs[:5]} for (_, _, g), hs in zip(qs, hits,
                                                                               strict=True)]
    a_ms, _ = timed(app.ask, [q for _, q, _ in qs[:spec["asks"]]], app)
    rss = vm_mb()
    by_lang = {lang: round(float(np.mean([f for (lg, _, _), f in zip(qs, found, strict=True)
                                          if lg == lang])), 3) for lang, _ in GOLD}
    return {"open_s": round(open_s, 2), "hit5_by_lang": by_lang,
            "hit5": round(float(np.mean(found)), 3), **rss,
            **{f"{k}_ms": [round(float(np.percentile(ms, p)), 1) for p in (50, 95)]
               for k, ms in (("search", s_ms), ("ask", a_ms))}}


def run_step(kind: str, spec: dict, args, watch: list[int]) -> dict:
    """A worker's JSON and peak RSS (its and the watched ones'), stopped past the limits."""
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.store_scale", "--worker", kind,
                             json.dumps(spec)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    t0, peak, stop, out = time.perf_counter(), {"step_peak_mb": 0, "chroma_peak_mb": 0}, "", ""
    while not stop and not out:
        try:
            out = proc.communicate(timeout=3)[0] or " "
        except subprocess.TimeoutExpired:
            mine, theirs = vm_mb(proc.pid)["rss_mb"], sum(vm_mb(p)["rss_mb"] for p in watch)
            peak = {"step_peak_mb": max(peak["step_peak_mb"], mine),
                    "chroma_peak_mb": max(peak["chroma_peak_mb"], theirs)}
            if max(mine, theirs) > args.max_rss_gb * 1024:
                stop = f"stopped: RSS {mine:,} MB (chroma {theirs:,} MB) past the limit"
            elif time.perf_counter() - t0 > args.timeout_min * 60:
                stop = f"stopped after {args.timeout_min} min"
    if stop:
        proc.kill()
        proc.wait()
    elif proc.returncode != 0 or not out.strip():
        stop = f"{kind} step exited {proc.returncode}"
    got = {"error": stop} if stop else json.loads(out.strip().splitlines()[-1])
    return {**got, **peak, "step_s": round(time.perf_counter() - t0, 1)}


@contextlib.contextmanager
def chroma_server(data: Path, log: Path, port: int = 0):  # `chroma run` answering: (proc, URL)
    port = port or free_port()
    with open(log, "w") as f:
        proc = subprocess.Popen([str(ROOT / ".venv/bin/chroma"), "run", "--path", str(data),
                                 "--port", str(port)], stdout=f, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            with contextlib.suppress(OSError), urllib.request.urlopen(
                    f"{url}/api/v2/heartbeat", timeout=2):
                break
            time.sleep(0.5)
        yield proc, url
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def cold(store: str, cache: Path | None, question: str) -> list | str:
    """[seconds from starting `python -m assistant ask --json` to its answer, its peak RSS
    in MB]."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(PYTHONPATH=str(ROOT), **({"ASSISTANT_CACHE": str(cache)} if cache else {}))
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "ask", "--json", "--no-server",
                             "--store", store, question], cwd=cache or store, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    took = round(time.perf_counter() - t, 2)
    return [took, usage.ru_maxrss // 1024] if status == 0 else f"failed: {err.strip()[-200:]}"


def open_worker(spec: dict) -> dict:
    """A reader's first open: a server store's from an empty cache (a new machine)."""
    t, app = time.perf_counter(), reader_app(spec, embedders=[])  # opened inside the timing
    app.store.generation()  # a server store: download the manifest, build the keyword index
    app.retriever  # noqa: B018 - opens the keyword index
    return {"open_s": round(time.perf_counter() - t, 2), **vm_mb()}


def measure(size: int, kind: str, args, base: Path, server=None) -> dict:
    row: dict = {"size": size, "kind": kind}
    spec = {"size": size, "kind": kind, "xquad": args.xquad, "out": args.out, "asks": args.asks,
            "skip_links": args.skip_links,
            "store": server[1] if server else str(base / "store"), "base": str(base)}
    saved = base / "index.json"  # the index step's figures, for --reuse
    if args.reuse and saved.is_file():
        row.update(index=json.loads(saved.read_text()), reused=True)
        shutil.rmtree(base / "reader", ignore_errors=True)
    else:
        row["index"] = run_step("index", spec, args, [server[0].pid] if server else [])
        saved.write_text(json.dumps(row["index"]))
    if "error" in row["index"]:
        return row
    say(f"{kind} {size:,}: indexed in {row['index']['wall_s']} s; querying, cold starts")
    if cache := (base / "reader" if server else None):  # its mirror; the usual models
        cache.mkdir(parents=True)
        (cache / "multilingual-e5-small").symlink_to(default_cache() / "multilingual-e5-small")
    row["open"] = run_step("open", spec, args, [server[0].pid] if server else [])
    row["query"] = run_step("query", spec, args, [server[0].pid] if server else [])
    if "error" in row["query"]:
        return row
    question = gold_set(Path(args.xquad))[1][0][1]  # the same one twice: OS caches warm
    row["cold_ask_s"] = [cold(spec["store"], cache, question) for _ in range(2)]
    if server:
        row["chroma_rss_mb"] = vm_mb(server[0].pid)["rss_mb"]
    row["disk_mb_by_folder"] = du = {d: round(sum(p.lstat().st_blocks * 512 for p in (
        base / d).rglob("*")) / 2**20, 1) for d in ("store", "chroma-data", "writer", "reader")}
    return {**row, "disk_mb": du["chroma-data" if server else "store"]}


def cells(r: dict) -> list[str]:
    ix, q, op = r.get("index", {}), r.get("query", {}), r.get("open", {})
    if "error" in ix or "error" in q or "error" in op:
        return [f"{r['size']:,}", r["kind"], ix.get("error") or op.get("error") or q["error"]]
    t = ix["timings"]
    links = "skipped" if r.get("skip_links") else f"{t.get('links', 0):.1f} ({ix['links']:,})"
    load = ix["chunks"] / max(ix["wall_s"] - t.get("links", 0), 1e-9)
    kind = r["kind"] + (" (store reused)" if r.get("reused") else "")
    return [f"{r['size']:,}", kind, f"{ix['chunks']:,}", f"{ix['articles']:,}",
            f"{load:,.0f}", f"{ix['wall_s']:.0f}", f"{t.get('keyword', 0):.1f}", links,
            f"{ix['publish_s']:.1f}" if r["kind"] == "server" else "-",
            f"{op['open_s']:.1f} ({op['peak_mb']:,} MB)",
            "{} / {}".format(*q["search_ms"]), "{} / {}".format(*q["ask_ms"]),
            " / ".join(f"{c[0]} ({c[1]:,} MB)" if isinstance(c, list) else c
                       for c in r["cold_ask_s"]),
            f"{q['rss_mb']:,} (peak {q['peak_mb']:,})",
            f"{r['chroma_rss_mb']:,} (peak {max(q['chroma_peak_mb'], ix['chroma_peak_mb']):,})"
            if "chroma_rss_mb" in r else "-", f"{r['disk_mb']:,.0f}", f"{q['hit5']:.3f}"]


def table(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    return "\n".join(lines + ["| " + " | ".join(cells(r)) + " |" for r in rows])


def main(argv: list[str] | None = None) -> int:
    ap = bench_parser("python -m benchmarks.store_scale", __doc__, "out/store-scale")
    ap.add_argument("--sizes", default="10000,100000", help="chunks per store, e.g. 1000000")
    ap.add_argument("--kinds", default="folder,server")
    ap.add_argument("--asks", type=int, default=40, help="questions timed through ask")
    ap.add_argument("--skip-links", action="store_true", help="leave out same-story linking")
    ap.add_argument("--keep", action="store_true", help="keep the stores afterwards")
    ap.add_argument("--reuse", action="store_true",
                    help="measure stores kept by an earlier --keep run without indexing again")
    ap.add_argument("--max-rss-gb", type=float, default=8.0)
    ap.add_argument("--timeout-min", type=float, default=40.0, help="per step")
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return print(json.dumps(globals()[f"{args.worker[0]}_worker"](json.loads(args.worker[1]))))
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    args.out, args.xquad = str(out), str(Path(args.xquad).resolve())
    cpu = f"CPU: {cpu_model()}; {os.cpu_count()} cores; {' '.join(cpu_features()) or '-'}"
    print(cpu, flush=True)
    say("pool: real vectors of the pool sentences and gold paragraphs")
    pool = run_step("pool", {"xquad": args.xquad, "out": args.out}, args, [])
    if "error" in pool:
        raise SystemExit(f"error: the pool step failed ({pool['error']})")
    rows: list[dict] = []
    for size in (int(s) for s in args.sizes.split(",")):
        for kind in args.kinds.split(","):
            base, t = out / f"{kind}-{size}", time.perf_counter()
            if not (args.reuse and (base / "index.json").is_file()):
                shutil.rmtree(base, ignore_errors=True)
            base.mkdir(parents=True, exist_ok=True)
            with (chroma_server(base / "chroma-data", base / "chroma.log") if kind == "server"
                  else contextlib.nullcontext()) as server:
                row = measure(size, kind, args, base, server)
            row.update(total_s=round(time.perf_counter() - t, 1), skip_links=args.skip_links)
            rows.append(row)
            if not args.keep:
                for sub in ("store", "chroma-data", "writer", "reader"):
                    shutil.rmtree(base / sub, ignore_errors=True)
            (out / "results.json").write_text(json.dumps({"cpu": cpu, "rows": rows}, indent=1))
            (out / "table.md").write_text(f"{cpu}\n\n{table(rows)}\n")
            say(f"{kind} {size:,} done in {row['total_s']} s: " + " | ".join(cells(row)))
    print(table(rows))
    return 0


if __name__ == "__main__":
    common.run(main)
