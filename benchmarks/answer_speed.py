"""Benchmark: index time, query latency and a table of answers on a corpus.

    python -m benchmarks.answer_speed [--corpus DIR] [--questions FILE.jsonl] [--markdown]
                                      [--json OUT]

Indexes into a fresh temporary store (so every article is embedded), then asks each question
twice (the first pass warms caches) and prints p50/p95 latency and what came back; before
that, times ``search`` once per question. With the reader (the default answerer) it also
times the reader alone on each question's top ``reader_passages`` chunks, and asks every
question once more with the ``evidence`` answerer as the baseline of the same run (the
ratio is printed with the CPU). ``--json`` also writes the figures (``benchmarks.figures``
reads them).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from assistant.engine.config import load_config
from assistant.engine.service import Assistant
from benchmarks.common import cpu_line, latency, write_json

QUESTIONS = [
    ("en", "Who is the Secretary-General of the Organization of Turkic States?"),
    ("ru", "Кто генеральный секретарь Организации тюркских государств?"),
    ("de", "Wer ist der Generalsekretär der Organisation der Turkstaaten?"),
    ("tr", "Türk Devletleri Teşkilatı Genel Sekreteri kimdir?"),
    ("en", "Who led the Uzbek delegation?"),
    ("de", "Wer leitete die usbekische Delegation?"),
    ("ru", "Кто возглавлял делегацию Узбекистана?"),
    ("de", "Welche Firma besuchte die aserbaidschanische Delegation in Ankara?"),
    ("ru", "Что сказал Ведат Ишыкхан о сотрудничестве?"),
    ("tr", "Türkiye'nin çalışma bakanı Bakü'de ne dedi?"),
    ("en", "Who represented Kazakhstan at the Baku meeting?"),
    ("en", "What did the declaration of the first OTS labour ministers meeting provide for?"),
    ("ru", "Где прошло 12-е заседание совместной постоянной комиссии?"),
    ("en", "Who was Azerbaijan's labour minister in September 2023?"),
    ("de", "Was ist das DOST-Konzept?"),
    ("en", "What is the population of Uzbekistan?"),
    ("en", "What is the capital of France?"),
    ("ru", "Когда пройдет чемпионат мира по футболу?"),
    ("de", "Wie hoch ist die Inflation in Deutschland?"),
    ("tr", "Azerbaycan'ın nüfusu ne kadar?"),
    ("en", "Was the contaminated Azerbaijani oil cleaned up?"),
]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.answer_speed", description=__doc__)
    p.add_argument("--corpus")
    p.add_argument("--questions", help='JSONL with {"question": ..., "lang": ...} lines')
    p.add_argument("--markdown", action="store_true", help="print the answers as a table")
    p.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    args = p.parse_args(argv)
    questions = QUESTIONS
    if args.questions:
        rows = [json.loads(x) for x in Path(args.questions).read_text().splitlines() if x.strip()]
        questions = [(r.get("lang", "?"), r["question"]) for r in rows]
    with tempfile.TemporaryDirectory() as store:
        cfg = load_config(corpus=args.corpus, store=store)
        app = Assistant(cfg)
        t0 = time.perf_counter()
        _ = app.embedders
        t_load = time.perf_counter() - t0
        report = app.index()
        t1 = time.perf_counter()
        app.ask(questions[0][1])  # loads the keyword index, warms the models
        t_first = time.perf_counter() - t1
        search_ms = []
        for _, q in questions[1:]:  # first time each question is seen: nothing cached
            t = time.perf_counter()
            app.search(q)
            search_ms.append((time.perf_counter() - t) * 1000)
        app.retriever._qcache.clear()
        answers, first_wall = [], []
        for _, q in questions:  # first time asked; warms caches (sentence vectors)
            t = time.perf_counter()
            answers.append(app.ask(q))
            first_wall.append((time.perf_counter() - t) * 1000)
        again = []
        for _, q in questions:
            t = time.perf_counter()
            app.ask(q)
            again.append((time.perf_counter() - t) * 1000)
        cold = [a.timings_ms["retrieve"] + a.timings_ms["answer"] for a in answers]
        reader, baseline = time_reader(app, [q for _, q in questions])
    search, first, asked = latency(search_ms), latency(cold), latency(again)
    print(f"models loaded in {t_load:.1f} s; indexed {report.articles} articles "
          f"({report.chunks} chunks) in {report.seconds:.1f} s; first question {t_first:.2f} s")
    print(f"search latency over {search['n']} new questions: p50 {search['p50']:.0f} ms, "
          f"p95 {search['p95']:.0f} ms, max {search['max']:.0f} ms")
    print(f"latency over {first['n']} questions, first asked: p50 {first['p50']:.0f} ms, "
          f"p95 {first['p95']:.0f} ms, max {first['max']:.0f} ms; asked again (cached "
          f"vectors): p50 {asked['p50']:.0f} ms, p95 {asked['p95']:.0f} ms")
    if reader:
        ra = app.reader_answerer
        print(f"reader ({ra.reader.backend}, {ra.passages} passages) "
              f"alone: p50 {reader['p50']:.0f} ms, p95 {reader['p95']:.0f} ms; ask with the "
              f"reader p50 {asked['p50']:.0f} ms vs the evidence answerer {baseline['p50']:.0f} "
              f"ms in the same run (x{asked['p50'] / baseline['p50']:.2f}); {cpu_line()}")
    write_json(args.json, {
        "questions": len(questions), "corpus": cfg.corpus, "embedders": list(cfg.embedders),
        "load_s": round(t_load, 2), "articles": report.articles, "chunks": report.chunks,
        "index_s": round(report.seconds, 2), "first_question_s": round(t_first, 2),
        "search_ms": search, "ask_first_ms": first, "ask_first_wall_ms": latency(first_wall),
        "ask_again_ms": asked, "reader_ms": reader, "ask_evidence_ms": baseline})
    if args.markdown:
        print("\n| lang | question | answerable | answer (first 110 chars) | cited articles |")
        print("|---|---|---|---|---|")
        for (lang, q), a in zip(questions, answers, strict=True):
            cited = ", ".join(sorted({f"{c.article_id[:3]} ({c.lang})" for c in a.citations}))
            text = " ".join(a.text.split())[:110].replace("|", "/")
            print(f"| {lang} | {q} | {a.answerable} | {text} | {cited} |")


def time_reader(app: Assistant, questions: list[str]) -> tuple[dict | None, dict | None]:
    """(the reader alone on each question's top chunks, ask with the evidence answerer) in ms;
    (None, None) when the reader is not the configured answerer."""
    from dataclasses import replace

    if app.config.answerer != "reader":
        return None, None
    reader, k = app.reader_answerer.reader, app.reader_answerer.passages
    read_ms = []
    for q in questions:
        cands = app.retriever.candidates(q, app.config.k)
        t = time.perf_counter()
        reader.read(q, [c.chunk.text for c in cands[:k]])
        read_ms.append((time.perf_counter() - t) * 1000)
    config = app.config
    app.config = replace(config, answerer="evidence")
    try:
        app.ask(questions[0])  # warm the evidence answerer's models
        base = []
        for q in questions:
            t = time.perf_counter()
            app.ask(q)
            base.append((time.perf_counter() - t) * 1000)
    finally:
        app.config = config
    return latency(read_ms), latency(base)


if __name__ == "__main__":
    from benchmarks import common

    common.run(main)
