"""The hybrid cross-lingual retriever as a llama-index retriever, for people's own pipelines.

    from assistant.engine import Assistant, load_config
    from assistant.engine.llama import NewsRetriever

    retriever = NewsRetriever(Assistant(load_config()), k=5)
    nodes = retriever.retrieve("Кто генеральный секретарь ОТГ?")  # list[NodeWithScore]

Each node is one indexed passage: its text, its place in the article (``start_char_idx``,
``end_char_idx`` are offsets into the article's text, so quotes can be checked), and the
article's metadata; ``ref_doc_id`` is the article id. Ranking, filters and scores are the
engine's own (``Assistant.search``), so a pipeline gets exactly what the product retrieves.
llama-index is imported only here, when someone asks for it.
"""

from __future__ import annotations

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import (
    NodeRelationship,
    NodeWithScore,
    QueryBundle,
    RelatedNodeInfo,
    TextNode,
)

from index import Hit

from .retrieval import Filters


def hit_node(hit: Hit) -> NodeWithScore:
    """One retrieved passage as a llama-index node with its score."""
    c = hit.chunk
    node = TextNode(
        id_=c.id, text=c.text, start_char_idx=c.start, end_char_idx=c.end,
        metadata={"doc_id": c.article_id, "title": c.title, "date": c.date, "lang": c.lang,
                  "source": c.source, "rank": hit.rank},
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=c.article_id)},
    )
    return NodeWithScore(node=node, score=hit.score)


class NewsRetriever(BaseRetriever):
    """``Assistant.search`` behind llama-index's retriever interface (sync and async)."""

    def __init__(self, assistant, k: int | None = None, filters: Filters = Filters(), **kw):
        super().__init__(**kw)
        self._assistant = assistant
        self._k = k
        self._filters = filters

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self._assistant.search(query_bundle.query_str, k=self._k, filters=self._filters)
        return [hit_node(h) for h in hits]
