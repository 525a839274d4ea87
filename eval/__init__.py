"""Stage 4: test set -> answers -> metrics -> JSON, HTML report and regression gate."""

from .explain import failure_reasons, verdict
from .gate import Gate, check, compare, load_baseline
from .importers import import_beir, import_squad
from .runner import HEADLINE, Record, by_language, run, score, summarize
from .testset import TestItem, load_testset, write_testset

__all__ = [
    "HEADLINE",
    "Gate",
    "Record",
    "TestItem",
    "by_language",
    "check",
    "compare",
    "failure_reasons",
    "import_beir",
    "import_squad",
    "load_baseline",
    "load_testset",
    "run",
    "score",
    "summarize",
    "verdict",
    "write_testset",
]
