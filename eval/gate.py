"""The regression gate: compare a summary with a saved baseline."""

from __future__ import annotations

import json
from pathlib import Path

from corpus import UsageError

from .runner import HEADLINE


def load_baseline(path: str | Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"baseline {path} does not exist: pass a summary saved with "
                         "--json, or leave --baseline out.") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"baseline {path} is not a readable JSON summary ({type(exc).__name__})"
                         ": pass a file written by 'eval --json'.") from None
    summary = data.get("summary", data) if isinstance(data, dict) else None
    if not isinstance(summary, dict):
        raise UsageError(f"baseline {path} holds no summary: pass a file written by "
                         "'eval --json'.")
    return summary


def compare(summary: dict, baseline: dict, tolerance: float) -> tuple[list[str], list[str]]:
    """(lines describing every change, lines for headline metrics that regressed beyond
    ``tolerance``)."""
    changes, regressions = [], []
    for key, higher_is_better in HEADLINE.items():
        new, old = summary.get(key), baseline.get(key)
        if new is None or old is None:
            continue
        delta = new - old
        worse = -delta if higher_is_better else delta
        if abs(delta) < 1e-9:
            continue
        line = f"{key}: {old:.3f} -> {new:.3f} ({delta:+.3f})"
        changes.append(line + (" worse" if worse > 0 else " better"))
        if worse > tolerance:
            regressions.append(line)
    return changes, regressions
