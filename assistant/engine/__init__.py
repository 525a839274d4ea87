"""The assistant engine: question in, cited answer out (or "not in the corpus").

Public surface: ``Assistant``, ``Config``, ``load_config``, ``Filters``, ``Answer``,
``Citation``. Imported lazily, so the command line's --help does not load models or Chroma.
"""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "Assistant": "service", "Config": "config", "load_config": "config",
    "Filters": "retrieval", "Answer": "model", "Citation": "model",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
