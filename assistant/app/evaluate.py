"""`assistant eval` and `assistant import-*`: the app composes eval with the engine.

eval scores any callable that speaks the answer contract; here that callable is the
in-process Assistant. The command and the page's Evaluation tab both call ``evaluate``, and
show what it returns through the same functions (``Evaluation.text``, ``Evaluation.html``):
one code path, the same figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from corpus import AssistantError
from corpus.jsonl import write_atomic
from eval import Gate, Record, by_language, check, load_baseline, load_testset, run, summarize
from eval.explain import question_rows, undiscriminating, verdict
from eval.report import render, report_body, text_report, write_report
from eval.testset import SEED

from .progress import ensure_indexed


class RegressionError(AssistantError):
    exit_code = 5


def run_on(app, items: list, guard=lambda call: call, progress: bool = True) -> list:
    """Ask every test question of an Assistant; ``guard`` wraps each call (the page
    serialises them with its store lock)."""
    return run(
        items,
        ask=guard(lambda q, history=(): app.ask(q, history=history).to_dict()),
        search=guard(lambda q, history=(): [h.chunk.article_id
                                            for h in app.search(q, k=10, history=history)]),
        texts=app.store.read_manifest().texts(),  # what citations quote, as indexed
        progress=progress,
    )


@dataclass
class Evaluation:
    """One run of a test set: its records, summaries and gate verdict, and the ways to show
    them (the command prints ``text``, the report is ``page``, the tab shows ``html``)."""

    testset: Path
    records: list[Record]
    summary: dict
    per_lang: dict[str, dict]
    gate: Gate | None = None
    titles: dict[str, str] = field(default_factory=dict)  # article id -> title
    missing: set[str] = field(default_factory=set)  # expected article ids not in the index

    @property
    def notes(self) -> list[str]:
        if not self.missing:
            return []
        return [f"{len(self.missing)} expected article id(s) are not in this index (e.g. "
                f"{sorted(self.missing)[0]}): this test set was written for another corpus."]

    def text(self, limit: int | None = 10, with_verdict: bool = True) -> str:
        """Every metric, the first ``limit`` failures with reasons, the two verdicts."""
        lines = [text_report(self.summary, self.per_lang, self.records, self.gate,
                             self.titles, limit, with_verdict)]
        return "\n".join(lines + [f"⚠️ {n}" for n in self.notes])

    def html(self, charts: bool = True) -> str:
        """The report as an HTML fragment (``div.ev-report``, styles included)."""
        return report_body(self.summary, self.per_lang, self.records, self.gate, self.titles,
                           self.notes, charts)

    def page(self) -> str:
        """The standalone report page (the same fragment under a title)."""
        return render(self.summary, self.per_lang, self.records,
                      f"Evaluation: {self.testset.name}", self.gate, self.titles, self.notes)

    def rows(self) -> list[list]:
        """One row per question, failures first, headed by ``QUESTION_HEADERS``."""
        return question_rows(self.records, self.titles)

    def to_json(self, config: dict) -> str:
        return json.dumps({"summary": self.summary, "by_language": self.per_lang,
                           "config": {"testset": str(self.testset), **config},
                           "records": [r.to_dict() for r in self.records]},
                          ensure_ascii=False, indent=1)


def evaluate(app, testset: str | Path | None = None, baseline: str | Path | None = None,
             tolerance: float | None = None, guard=lambda call: call,
             progress: bool = True, skip_unreviewed: bool = False) -> Evaluation:
    """Run a test set (default: the shipped one) on an indexed Assistant, from the state a
    fresh process has: models loaded by the same warm-up, no answer caches from questions
    asked before (a cached sentence vector differs slightly with the texts it was encoded
    beside, and the page's app has answered its warm-up and its visitors). ``baseline``, a
    summary saved with --json, adds the gate's verdict."""
    from eval.gate import TOLERANCE

    path = Path(testset or SEED)
    items = load_testset(path, skip_unreviewed)  # check the input before loading models
    base = load_baseline(baseline) if baseline else None

    def start() -> None:
        app.search("warm-up")  # load models and indexes before the first timed question
        app.forget_answers()

    guard(start)()
    records = run_on(app, items, guard=guard, progress=progress)
    summary = summarize(records)
    tolerance = TOLERANCE if tolerance is None else tolerance
    gate = check(summary, base, tolerance, _shown(baseline)) if base is not None else None
    cat = app.catalogue()
    known = {a["id"] for a in cat}
    per_lang = by_language(records)
    for summ in (summary, *per_lang.values()):  # hit@5 with 5 articles: says nothing
        summ["articles"] = len(cat)
        summ["not_discriminating"] = undiscriminating(summ, len(cat))
    return Evaluation(path, records, summary, per_lang, gate,
                      {a["id"]: a["title"] for a in cat if a.get("title")},
                      {d for it in items for d in it.expected_docs} - known)


def _shown(path) -> str:
    """A baseline's path as the reader gave it; a long absolute one by its name."""
    return Path(path).name if Path(path).is_absolute() else str(path)


def page_result(ev: Evaluation, charts: bool = True) -> tuple[str, list[list]]:
    """What the page's Evaluation tab shows: the report fragment and the per-question rows
    (headers ``QUESTION_HEADERS``)."""
    return ev.html(charts), ev.rows()


def run_eval(args, cfg) -> int:
    from assistant.engine.service import Assistant

    testset = args.testset or SEED
    skip = args.skip_unreviewed
    load_testset(testset, skip)  # check the input (and the baseline) before loading models
    if args.baseline:
        load_baseline(args.baseline)
    app = Assistant(cfg)
    ensure_indexed(app)
    ev = evaluate(app, testset, args.baseline, args.tolerance, skip_unreviewed=skip)
    print(ev.text(with_verdict=False))  # the verdicts come last, once
    if ev.gate is not None:
        print(f"\nagainst {args.baseline} (tolerance {args.tolerance}):")
        print("\n".join(f"  {c.line()}" for c in ev.gate.changes) or "  no change")
    if args.json:
        write_atomic(args.json, ev.to_json(cfg.to_dict()))
    if args.report:
        print(f"\nreport: {write_report(args.report, ev.page())}")
    print("\n" + verdict(ev.summary, ev.gate))  # the two verdicts end the output, apart
    if ev.gate is not None and not ev.gate.passed:
        regressions = [c.line(judged=False) for c in ev.gate.regressions]
        raise RegressionError(
            f"{len(regressions)} headline metric(s) fell more than {args.tolerance} below the "
            f"baseline ({'; '.join(regressions)}): fix the regression or, if intended, save a "
            "new baseline with --json.")
    return 0


def run_import(args) -> int:
    from eval import import_beir, import_squad

    if args.command == "import-squad":
        r = import_squad(args.files, args.out, args.corpus_langs, args.question_langs,
                         args.max_questions)
    else:
        r = import_beir(args.folder, args.out, args.split)
    print(f"wrote {r.articles} articles to {r.corpus} and {r.questions} questions to "
          f"{r.testset}")
    print(f"next: python -m assistant eval --testset {r.testset} --corpus {r.corpus} "
          f"--store {Path(args.out) / 'store'} --report {Path(args.out) / 'report'}")
    return 0
