"""The engine's retriever behind llama-index's interface, on the real bundled index."""

import asyncio

import pytest

pytestmark = pytest.mark.slow

QUESTION = "Who is the Secretary-General of the Organization of Turkic States?"


def test_llama_index_retriever_returns_the_products_ranking(bundled_assistant):
    from llama_index.core.retrievers import BaseRetriever

    from assistant.engine import Filters
    from assistant.engine.llama import NewsRetriever

    retriever = NewsRetriever(bundled_assistant, k=4)
    assert isinstance(retriever, BaseRetriever)
    nodes = retriever.retrieve(QUESTION)
    hits = bundled_assistant.search(QUESTION, k=4)
    assert [n.node.node_id for n in nodes] == [h.chunk.id for h in hits]
    assert [n.score for n in nodes] == [h.score for h in hits]
    top = nodes[0].node
    article = bundled_assistant.article(top.ref_doc_id)["text"]
    assert article[top.start_char_idx:top.end_char_idx] == top.get_content()
    assert top.metadata["doc_id"] == top.ref_doc_id and top.metadata["rank"] == 1
    assert any("Omuraliev" in n.node.get_content() or "Омуралиев" in n.node.get_content()
               for n in nodes)
    # the engine's filters apply, and the async path answers the same
    only_de = NewsRetriever(bundled_assistant, k=3, filters=Filters(langs=("de",)))
    assert {n.node.metadata["lang"] for n in only_de.retrieve(QUESTION)} == {"de"}
    again = asyncio.run(retriever.aretrieve(QUESTION))
    assert [n.node.node_id for n in again] == [n.node.node_id for n in nodes]
