"""`python -m assistant eval` and the benchmark importers (wired into the assistant CLI)."""

from __future__ import annotations

import json
from pathlib import Path

from corpus import AssistantError

from .gate import compare, load_baseline
from .report import render, write_report
from .runner import HEADLINE, by_language, run, summarize
from .testset import load_testset

SEED = Path(__file__).resolve().parent / "testsets" / "seed_qa.jsonl"


class RegressionError(AssistantError):
    exit_code = 5


def run_eval(args, cfg) -> int:
    items = load_testset(args.testset or SEED)  # check the input before loading models
    baseline = load_baseline(args.baseline) if args.baseline else None
    from assistant.app.cli import ensure_indexed
    from assistant.engine.service import Assistant

    app = Assistant(cfg)
    ensure_indexed(app)
    app.search("warm-up")  # load models and indexes before the first timed question
    records = run_on(app, items)
    summary, per_lang = summarize(records), by_language(records)
    print(table(summary, per_lang))
    changes, regressions = ([], [])
    if baseline is not None:
        changes, regressions = compare(summary, baseline, args.tolerance)
        print(f"\nagainst {args.baseline} (tolerance {args.tolerance}):")
        print("\n".join(f"  {c}" for c in changes) or "  no change")
    if args.json:
        out = {"summary": summary, "by_language": per_lang,
               "config": {"testset": str(args.testset or SEED), **cfg.to_dict()},
               "records": [r.to_dict() for r in records]}
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(path)
    if args.report:
        page = write_report(args.report, render(summary, per_lang, records,
                                                f"Evaluation: {Path(args.testset or SEED).name}",
                                                changes))
        print(f"\nreport: {page}")
    if regressions:
        raise RegressionError(
            f"{len(regressions)} headline metric(s) fell more than {args.tolerance} below the "
            f"baseline ({'; '.join(regressions)}): fix the regression or, if intended, save a "
            "new baseline with --json.")
    return 0


def run_on(app, items: list, guard=lambda call: call, progress: bool = True) -> list:
    """Ask every test question of an Assistant (the command and the page's Evaluation tab);
    ``guard`` wraps each call (the page serialises them with its store lock)."""
    return run(
        items,
        ask=guard(lambda q: app.ask(q).to_dict()),
        search=guard(lambda q: [h.chunk.article_id for h in app.search(q, k=10)]),
        texts=app.store.read_manifest().texts(),  # what citations quote, as indexed
        progress=progress,
    )


TABLE_COLUMNS = ["questions", *HEADLINE, "passed", "latency_p50_ms", "latency_p95_ms"]


def cell(value, column: str) -> str:
    """One figure of the summary table: counts and milliseconds whole, rates to 3 places."""
    if value is None:
        return "–"
    return f"{value:.0f}" if column.startswith(("questions", "latency")) else f"{value:.3f}"


def table(summary: dict, per_lang: dict) -> str:
    scopes = [("all", summary), *per_lang.items()]
    lines = [f"{'metric':20s}" + "".join(f"{s:>8s}" for s, _ in scopes)]
    for c in TABLE_COLUMNS:
        lines.append(f"{c:20s}" + "".join(f"{cell(summ.get(c), c):>8s}" for _, summ in scopes))
    return "\n".join(lines)


def run_import(args) -> int:
    from .importers import import_beir, import_squad

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
