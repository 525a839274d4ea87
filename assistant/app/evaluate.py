"""`assistant eval` and `assistant import-*`: the app composes eval with the engine.

eval scores any callable that speaks the answer contract; here that callable is the
in-process Assistant. The command and the page's Evaluation tab share ``run_on``.
"""

from __future__ import annotations

import json
from pathlib import Path

from corpus import AssistantError
from corpus.jsonl import write_atomic
from eval import by_language, compare, load_baseline, load_testset, run, summarize
from eval.report import render, text_table, write_report
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


def run_eval(args, cfg) -> int:
    from assistant.engine.service import Assistant

    testset = args.testset or SEED
    items = load_testset(testset)  # check the input before loading models
    baseline = load_baseline(args.baseline) if args.baseline else None
    app = Assistant(cfg)
    ensure_indexed(app)
    app.search("warm-up")  # load models and indexes before the first timed question
    records = run_on(app, items)
    summary, per_lang = summarize(records), by_language(records)
    print(text_table(summary, per_lang))
    changes, regressions = ([], [])
    if baseline is not None:
        changes, regressions = compare(summary, baseline, args.tolerance)
        print(f"\nagainst {args.baseline} (tolerance {args.tolerance}):")
        print("\n".join(f"  {c}" for c in changes) or "  no change")
    if args.json:
        out = {"summary": summary, "by_language": per_lang,
               "config": {"testset": str(testset), **cfg.to_dict()},
               "records": [r.to_dict() for r in records]}
        write_atomic(args.json, json.dumps(out, ensure_ascii=False, indent=1))
    if args.report:
        page = write_report(args.report, render(summary, per_lang, records,
                                                f"Evaluation: {Path(testset).name}", changes))
        print(f"\nreport: {page}")
    if regressions:
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
