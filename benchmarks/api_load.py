"""Benchmark: answer latency of the HTTP API and the page, one chat alone and 20 at once.

    python -m benchmarks.api_load [--clients 20] [--rounds 3] [--json OUT]

Starts `python -m assistant serve` on the bundled corpus (a fresh temporary store), then
runs the same conversations twice: one client at a time (the baseline), and ``--clients``
at once, mixing the three ways in: /api/ask (httpx), /v1/chat/completions streamed (the
openai client) and the page's own endpoint (gradio_client). Every conversation has its own
history, and every answer is checked for the fact its question asks (so cross-talk between
sessions, or a failed request, is counted). Prints p50/p95 of the complete answer alone and
under load, their ratio, failures, and the server's memory (RSS after the warm-up question
and after the load), with the CPU; ``--json`` also writes them, for ``benchmarks.figures``.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks import common

ROOT = Path(__file__).resolve().parents[1]
SG = "Who is the Secretary-General of the Organization of Turkic States?"
# (history, question, any of these in the answer): each client runs one conversation
CONVERSATIONS = [
    ((), SG, ("Omuraliev", "Омуралиев")),
    ((SG,), "And who led the Uzbek delegation?", ("Abruyev",)),
    ((), "Кто генеральный секретарь ОТГ?", ("Омуралиев", "Omuraliev")),
    (("Who led the Uzbek delegation?",), "And who is the Secretary-General of the OTS?",
     ("Omuraliev", "Омуралиев")),
]
WAYS = ("api", "openai", "page")


def ask_once(url: str, way: str, history: tuple, question: str) -> str:
    """One question through one way in; the answer's text."""
    if way == "api":
        import httpx

        r = httpx.post(f"{url}/api/ask", json={"question": question, "history": list(history)},
                       timeout=300)
        r.raise_for_status()
        return r.json()["answer"]
    if way == "openai":
        import openai

        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0,
                               timeout=300)
        msgs = [m for q in history for m in ({"role": "user", "content": q},
                                              {"role": "assistant", "content": "..."})]
        stream = client.chat.completions.create(
            model="news-assistant", stream=True,
            messages=[*msgs, {"role": "user", "content": question}])
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        return text.split("\n\nSources:")[0]
    from gradio_client import Client

    # the page's JSON endpoint has no history: it gets the standalone question
    return Client(f"{url}/", verbose=False).predict(
        " ".join(history[-1:]) + " " + question if history else question,
        api_name="/ask")["answer"]


def conversation(i: int) -> tuple[str, tuple, str, tuple]:
    """Client ``i``'s way in and conversation: (way, history, question, facts)."""
    way = WAYS[i % len(WAYS)]
    history, question, facts = CONVERSATIONS[i % len(CONVERSATIONS)]
    if way == "page":  # the page's JSON endpoint takes standalone questions only
        history, question, facts = CONVERSATIONS[(i // 2 % 2) * 2]
    return way, history, question, facts


def run_client(url: str, i: int, rounds: int) -> tuple[list[float], list[str]]:
    """Client ``i`` asks its question ``rounds`` times: (latencies in ms, failures)."""
    way, history, question, facts = conversation(i)
    lat, failures = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        try:
            text = ask_once(url, way, history, question)
            if not any(f in text for f in facts):
                failures.append(f"client {i} ({way}): {question!r} got {text[:80]!r}")
        except Exception as exc:  # noqa: BLE001 - a failure is what is counted here
            failures.append(f"client {i} ({way}): {type(exc).__name__}: {exc}")
        lat.append((time.perf_counter() - t0) * 1000)
    return lat, failures


def chats(url: str, clients: int, rounds: int) -> tuple[list[float], list[str]]:
    """``clients`` at once, each asking ``rounds`` times: (latencies in ms, failures)."""
    results: list[tuple[list[float], list[str]]] = [([], [])] * clients

    def client(i: int) -> None:
        results[i] = run_client(url, i, rounds)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ([x for lat, _ in results for x in lat], [f for _, fs in results for f in fs])


def server_memory(url: str) -> dict[str, int]:
    """The memory figures (MB) of the `serve` process listening on ``url``'s port."""
    port = url.rsplit(":", 1)[1].split("/")[0]
    for cmd in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmd.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in args and port.encode() in args:
            return common.proc_memory(cmd.parent.name)
    return common.proc_memory("0")  # none found: zeros


def main() -> int:
    from benchmarks.page_speed import running_server

    ap = common.bench_parser("python -m benchmarks.api_load", __doc__)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    args = ap.parse_args()
    corpus = ROOT / "corpus" / "articles"
    with tempfile.TemporaryDirectory() as tmp, running_server(
            corpus, Path(tmp) / "store", Path(tmp) / "serve.log", timeout=600) as url:
        url = url.rstrip("/")
        ask_once(url, "api", (), SG)  # warm
        idle = server_memory(url)
        alone, fail_alone = [], []
        for i in range(len(WAYS) * len(CONVERSATIONS)):  # every client's question, alone
            lat, failed = run_client(url, i, 1)
            alone += lat
            fail_alone += failed
        loaded, fail_load = chats(url, args.clients, args.rounds)
        after = server_memory(url)
    one, many = common.latency(alone), common.latency(loaded)
    print(f"CPU: {common.cpu_line()}")
    print(f"{'':22s}{'n':>5s}{'p50 ms':>9s}{'p95 ms':>9s}{'failed':>8s}")
    for name, lat, failed in (("one chat alone", one, fail_alone),
                              (f"{args.clients} chats at once", many, fail_load)):
        print(f"{name:22s}{lat['n']:5d}{lat['p50']:9.0f}{lat['p95']:9.0f}{len(failed):8d}")
    print(f"under load / alone: p50 x{many['p50'] / one['p50']:.1f}, "
          f"p95 x{many['p95'] / one['p95']:.1f}")
    print("server memory, MB: after one question {VmRSS} (its own {RssAnon}, mapped files "
          "{RssFile}); after the load {0[VmRSS]}, peak {0[VmHWM]}".format(after, **idle))
    common.write_json(args.json, {
        "clients": args.clients, "rounds": args.rounds, "alone_ms": one, "load_ms": many,
        "failed_alone": len(fail_alone), "failed_load": len(fail_load),
        "memory_after_one_mb": idle, "memory_after_load_mb": after})
    for f in (fail_alone + fail_load)[:10]:
        print("  failed:", f, file=sys.stderr)
    return 1 if fail_alone or fail_load else 0


if __name__ == "__main__":
    common.run(main)
