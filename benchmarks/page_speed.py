"""Benchmark: how fast the chat page shows an answer, in a real browser.

    python -m benchmarks.page_speed [--corpus DIR] [--rounds N] [--json OUT]

Starts `python -m assistant serve` on a fresh temporary store (indexing the corpus), opens
the page in headless Chromium (Debian's /usr/bin/chromium, through Playwright; a dev
dependency) and asks the questions of ``benchmarks.answer_speed``; for each it records the time from
the click to the first streamed answer text and to the complete answer. The baseline is the
same server's plain JSON endpoint (``/ask`` through gradio_client, no streaming), asked the
same questions in the same run; figures are printed as medians, p95 and ratios to it
(``--json`` also writes them, for ``benchmarks.figures``).

The browser tests (tests/ui) use the same helpers: ``running_server``, ``launch_chromium``,
``ask_in_page``.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
ROOT = Path(__file__).resolve().parents[1]
WAIT_MS = 60_000

# Records the last answer bubble's states (ms since the click, complete?, text length) while
# a question is answered; returns how many answers were on the page before it.
WATCH_JS = """() => {
  if (window.__obs) window.__obs.disconnect();
  window.__states = [];
  window.__t0 = performance.now();
  const chat = document.querySelector('#chat');
  const n0 = chat.querySelectorAll('.answer, .refusal').length;
  const obs = window.__obs = new MutationObserver(() => {
    const all = chat.querySelectorAll('.answer, .refusal');
    if (all.length <= n0) return;
    const last = all[all.length - 1];
    window.__states.push([performance.now() - window.__t0, last.classList.contains('done'),
                          last.textContent.length]);
  });
  obs.observe(chat, {subtree: true, childList: true, characterData: true});
  return n0;
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(corpus: Path, store: Path, log_path: Path, *extra: str,
                   timeout: float = 300) -> Iterator[str]:
    """`python -m assistant serve` on ``corpus``/``store`` until the page answers; yields
    its URL and stops it afterwards."""
    port = free_port()
    with open(log_path, "w+") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--corpus", str(corpus), "--store",
             str(store), "--port", str(port), *extra],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True)
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.time() + timeout
            while True:
                if proc.poll() is not None or time.time() > deadline:
                    log.seek(0)
                    raise RuntimeError("the server did not start:\n" + log.read())
                try:
                    with urllib.request.urlopen(url, timeout=5) as page:
                        if page.status == 200:
                            break
                except OSError:
                    time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def launch_chromium(playwright):
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium "
                           "(apt-get install -y chromium chromium-driver; `make test` does).")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=CHROMIUM_ARGS)


def ask_in_page(pg, question: str) -> dict:
    """Ask through the text box and wait for the complete answer (or refusal); returns the
    ms to the first answer text and to the complete answer, and every state seen."""
    # the page's load event has filled the overview: the chat is mounted for good
    pg.wait_for_selector("#overview .overview", timeout=WAIT_MS)
    pg.wait_for_selector("#chat", timeout=WAIT_MS)
    pg.fill("#question textarea", question)
    n0 = pg.evaluate(WATCH_JS)
    pg.click("#ask")
    pg.wait_for_function(
        f"document.querySelectorAll('#chat .answer.done, #chat .refusal.done').length > {n0}",
        timeout=WAIT_MS)
    states = pg.evaluate("window.__states")
    first = next(s[0] for s in states if s[2] > 0)
    done = next(s[0] for s in states if s[1])
    return {"question": question, "first_text_ms": round(first), "complete_ms": round(done),
            "states": states}


def main(argv: list[str] | None = None) -> int:
    from gradio_client import Client
    from playwright.sync_api import sync_playwright

    from benchmarks.answer_speed import QUESTIONS
    from benchmarks.common import latency, write_json

    ap = argparse.ArgumentParser(prog="python -m benchmarks.page_speed", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(ROOT / "corpus" / "articles"))
    ap.add_argument("--rounds", type=int, default=2, help="times each question is asked")
    ap.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    args = ap.parse_args(argv)
    questions = [q for _, q in QUESTIONS]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        with running_server(Path(args.corpus), Path(tmp) / "store", Path(tmp) / "log") as url:
            server_up = time.perf_counter() - t0
            print(f"server up in {server_up:.1f} s (indexing, models)")
            client = Client(url, verbose=False)
            api = []
            for _ in range(args.rounds):
                for q in questions:
                    t = time.perf_counter()
                    client.predict(q, api_name="/ask")
                    api.append((time.perf_counter() - t) * 1000)
            first, done = [], []
            with sync_playwright() as p:
                browser = launch_chromium(p)
                pg = browser.new_page(viewport={"width": 1280, "height": 900})
                pg.goto(url)
                pg.wait_for_selector("#question textarea", timeout=WAIT_MS)
                for _ in range(args.rounds):
                    for q in questions:
                        r = ask_in_page(pg, q)
                        first.append(r["first_text_ms"])
                        done.append(r["complete_ms"])
                    pg.click("#clear")
                browser.close()
    figures = {"api_ms": latency(api), "first_text_ms": latency(first),
               "complete_ms": latency(done)}
    base = figures["api_ms"]["p50"]
    print(f"{len(questions)} questions x {args.rounds} rounds, bundled corpus" if
          args.corpus.endswith("articles") else f"{len(questions)} questions x {args.rounds}")
    print(f"{'':34s}{'median ms':>10s}{'p95 ms':>9s}{'x /ask':>8s}")
    for name, key in (("/ask JSON endpoint (baseline)", "api_ms"),
                      ("page: first streamed answer text", "first_text_ms"),
                      ("page: complete answer", "complete_ms")):
        x = figures[key]
        print(f"{name:34s}{x['p50']:10.0f}{x['p95']:9.0f}{x['p50'] / base:8.2f}")
    write_json(args.json, {"questions": len(questions), "rounds": args.rounds,
                           "corpus": args.corpus, "server_up_s": round(server_up, 1),
                           **figures})
    return 0


if __name__ == "__main__":
    from benchmarks import common

    common.run(main)
