"""What the store holds, for the app: articles, their sources, the same story elsewhere.

A mixin of ``Assistant`` (``self.store``): reads of the manifest only, no models.
"""

from __future__ import annotations

from pathlib import Path


class Catalogue:
    def _fresh(self) -> None:
        """Move to the store's published generation (``Assistant._fresh``)."""

    def also_reported_in(self, article_id: str) -> list[dict]:
        """Articles in other languages that report the same story (index.links)."""
        man = self.store.read_manifest()
        if man is None:
            return []
        out = []
        for other, score in man.links_of(article_id):
            meta = man.article(other)
            if meta:
                out.append({"doc_id": other, "title": meta["title"], "date": meta["date"],
                            "lang": meta["lang"], "score": score})
        return out

    def catalogue(self) -> list[dict]:
        """Every indexed article's metadata (no text), in id order, of the published
        generation (a run that published since the last look is seen)."""
        self._fresh()
        man = self.store.read_manifest()
        return man.catalogue() if man else []

    def source_filter(self, sources: list[str]) -> frozenset[str] | None:
        """The articles a source/folder filter admits: each entry is a site name (as in
        ``source_options``) or a folder of the corpus ("news/ru/"); None when no filter."""
        if not sources:
            return None
        return frozenset(a["id"] for a in self.catalogue()
                         if any(_source_matches(a, s) for s in sources))

    def source_options(self, catalogue: list[dict] | None = None) -> list[str]:
        """The sites and corpus folders the source filter can choose from (of ``catalogue``
        when the caller has read it already)."""
        sites, folders = set(), set()
        for a in self.catalogue() if catalogue is None else catalogue:
            if a.get("site"):
                sites.add(a["site"])
            parts = Path(a["source"]).parts[:-1]
            folders.update("/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1))
        return sorted(sites, key=str.lower) + sorted(folders)

    def article(self, article_id: str) -> dict | None:
        """An indexed article's record: metadata, cleaned text and raw text."""
        man = self.store.read_manifest()
        return man.article(article_id) if man else None


def _source_matches(article: dict, source: str) -> bool:
    if source.endswith("/"):
        return article["source"].startswith(source)
    return (article.get("site") or "").lower() == source.lower()
