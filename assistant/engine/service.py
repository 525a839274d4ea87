"""The assistant engine: index, search and answer over one store.

``Assistant`` takes its collaborators (store, embedders) as arguments; those not given are
built from the config, the models on first use. Nothing here touches the process
environment: the entry point does (``assistant.app.environment``).
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from corpus import (
    AssistantError,
    StoreError,
    UsageError,
    check_folder,
    detect_lang,
    disk_full,
    find_files,
    lang_score,
)
from index import (
    Embedder,
    Hit,
    IndexReport,
    KeywordIndex,
    Store,
    index_corpus,
    load_embedder,
    open_store,
)
from index.pipeline import Progress, PruneRefused
from index.shards import Shard

from .addressed import AddressScreen
from .answer import ExtractiveAnswerer
from .catalogue import Catalogue
from .checks import check_question
from .config import MODES, Config
from .followup import contextual_question, needs_antecedent
from .generate import LLMAnswerer
from .i18n import unsupported
from .llm import LLMError, make_llm, rewrite
from .model import Answer
from .phrases import filter_refusal, refusal_text, say
from .questions import instruction_like
from .read_answer import ReaderAnswerer, make_reader_answerer
from .retrieval import Filters, Retriever, Weights
from .verify import Verifier


class Assistant(Catalogue):
    """Question answering over one store; heavy parts are built on first use."""

    def __init__(self, config: Config, store: Store | None = None,
                 embedders: Sequence[Embedder] | None = None):
        self.config = config
        self.store = store if store is not None else open_store(
            config.store, config.store_token, config.store_tenant, config.store_database,
            config.cache_dir())
        self._embedders = list(embedders) if embedders is not None else None
        self._retriever: Retriever | None = None
        self._answerer: ExtractiveAnswerer | None = None
        self._reader_answerer: ReaderAnswerer | None = None
        self._llm_answerer: LLMAnswerer | None = None
        self._screen: AddressScreen | None = None
        self._generation: str | None = None
        self._written: set[str] = set()  # what a failed index run completed
        self._reopening = threading.Lock()
        self._antecedents: dict[tuple[str, ...], str | None] = {}  # history -> its answer
        self._rewrites: dict[tuple[str, ...], str] = {}  # LLM mode: follow-up -> standalone

    @property
    def embedders(self) -> list[Embedder]:
        """The configured models, loaded on first use unless given to the constructor."""
        if self._embedders is None:
            self._embedders = [load_embedder(name, self.config.threads, self.config.cache_dir())
                               for name in self.config.embedders]
        return self._embedders

    # -- indexing -------------------------------------------------------------------------
    def index(self, progress: Progress | None = None, prune: bool = False, rebuild: bool = False,
              reopen: bool = True, shard: Shard | None = None) -> IndexReport:
        """Bring the store in line with the corpus folder (``shard``: its part, index/shards.py).
        Unless ``prune``, a run that would remove every indexed article or more than half of
        them raises PruneRefused. ``rebuild``: the old index (a damaged one) goes first.
        Questions asked meanwhile (other threads) answer from the published generation; this
        object moves to the new one at the end (``reopen``) or with its next question."""
        # checked before the models load: a missing corpus or an unwritable store fails at once
        root = Path(self.config.corpus)
        check_folder(root)
        fresh = not self.store.remote and not self.store.path.exists()
        before = set() if fresh else self._complete()
        try:
            report = self._index(root, progress, prune, rebuild, shard)
            if reopen:
                self._fresh()
            return report
        except AssistantError:  # a mistake on a new store: no half-made store is left
            if fresh:
                self.store.close()
                shutil.rmtree(self.store.path, ignore_errors=True)
            raise
        except Exception as exc:
            if not disk_full(exc, None if self.store.remote else self.store.path):
                raise
            raise self._full(before, fresh) from exc

    def _complete(self, store: Store | None = None) -> set[str]:
        """The articles every configured model has embedded (in the published generation,
        or in the one ``store`` writes)."""
        man = (store or self.store).read_manifest()
        if man is None:
            return set()
        return set.intersection(*(set(man.embedded(n)) for n in self.config.embedders))

    def _full(self, before: set[str], fresh: bool) -> StoreError:
        """The one sentence for a disk that filled up while indexing."""
        self._drop_retriever()
        added = len(self._written - before)
        where = (f"the Chroma server behind {self.store}" if self.store.remote else
                 f"{self.store.path} (df -h {self.store.path})")
        kept = ("nothing was indexed before" if fresh and not before else
                "the articles indexed before are still answerable")
        return StoreError(f"the disk is full: indexing stopped after {added} new or changed "
                          f"article{'s' if added != 1 else ''}; {kept}; free space on {where} "
                          "and run 'index' again to resume where it stopped.")

    def _index(self, root: Path, progress: Progress | None, prune: bool,
               rebuild: bool, shard: Shard | None) -> IndexReport:
        """Index through a handle of its own: it writes the next generation while
        questions go on answering from the published one, which the next question after
        the run leaves for the new one."""
        if rebuild:
            if self.store.remote:
                raise UsageError("--rebuild is for a folder store: on a Chroma server, "
                                 "delete its collections with Chroma's own tools.")
            if not find_files(root):
                raise UsageError(f"--rebuild needs the corpus, and {root} holds no "
                                 "article files: pass the right --corpus.")
        writer = self.store.clone(shard)
        try:
            with writer.locked(exclusive=True, empty=rebuild):
                try:
                    if not prune and writer.exists() and not find_files(root):
                        n = len(writer.manifest.ids())
                        if n:
                            raise PruneRefused(n, n, root)
                    report = index_corpus(root, writer, self.embedders, self.config.fields(),
                                          progress, self.config.index_batch, prune,
                                          self.config.max_article_chars)
                except Exception:
                    try:  # what the run completed, for the disk-full sentence
                        self._written = self._complete(writer)
                    except Exception:  # noqa: BLE001 - a full disk can fail the count too
                        self._written = set()
                    raise
            return replace(report, shards_done=writer.shards_done) if shard else report
        finally:
            writer.close()
            self._generation = "indexed"  # the next question opens the new generation

    def is_indexed(self) -> bool:
        """The store holds an index made by every configured embedder, in its current
        version (a changed or new embedder means indexing again; only it re-embeds)."""
        self._fresh()  # an index run may have published since this store was opened
        return self.store.exists() and all(
            self.store.is_current(e.name, e.version) for e in self.embedders)

    def ensure_indexed(self, progress: Progress | None = None,
                       notice: Callable[[str], None] | None = None) -> IndexReport | None:
        """Index the corpus if the store holds no index yet (ask, search, eval and serve all
        start this way); ``notice`` receives one line before and one after."""
        if self.is_indexed():
            return None
        if self.store.remote:  # readers never write to a server store
            raise StoreError(
                f"the Chroma server at {self.store} holds no index by "
                f"{', '.join(e.name for e in self.embedders)}: run 'python -m assistant index "
                f"--store {self.store}' where the corpus is.")
        check_folder(Path(self.config.corpus))  # before anything is written to the store
        if notice:
            missing = [e.name for e in self.embedders if self.store.exists() and
                       not self.store.is_current(e.name, e.version)]
            notice(f"the store {self.config.store} has no index by {', '.join(missing)} (or it "
                   f"was made by another model version): indexing {self.config.corpus} first"
                   if missing else f"the store {self.config.store} is empty: indexing "
                   f"{self.config.corpus} first")
        report = self.index(progress)
        if notice:
            for skipped in report.skipped_files:
                notice(f"skipped {skipped.source}: {skipped.reason}")
            notice(f"indexed {report.articles} articles, {report.chunks} chunks in "
                   f"{report.seconds:.1f} s")
        return report

    # -- asking ---------------------------------------------------------------------------
    @property
    def retriever(self) -> Retriever:
        """The hybrid retriever over the store, built on first use and after each index run."""
        if self._retriever is None:
            self._retriever = self._build_retriever()
        return self._retriever

    def _build_retriever(self) -> Retriever:
        loaded = KeywordIndex.load(self.store.keyword_dir)
        if loaded is None:
            raise StoreError(
                f"store {self.store.path} holds no index: run 'python -m assistant index' "
                "first (or pass the right --store)."
            )
        weights = Weights(keyword=self.config.keyword_weight,
                          sentences=self.config.sentence_weight, names=self.config.name_weight,
                          models=self.config.model_weights())
        return Retriever(self.store, self.embedders, loaded, weights)

    @property
    def answerer(self) -> ExtractiveAnswerer:
        if self._answerer is None:
            floor = self.config.min_evidence
            self._answerer = ExtractiveAnswerer(self.embedders, None if floor < 0 else floor,
                                                mode=self.config.answerer)
            self._answerer.vectors.stored = self._stored_sentence_vectors
        return self._answerer

    @property
    def reader_answerer(self) -> ReaderAnswerer:
        """The span reader (loaded once per process) with its calibration."""
        if self._reader_answerer is None:
            self._reader_answerer = make_reader_answerer(self.config)
            self._reader_answerer.use_screen(self.screen)
        return self._reader_answerer

    @property
    def screen(self) -> AddressScreen:
        """Which sentences of a passage address a model (read from the stored e5 vectors)."""
        if self._screen is None:
            self._screen = AddressScreen.of(self.embedders, self._stored_sentence_vectors,
                                            self.config.threads, self.config.cache_dir())
        return self._screen

    def _answer(self, question: str, cands: list, qvecs: dict, lang: str | None) -> Answer:
        if self.config.answerer == "reader":
            return self.reader_answerer.answer(question, cands, lang)
        return self.answerer.answer(question, cands, qvecs, lang)

    def _addresses(self, chunk_id: str, quote: str) -> bool:
        """The cited passage holds text addressed to a model or an assistant."""
        chunk = self.retriever.chunk(chunk_id)
        return instruction_like(getattr(chunk, "text", quote)) or bool(chunk and self.screen(chunk))

    def _stored_sentence_vectors(self, embedder: str, ids: list[str]) -> dict:
        with self.store.locked(exclusive=False):
            return self.store.sentence_vectors(embedder, ids)

    def _drop_retriever(self) -> None:
        if self._retriever is not None:
            self._retriever.keyword.close()
            self._retriever = None

    def close(self) -> None:
        """Release the store and the keyword index's files (the next question reopens)."""
        self._drop_retriever()
        self.store.close()

    def forget_answers(self) -> None:
        """Start answering as a fresh process does: no cached sentence vectors, follow-up
        antecedents or rewrites. Cached sentence vectors were encoded beside other texts and
        differ slightly with them, so without this an answer can depend on the questions
        asked before (an evaluation starts here, so the page and the command score alike)."""
        if self._answerer is not None:
            self._answerer.vectors.clear()  # the LLM mode's verifier shares them
        self._antecedents.clear()
        self._rewrites.clear()

    def _fresh(self) -> None:
        """Reopen the store if an ``index`` run (in any process) changed it since it was
        opened: Chroma caches its vector index per process, and a stale one fails."""
        with self._reopening:  # the page's threads look at once
            generation = self.store.generation()
            if self._generation is not None and self._generation != generation:
                self.store.close()
                self._drop_retriever()
                generation = self.store.generation()
            self._generation = generation

    @property
    def llm_answerer(self) -> LLMAnswerer:
        """The LLM mode's writer and verifier; the LLM client is built on first use."""
        if self._llm_answerer is None:
            self._llm_answerer = LLMAnswerer(self.config, lambda: make_llm(self.config),
                                             Verifier(self.embedders, self.answerer.vectors,
                                                      screen=self.screen))
        return self._llm_answerer

    def _mode(self, mode: str | None) -> str:
        mode = mode or self.config.mode
        if mode not in MODES:
            raise UsageError(f"answer mode {mode!r} is not known: use 'extractive' or 'llm'.")
        if mode == "llm" and not self.config.llm_model:
            raise UsageError("mode 'llm' needs an LLM: set llm_url and llm_model (or "
                             "ASSISTANT_LLM_URL and ASSISTANT_LLM_MODEL), see the README.")
        return mode

    def resolve(self, question: str, history: Sequence[str] = (), mode: str | None = None
                ) -> str:
        """The question to retrieve and answer with. A follow-up ("And who led the Uzbek
        delegation?") is made standalone: in LLM mode the LLM rewrites it; otherwise (or
        when the LLM fails) the conversation's earlier questions fill the ellipsis, and for
        a pronoun ("what did he stress?") the previous question is answered again (cached)
        and its short answer, the name it gave, is what "he" refers to."""
        question = check_question(question)
        if history and self._mode(mode) == "llm":
            key = (question, *history)
            try:
                if key not in self._rewrites:
                    if len(self._rewrites) >= 64:
                        self._rewrites.pop(next(iter(self._rewrites)))
                    self._rewrites[key] = rewrite(self.llm_answerer.llm, question, history,
                                                  self.config)
                return self._rewrites[key]
            except LLMError:
                pass  # the extractive way below
        previous = None
        if history and needs_antecedent(question):
            key = tuple(history)
            if key not in self._antecedents:
                if len(self._antecedents) >= 32:  # the oldest conversation goes
                    self._antecedents.pop(next(iter(self._antecedents)))
                self._antecedents[key] = self.ask(history[-1], history=history[:-1],
                                                  mode="extractive").short_answer
            previous = self._antecedents[key]
        return contextual_question(question, list(history), previous)

    def search(self, question: str, k: int | None = None, filters: Filters = Filters(),
               history: Sequence[str] = ()) -> list[Hit]:
        question = self.resolve(question, history, mode="extractive")
        with self.store.locked(exclusive=False):
            self._fresh()
            return self.retriever.search(question, k or self.config.k, filters)

    def ask(self, question: str, k: int | None = None, filters: Filters = Filters(),
            history: Sequence[str] = (), mode: str | None = None) -> Answer:
        """The answer (in LLM mode, the last of ``ask_stream``)."""
        *_, last = self.ask_stream(question, k, filters, history, mode)
        return last

    def ask_stream(self, question: str, k: int | None = None, filters: Filters = Filters(),
                   history: Sequence[str] = (), mode: str | None = None) -> Iterator[Answer]:
        """Answers as they grow: extractive answers come whole; in LLM mode each verified
        sentence adds to the previous answer, and the last one is final."""
        mode = self._mode(mode)
        question = self.resolve(question, history, mode)
        lang, score = lang_score(question)
        if (why := unsupported(lang, score)) is not None:  # not answered at random
            yield Answer(question, why, [], False, mode=mode, lang=lang, notice=why)
            return
        with self.store.locked(exclusive=False):
            self._fresh()
            t0 = time.perf_counter()
            lang = detect_lang(question)
            admitted, empty = self.retriever.admitted(filters)
            if admitted == 0:  # the filters leave no article: say which, not "not found"
                yield Answer(question, filter_refusal(
                    lang, empty, filters.since, filters.until, filters.langs, filters.sources,
                    filters.describe()), [], False, mode=mode, lang=lang)
                return
            cands = self.retriever.candidates(question, k or self.config.k, filters)
            t1 = time.perf_counter()
            qvecs = self.retriever.query_vectors(question)

        first = self._answer(question, cands, qvecs, lang)
        if admitted and not first.answerable:  # "none of the n articles in the filters"
            first = replace(first, text=refusal_text(lang, admitted))
        # The calibrated refusal holds in both modes: what the sources do not answer is not
        # given to the LLM to guess at (it is also the LLM's fallback).
        answers = (self.llm_answerer.stream(question, cands, lang, lambda: first)
                   if mode == "llm" and first.answerable else iter([first]))
        for ans in answers:
            with self.store.locked(exclusive=False):
                citations = [replace(c, also_reported_in=tuple(self.also_reported_in(
                    c.article_id))) for c in ans.citations]
            timings = {"retrieve": round((t1 - t0) * 1000, 1),
                       "answer": round((time.perf_counter() - t1) * 1000, 1)}
            closest = [] if ans.answerable else [Hit(c.chunk, round(c.score, 4), i + 1)
                                                 for i, c in enumerate(cands[:3])]
            marked = [c.n for c in ans.citations if self._addresses(c.chunk_id, c.quote)]
            notice = ans.notice
            if marked:  # the answer says which of its sources address an assistant
                notice = " ".join(x for x in (notice, say(
                    "instructions", ans.lang, sources=", ".join(f"[{n}]" for n in marked)))
                    if x)
            yield replace(ans, citations=citations, timings_ms=timings, closest=closest,
                          notice=notice)
