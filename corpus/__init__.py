"""Stage 1: files in, cleaned Article records out."""

from .errors import AssistantError, CorpusError, StoreError, UsageError, disk_full
from .formats import DEFAULT_FIELDS, SUFFIXES, Unreadable
from .lang import detect_lang, lang_score
from .loader import (
    FileDone,
    KnownFile,
    Skipped,
    check_folder,
    find_files,
    load_corpus,
    load_file,
    parse_article,
    scan_corpus,
)
from .model import Article
from .sentences import sentence_spans

__all__ = [
    "DEFAULT_FIELDS",
    "SUFFIXES",
    "Article",
    "FileDone",
    "KnownFile",
    "Skipped",
    "Unreadable",
    "lang_score",
    "scan_corpus",
    "check_folder",
    "AssistantError",
    "CorpusError",
    "StoreError",
    "UsageError",
    "disk_full",
    "detect_lang",
    "find_files",
    "load_corpus",
    "load_file",
    "parse_article",
    "sentence_spans",
]
