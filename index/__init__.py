"""Stage 2: Articles -> chunks -> embeddings -> Chroma collections + a keyword index."""

from .chunking import chunk_article
from .embedders import BUILTIN, Embedder, STEmbedder, load_embedder
from .keyword import KeywordIndex, tokens
from .model import Chunk, Hit
from .pipeline import IndexReport, index_articles, refresh_keyword_index
from .store import Store, where_clause

__all__ = [
    "BUILTIN",
    "Chunk",
    "Embedder",
    "Hit",
    "IndexReport",
    "KeywordIndex",
    "STEmbedder",
    "Store",
    "chunk_article",
    "index_articles",
    "load_embedder",
    "refresh_keyword_index",
    "tokens",
    "where_clause",
]
