"""The ``llm-router`` command line (docs/DESIGN.md §8)."""
