"""The command line: python -m assistant {index,ask,search,serve,eval,config,import-*}.

Heavy modules (models, Chroma, Gradio) are imported only once a command runs, so --help
and argument errors are instant. Domain errors become one sentence on stderr and an exit
code; tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from corpus.errors import AssistantError, UsageError

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LANG = re.compile(r"^[a-z]{2,3}$")


def check_date(value: str) -> str:
    """``value`` if it is a real YYYY-MM-DD date; ValueError saying what is wrong otherwise
    (the --since/--until flags and the page's date filter)."""
    import datetime as dt

    if not _DATE.match(value):
        raise ValueError(f"{value!r} is not a date: use YYYY-MM-DD")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a real date: use YYYY-MM-DD") from None
    return value


def _date(value: str) -> str:
    try:
        return check_date(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _langs(value: str) -> list[str]:
    langs = [v.strip().lower() for v in value.split(",") if v.strip()]
    bad = [v for v in langs if not _LANG.match(v)]
    if bad or not langs:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a language list: use ISO codes such as 'en' or 'ru,de'")
    return langs


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive whole number")
    return n


def _fraction(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        x = -1.0
    if not 0 <= x <= 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number between 0 and 1")
    return x


def _port(value: str) -> int:
    n = _positive(value)
    if n > 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (1-65535)")
    return n


def _login(value: str) -> tuple[str, str]:
    from assistant.engine.config import parse_auth

    try:
        return parse_auth(value)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc).rstrip(".")) from None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one sentence, exit 2, no usage dump
        raise UsageError(f"{self.prog}: {message} (see --help).")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m assistant",
                description="Offline multilingual question answering over news articles, "
                            "with cited passages.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--corpus", help="folder of articles: .txt/.md, .html, .json/.jsonl, "
                        ".csv (default: the bundled one)")
        sp.add_argument("--store", help="store folder (default: .store)")

    def filters(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--k", type=_positive, help="passages to retrieve (default 5)")
        sp.add_argument("--lang", type=_langs, help="only sources in these languages, e.g. ru,en")
        sp.add_argument("--since", type=_date, help="only articles dated on/after YYYY-MM-DD")
        sp.add_argument("--until", type=_date, help="only articles dated on/before YYYY-MM-DD")

    sp = sub.add_parser("index", help="index the corpus (incremental)")
    common(sp)
    sp.add_argument("--json", action="store_true", help="print the report as JSON")
    sp.add_argument("--prune", action="store_true",
                    help="allow removing every indexed article, or more than half of them, "
                         "whose files are gone from the corpus folder")

    for name, what in (("ask", "answer a question with cited passages"),
                       ("search", "retrieve passages only")):
        sp = sub.add_parser(name, help=what)
        common(sp)
        sp.add_argument("question", nargs="?", help="the question (or use --batch)")
        sp.add_argument("--batch", metavar="FILE.jsonl",
                        help='one {"id": ..., "question": ...} object per line')
        sp.add_argument("--json", action="store_true", help="print JSON (one line per question)")
        filters(sp)

    sp = sub.add_parser("serve", help="start the chat UI (indexes first if needed)")
    common(sp)
    sp.add_argument("--host", help="address to bind (default 127.0.0.1)")
    sp.add_argument("--port", type=_port, help="port (default 7860)")
    sp.add_argument("--auth", metavar="USER:PASSWORD", type=_login,
                    help="require this login (default: env ASSISTANT_AUTH, else none)")

    sp = sub.add_parser("eval", help="score answers on a test set; HTML report; regression gate")
    common(sp)
    sp.add_argument("--testset", help="JSONL test set (default: eval/testsets/seed_qa.jsonl)")
    sp.add_argument("--json", metavar="OUT", help="write the summary and every record as JSON")
    sp.add_argument("--report", metavar="DIR", help="write an HTML report into DIR")
    sp.add_argument("--baseline", metavar="FILE", help="compare with a saved summary; exit 5 "
                    "when a headline metric drops by more than --tolerance")
    sp.add_argument("--tolerance", type=_fraction, default=0.05,
                    help="allowed drop of a headline metric (default 0.05: the largest spread "
                    "across CPUs and e5 backends measured by benchmarks.gate_spread, plus one "
                    "question)")

    sp = sub.add_parser("import-squad", help="SQuAD/XQuAD JSON files -> corpus folder + test set")
    sp.add_argument("files", nargs="+", help="SQuAD-format files, e.g. xquad.en.json xquad.ru.json")
    sp.add_argument("--out", required=True, help="folder to write corpus/ and testset.jsonl into")
    sp.add_argument("--corpus-langs", type=_langs, help="languages whose paragraphs form the "
                    "corpus (default: all files)")
    sp.add_argument("--question-langs", type=_langs, help="languages to ask in (default: all)")
    sp.add_argument("--max-questions", type=_positive, help="keep this many question ids, "
                    "evenly spread")

    sp = sub.add_parser("import-beir", help="a BEIR folder -> corpus folder + test set")
    sp.add_argument("folder", help="folder with corpus.jsonl, queries.jsonl, qrels/")
    sp.add_argument("--out", required=True, help="folder to write corpus/ and testset.jsonl into")
    sp.add_argument("--split", default="test", help="qrels split (default: test)")

    sp = sub.add_parser("show", help="one indexed article: metadata, text, what was removed")
    common(sp)
    sp.add_argument("doc_id", help="the article's id, as in search/ask output")
    sp.add_argument("--removed", action="store_true",
                    help="also list the lines the furniture cleaner removed")
    sp.add_argument("--json", action="store_true", help="print the record as JSON")

    sp = sub.add_parser("config", help="print the resolved configuration")
    common(sp)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    return run_command(lambda: _run(build_parser().parse_args(argv)))


def run_command(command) -> int:
    """Run a command (the CLI, a benchmark's main); a problem the user can fix becomes one
    ``error:`` line and its exit code, never a traceback."""
    try:
        return command()
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _run(args: argparse.Namespace) -> int:
    if args.command in ("import-squad", "import-beir"):
        # eval is the stage to the right of assistant; the CLI is the one place that
        # composes all stages, so it reaches it lazily here.
        from eval.cli import run_import

        return run_import(args)

    from assistant.engine.config import load_config

    cfg = load_config(corpus=args.corpus, store=args.store, k=getattr(args, "k", None),
                      host=getattr(args, "host", None), port=getattr(args, "port", None))
    if args.command == "config":
        for name, value, help in cfg.describe():
            print(f"{name} = {json.dumps(value, ensure_ascii=False)}    # {help}")
        if "e5-small" in cfg.embedders:
            from index.embedders.e5engine import backend_line

            print(f"# e5-small backend on this CPU: {backend_line(cfg.threads)}")
        return 0
    if args.command == "eval":
        from eval.cli import run_eval

        return run_eval(args, cfg)
    if args.command in ("ask", "search"):
        questions = _questions(args)  # validate input before loading anything heavy

    from assistant.engine.service import Assistant

    app = Assistant(cfg)
    if args.command == "index":
        report = app.index(progress=progress_bar(), prune=args.prune)
        _print_skipped(report)
        if args.json:
            print(json.dumps(report.to_dict()))
        else:
            r = report
            print(f"indexed {r.articles} articles into {cfg.store}: {r.added} added, "
                  f"{r.updated} updated, {r.removed} removed, {r.unchanged} unchanged; "
                  f"{r.chunks} chunks; {r.seconds:.1f} s")
        return 0
    if args.command == "show":
        return _show(app, args)
    if args.command == "serve":
        from assistant.engine.config import parse_auth

        from .ui.page import serve

        # a bad login fails before indexing
        login = args.auth or parse_auth(os.environ.get("ASSISTANT_AUTH"))
        ensure_indexed(app)
        serve(app, cfg.host, cfg.port, login)
        return 0

    from assistant.engine.retrieval import Filters

    ensure_indexed(app)
    flt = Filters(tuple(args.lang or ()), args.since, args.until)
    for qid, question in questions:
        if args.command == "ask":
            _print_answer(app.ask(question, filters=flt), qid, args.json)
        else:
            _print_hits(question, app.search(question, filters=flt), qid, args.json)
    return 0


def _questions(args: argparse.Namespace) -> list[tuple[Any, str]]:
    if args.batch and args.question:
        raise UsageError("give either a question or --batch FILE, not both.")
    if not args.batch:
        from assistant.engine.service import check_question

        return [(None, check_question(args.question or ""))]
    from corpus.jsonl import read_jsonl

    path = Path(args.batch)
    out = []
    for n, obj in read_jsonl(path, "batch file",
                             'write one {"id": ..., "question": ...} object per line'):
        if not isinstance(obj, dict) or not isinstance(obj.get("question"), str) \
                or not obj["question"].strip():
            raise UsageError(f'line {n} of {path} has no "question" text: add one.')
        out.append((obj.get("id", n), obj["question"]))
    if not out:
        raise UsageError(f"batch file {path} holds no questions: add one JSON object per line.")
    return out


def _print_answer(ans, qid, as_json: bool) -> None:
    if as_json:
        print(json.dumps(ans.to_dict(qid), ensure_ascii=False), flush=True)
        return
    if qid is not None:
        print(f"# {qid}: {ans.question}")
    print(ans.text)
    for c in ans.citations:
        meta = ", ".join(x for x in (c.date, c.lang) if x)
        print(f"  [{c.n}] {c.title} ({meta}) {c.article_id}:{c.start}-{c.end}\n      “{c.quote}”")
        if c.also_reported_in:
            print("      also reported in: " + "; ".join(
                f"{o['title']} ({', '.join(x for x in (o['date'], o['lang']) if x)})"
                for o in c.also_reported_in))
    print(flush=True)


def _print_hits(question: str, hits, qid, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"id": qid, "question": question, "hits": [
            {"rank": h.rank, "doc_id": h.chunk.article_id, "chunk_id": h.chunk.id,
             "score": h.score, "lang": h.chunk.lang, "date": h.chunk.date,
             "title": h.chunk.title, "text": h.chunk.text} for h in hits]},
            ensure_ascii=False), flush=True)
        return
    print(f"# {question}")
    for h in hits:
        text = " ".join(h.chunk.text.split())
        print(f"{h.rank:2d}. {h.score:6.2f}  {h.chunk.id}  ({h.chunk.date}, {h.chunk.lang})  "
              f"{text[:160]}")
    print(flush=True)


def _show(app, args: argparse.Namespace) -> int:
    from corpus.loader import removed_lines

    rec = app.article(args.doc_id)
    if rec is None:
        raise UsageError(f"no article {args.doc_id!r} in the store {app.config.store}: take an "
                         "id from 'search' or 'ask' output (or index the corpus first).")
    removed = removed_lines(rec["raw"], rec["text"])
    also = app.also_reported_in(args.doc_id)
    if args.json:
        out = {k: rec[k] for k in ("id", "title", "date", "lang", "site", "url", "source",
                                   "sha256", "n_chunks", "text")}
        out["also_reported_in"] = also
        if args.removed:
            out["removed_lines"] = removed
        print(json.dumps(out, ensure_ascii=False))
        return 0
    for key in ("id", "title", "date", "lang", "site", "url", "source", "n_chunks"):
        print(f"{key:9} {rec[key] if rec[key] is not None else '-'}")
    for o in also:
        print(f"also reported in: {o['doc_id']} ({o['lang']}, {o['date']}) {o['title']}")
    print(f"\n{rec['text']}\n")
    if args.removed:
        print(f"removed by the cleaner ({len(removed)} lines):")
        for line in removed:
            print(f"  - {line}")
    return 0


def _print_skipped(report) -> None:
    """One line per file left out of the index, on stderr."""
    if report.skipped_files:
        print(f"skipped {len(report.skipped_files)} file(s):", file=sys.stderr)
        for s in report.skipped_files:
            print(f"  {s.source}: {s.reason}", file=sys.stderr)


def ensure_indexed(app) -> None:
    """Index an empty store first, with a progress bar and notices on stderr."""
    app.ensure_indexed(progress_bar(), lambda line: print(line, file=sys.stderr, flush=True))


def progress_bar():
    """A progress callback drawing a tqdm bar on stderr."""
    state: dict[str, Any] = {}

    def progress(done: int, total: int, what: str) -> None:
        from tqdm import tqdm

        stage, _, figures = what.partition(" (")
        bar = state.get(stage)
        if bar is None:
            for old in state.values():
                old.close()
            state.clear()
            bar = state[stage] = tqdm(
                total=total, desc=stage, file=sys.stderr, dynamic_ncols=True,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} files "
                           "[{elapsed}<{remaining}{postfix}]")
        if figures:
            bar.set_postfix_str(figures.rstrip(")"), refresh=False)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return progress
