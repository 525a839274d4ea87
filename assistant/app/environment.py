"""Process-wide switches, set once by the entry point before anything heavy is imported."""

from __future__ import annotations

import os


def prepare_process() -> None:
    """Offline and quiet, whoever starts the process: no model hub, no analytics, no
    telemetry; OpenMP threads that sleep instead of spinning (busy-waiting threads halve
    throughput on 2 cores)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ["ANONYMIZED_TELEMETRY"] = "False"
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
