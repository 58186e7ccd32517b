"""The ``llm-router`` command line (SPEC §8)."""
