"""What each command of the command line does (the table is ``cli.COMMANDS``).

Every function takes the parsed flags and returns the exit code. Input is checked before
anything heavy loads, so a mistake costs no model load.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from assistant.engine.config import Config, load_config
from corpus import UsageError

from . import output
from .progress import ensure_indexed, notice, progress_bar


def _config(args: argparse.Namespace) -> Config:
    """Defaults < assistant.toml < ASSISTANT_* < the flags this command has."""
    return load_config(**{name: getattr(args, name, None)
                          for name in ("corpus", "store", "k", "host", "port", "auth",
                                         "mode")})


def _assistant(cfg: Config):
    from assistant.engine.service import Assistant

    return Assistant(cfg)


def index(args: argparse.Namespace) -> int:
    cfg = _config(args)
    report = _assistant(cfg).index(progress=progress_bar(), prune=args.prune,
                                   rebuild=args.rebuild, shard=args.shard)
    output.skipped(report)
    if args.json:
        print(json.dumps(report.to_dict()))
        return 0
    shard = f"shard {report.shard}: " if report.shard else ""
    print(f"{shard}indexed {report.articles} articles into {cfg.store}: {report.counts()}; "
          f"{report.chunks} chunks; {report.seconds:.1f} s")
    if args.shard:
        n = args.shard.n
        print(f"all {n} shards are done: the store's new generation is published"
              if report.shards_done == n else f"{report.shards_done} of {n} shards are done: "
              "the store publishes when the last one ends")
    return 0


def ask(args: argparse.Namespace) -> int:
    return _questions_command(args, answer=True)


def search(args: argparse.Namespace) -> int:
    return _questions_command(args, answer=False)


def _questions_command(args: argparse.Namespace, answer: bool) -> int:
    from assistant.engine.retrieval import Filters

    cfg = _config(args)
    if args.since and args.until and args.since > args.until:
        raise UsageError(f"--since {args.since} is after --until {args.until}: no article can "
                         "be in that range; swap them.")
    questions = _questions(args)  # validate input before loading anything heavy
    flt = Filters(tuple(args.lang or ()), args.since, args.until)
    if not args.no_server and _through_server(cfg, questions, flt, args, answer):
        return 0
    app = _assistant(cfg)
    ensure_indexed(app)
    for qid, question in questions:
        if answer:
            output.answer(app.ask(question, filters=flt), qid, args.json)
        else:
            output.hits(question, app.search(question, filters=flt), qid, args.json)
    return 0


def _through_server(cfg: Config, questions, flt, args, answer: bool) -> bool:
    """Answer through a `serve` running on this machine for the same store (no model load
    here); False when there is none, so the command answers by itself."""
    from .via_server import question_body, running_server, store_name

    server = running_server(cfg, store_name(cfg))
    if server is None:
        return False
    notice(f"(answered by the server running at {server.url}; --no-server answers here)")
    for i, (qid, question) in enumerate(questions):
        body = question_body(question, flt, getattr(args, "mode", None))
        got = server.post("/api/ask" if answer else "/api/search", body)
        if got is None:  # the server went away: the rest is answered here
            if i == 0:
                return False
            raise UsageError("the running server stopped answering: ask again (the command "
                             "then answers by itself).")
        got["id"] = qid
        output.answer_dict(got, args.json) if answer else output.hits_json(got, args.json)
    return True


def _questions(args: argparse.Namespace) -> list[tuple[Any, str]]:
    from assistant.engine.checks import check_question

    if args.batch and args.question:
        raise UsageError("give either a question or --batch FILE, not both.")
    if not args.batch:
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


def serve(args: argparse.Namespace) -> int:
    from .server import check_exposure
    from .server import serve as serve_all

    cfg = _config(args)  # a bad login or an exposed address fails here, before indexing
    check_exposure(cfg.host, cfg.login(), args.insecure)
    app = _assistant(cfg)
    ensure_indexed(app)
    serve_all(app, cfg.host, cfg.port, cfg.login(), args.insecure)
    return 0


def show(args: argparse.Namespace) -> int:
    cfg = _config(args)
    app = _assistant(cfg)
    rec = app.article(args.doc_id)
    if rec is None:
        raise UsageError(f"no article {args.doc_id!r} in the store {cfg.store}: take an "
                         "id from 'search' or 'ask' output (or index the corpus first).")
    output.article(rec, app.also_reported_in(args.doc_id), args.removed, args.json)
    return 0


def config(args: argparse.Namespace) -> int:
    cfg = _config(args)
    for name, value, help in cfg.describe():
        print(f"{name} = {json.dumps(value, ensure_ascii=False)}    # {help}")
    if "e5-small" in cfg.embedders:
        from index.embedders.e5engine import backend_line

        print(f"# e5-small backend on this CPU: {backend_line(cfg.threads, cfg.cache_dir())}")
    return 0


def evaluate(args: argparse.Namespace) -> int:
    from .evaluate import run_eval

    return run_eval(args, _config(args))


def import_set(args: argparse.Namespace) -> int:
    from .evaluate import run_import

    return run_import(args)


def feedback(args: argparse.Namespace) -> int:
    from .feedback import run_feedback

    return run_feedback(_config(args).store, args.out, args.json)
