"""Loading a policy whose ``${VAR}`` references are not all set: :class:`AllowMissing`.

``validate`` and ``explain`` need the structure of a policy, not its secrets: with
``load_policy(path, env=AllowMissing())`` a reference to an unset variable without a
default becomes a placeholder (``<unset:VAR>``) instead of an error, and the
variables replaced are listed in :attr:`AllowMissing.missing`. A router built from
such a policy still runs, and its upstreams refuse the placeholder keys.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping


class AllowMissing(Mapping[str, str]):
    """The environment (``os.environ`` or ``base``), whose unset variables the policy
    loader replaces by a placeholder (see the module doc)."""

    def __init__(self, base: Mapping[str, str] | None = None) -> None:
        self._base = os.environ if base is None else base
        self.missing: list[str] = []
        """The variables a placeholder replaced, in the order they were read."""

    def __getitem__(self, key: str) -> str:
        return self._base[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._base)

    def __len__(self) -> int:
        return len(self._base)

    def placeholder(self, name: str) -> str:
        """The stand-in for the unset variable ``name`` (recorded in :attr:`missing`)."""
        if name not in self.missing:
            self.missing.append(name)
        return f"<unset:{name}>"
