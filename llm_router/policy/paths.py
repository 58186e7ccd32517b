"""Where the packaged policies live."""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent.parent / "policies"


def demo_policy_path() -> Path:
    """The packaged demo policy (scripted providers, no keys, no network): the
    default ``--policy`` of the command line."""
    return _PACKAGED / "demo.yaml"
