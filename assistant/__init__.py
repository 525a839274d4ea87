"""A chat assistant that answers questions about a corpus of news articles, with cited
passages (see README.md)."""

__version__ = "0.1.0"  # as pyproject.toml says (tests/assistant/test_http_api.py checks)
