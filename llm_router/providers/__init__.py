"""Concrete providers: the only code that talks HTTP to upstreams."""

from llm_router.providers.scripted import Fault, Script, ScriptedProvider

__all__ = ["Fault", "Script", "ScriptedProvider"]
