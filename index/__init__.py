"""Stage 2: Articles -> chunks -> embeddings -> Chroma collections + a keyword index."""

from .chunking import chunk_article, chunk_sentences
from .embedders import (
    BUILTIN,
    Embedder,
    STEmbedder,
    encode_with_spans,
    load_embedder,
    pooled_spans,
)
from .keyword import NameIndex, name_keys, names_match, tokens
from .keyword_index import KeywordIndex
from .links import same_story_links
from .manifest import Manifest
from .model import Chunk, Hit, sentence_id, where_clause
from .pipeline import IndexReport, index_articles, index_corpus, refresh_keyword_index
from .remote import RemoteStore, open_store
from .store import Store

__all__ = [
    "BUILTIN",
    "Chunk",
    "Embedder",
    "Hit",
    "IndexReport",
    "KeywordIndex",
    "Manifest",
    "NameIndex",
    "RemoteStore",
    "STEmbedder",
    "Store",
    "chunk_article",
    "chunk_sentences",
    "encode_with_spans",
    "index_articles",
    "index_corpus",
    "load_embedder",
    "name_keys",
    "names_match",
    "open_store",
    "pooled_spans",
    "refresh_keyword_index",
    "same_story_links",
    "sentence_id",
    "tokens",
    "where_clause",
]
