"""Where the learned answerer's fitted weights live (``answer_model.json``, written by
``python -m benchmarks.fit_answerer``)."""

from __future__ import annotations

from pathlib import Path

MODEL_FILE = Path(__file__).with_name("answer_model.json")
