"""Stage 1: files in, cleaned Article records out."""

from .errors import AssistantError, CorpusError, StoreError, UsageError
from .lang import detect_lang
from .loader import find_files, load_corpus, load_file, parse_article
from .model import Article
from .sentences import sentence_spans

__all__ = [
    "Article",
    "AssistantError",
    "CorpusError",
    "StoreError",
    "UsageError",
    "detect_lang",
    "find_files",
    "load_corpus",
    "load_file",
    "parse_article",
    "sentence_spans",
]
