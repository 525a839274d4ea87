"""The command line: python -m assistant {index,ask,search,serve,eval,show,config,import-*}.

One table, ``COMMANDS``: each command's help, its flags and the function that runs it
(``commands.py``). Heavy modules (models, Chroma, Gradio) are imported only once a command
runs, so --help and argument errors are instant. A mistake the user can fix becomes one
``error:`` sentence on stderr and an exit code; tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass

from corpus.dates import check_date
from corpus.errors import AssistantError, UsageError
from corpus.lang import ISO_639_1

from .environment import prepare_process

_LANG = re.compile(r"^[a-z]{2,3}$")


# -- flag types: each says what is wrong in one clause --------------------------------------
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
    unknown = [v for v in langs if v not in ISO_639_1]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"{unknown[0]!r} is not an ISO 639-1 language code: use e.g. en, ru, de, tr, az")
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


def _shard(value: str):
    from index.shards import Shard

    try:
        return Shard.parse(value)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--shard ")) from None


def _port(value: str) -> int:
    n = _positive(value)
    if n > 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (1-65535)")
    return n


# -- flag groups ------------------------------------------------------------------------------
def _mode_flag(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--mode", choices=("extractive", "llm"),
                    help="answer mode (default: the mode setting, else extractive); llm needs "
                    "llm_url and llm_model, see the README")


def _store_flags(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--corpus", help="folder of articles: .txt/.md, .html, .json/.jsonl, "
                    ".csv (default: the bundled one)")
    sp.add_argument("--store", help="store folder, or a Chroma server URL http://host:port "
                    "(default: .store)")


def _index_flags(sp: argparse.ArgumentParser) -> None:
    _store_flags(sp)
    sp.add_argument("--json", action="store_true", help="print the report as JSON")
    sp.add_argument("--prune", action="store_true",
                    help="allow removing every indexed article, or more than half of them, "
                         "whose files are gone from the corpus folder")
    sp.add_argument("--rebuild", action="store_true",
                    help="remove the index (e.g. a damaged one) and index the corpus anew")
    sp.add_argument("--shard", type=_shard, metavar="I/N",
                    help="index only shard I of N of the articles (a Chroma server store): N "
                    "processes or machines write at once; the last to end publishes the store")


def _question_flags(sp: argparse.ArgumentParser) -> None:
    _store_flags(sp)
    sp.add_argument("question", nargs="?", help="the question (or use --batch)")
    sp.add_argument("--batch", metavar="FILE.jsonl",
                    help='one {"id": ..., "question": ...} object per line')
    sp.add_argument("--json", action="store_true", help="print JSON (one line per question)")
    sp.add_argument("--k", type=_positive, help="passages to retrieve (default 5)")
    sp.add_argument("--lang", type=_langs, help="only sources in these languages, e.g. ru,en")
    sp.add_argument("--since", type=_date, help="only articles dated on/after YYYY-MM-DD")
    sp.add_argument("--until", type=_date, help="only articles dated on/before YYYY-MM-DD")
    sp.add_argument("--no-server", action="store_true",
                    help="answer here even when a 'serve' for the same store runs on this "
                    "machine (by default the question goes to it: no model load)")


def _ask_flags(sp: argparse.ArgumentParser) -> None:
    _question_flags(sp)
    _mode_flag(sp)


def _serve_flags(sp: argparse.ArgumentParser) -> None:
    _store_flags(sp)
    sp.add_argument("--host", help="address to bind (default 127.0.0.1)")
    sp.add_argument("--port", type=_port, help="port (default 7860)")
    sp.add_argument("--auth", metavar="USER:PASSWORD",
                    help="require this login: the page asks for it, the API wants the password "
                    "as a bearer token (default: the auth setting, else none)")
    sp.add_argument("--insecure", action="store_true",
                    help="allow a non-loopback --host without a login (a trusted network)")
    _mode_flag(sp)


def _eval_flags(sp: argparse.ArgumentParser) -> None:
    _store_flags(sp)
    _mode_flag(sp)
    sp.add_argument("--testset", help="JSONL test set (default: eval/testsets/seed_qa.jsonl)")
    sp.add_argument("--skip-unreviewed", action="store_true", help="leave out the items "
                    "marked needs_review (thumbs down not yet reviewed) instead of refusing")
    sp.add_argument("--json", metavar="OUT", help="write the summary and every record as JSON")
    sp.add_argument("--report", metavar="DIR", help="write an HTML report into DIR")
    sp.add_argument("--baseline", metavar="FILE", help="compare with a saved summary; exit 5 "
                    "when a headline metric drops by more than --tolerance")
    sp.add_argument("--tolerance", type=_fraction, default=0.08,
                    help="allowed drop of a headline metric (default 0.08: the largest spread "
                    "across CPUs, e5 and reader backends measured by benchmarks.gate_spread, "
                    "plus one question)")


def _import_squad_flags(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("files", nargs="+", help="SQuAD-format files, e.g. xquad.en.json xquad.ru.json")
    sp.add_argument("--out", required=True, help="folder to write corpus/ and testset.jsonl into")
    sp.add_argument("--corpus-langs", type=_langs, help="languages whose paragraphs form the "
                    "corpus (default: all files)")
    sp.add_argument("--question-langs", type=_langs, help="languages to ask in (default: all)")
    sp.add_argument("--max-questions", type=_positive, help="keep this many question ids, "
                    "evenly spread")


def _import_beir_flags(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("folder", help="folder with corpus.jsonl, queries.jsonl, qrels/")
    sp.add_argument("--out", required=True, help="folder to write corpus/ and testset.jsonl into")
    sp.add_argument("--split", default="test", help="qrels split (default: test)")


def _show_flags(sp: argparse.ArgumentParser) -> None:
    _store_flags(sp)
    sp.add_argument("doc_id", help="the article's id, as in search/ask output")
    sp.add_argument("--removed", action="store_true",
                    help="also list the lines the furniture cleaner removed")
    sp.add_argument("--json", action="store_true", help="print the record as JSON")


def _feedback_flags(sp: argparse.ArgumentParser) -> None:
    _store_flags(sp)
    sp.add_argument("--out", metavar="FILE.jsonl", help="where to write the test-set items "
                    "(default: out/feedback-testset.jsonl)")
    sp.add_argument("--json", action="store_true", help="print the items as JSON lines (the "
                    "summary goes to stderr)")


@dataclass(frozen=True)
class Command:
    help: str
    flags: Callable[[argparse.ArgumentParser], None]
    run: str  # the function's name in commands.py (imported when the command runs)


COMMANDS: dict[str, Command] = {
    "index": Command("index the corpus (incremental)", _index_flags, "index"),
    "ask": Command("answer a question with cited passages", _ask_flags, "ask"),
    "search": Command("retrieve passages only", _question_flags, "search"),
    "serve": Command("start the chat UI (indexes first if needed)", _serve_flags, "serve"),
    "eval": Command("score answers on a test set; HTML report; regression gate", _eval_flags,
                    "evaluate"),
    "import-squad": Command("SQuAD/XQuAD JSON files -> corpus folder + test set",
                            _import_squad_flags, "import_set"),
    "import-beir": Command("a BEIR folder -> corpus folder + test set", _import_beir_flags,
                           "import_set"),
    "show": Command("one indexed article: metadata, text, what was removed", _show_flags,
                    "show"),
    "config": Command("print the resolved configuration", _store_flags, "config"),
    "feedback": Command("the chat page's thumbs up/down -> test-set items to review",
                        _feedback_flags, "feedback"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one sentence, exit 2, no usage dump
        raise UsageError(f"{self.prog}: {message} (see --help).")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m assistant",
                description="Offline multilingual question answering over news articles, "
                            "with cited passages.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, command in COMMANDS.items():
        command.flags(sub.add_parser(name, help=command.help))
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    return run_command(lambda: _run(build_parser().parse_args(argv)))


def run_command(command: Callable[[], int]) -> int:
    """Run a command (the CLI, a benchmark's main) in a prepared process; a problem the user
    can fix becomes one ``error:`` line and its exit code, never a traceback."""
    prepare_process()
    try:
        return command()
    except AssistantError as exc:
        _close_bars()
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        _close_bars()
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _close_bars() -> None:
    """End any progress bar a failed run left open, so the error is the last line (and not
    drawn over by the bar when the process exits)."""
    tqdm = sys.modules.get("tqdm")
    for bar in list(getattr(getattr(tqdm, "tqdm", None), "_instances", ()) or ()):
        bar.close()


def _run(args: argparse.Namespace) -> int:
    from . import commands

    return getattr(commands, COMMANDS[args.command].run)(args)
