"""Policy files (docs/DESIGN.md §6): load, validate, export the JSON Schema, assemble a Router."""

from llm_router.policy.build import assemble_policy, load_router
from llm_router.policy.env import AllowMissing
from llm_router.policy.model import (
    BreakerStorageSpec,
    CandidateSpec,
    LoggingSpec,
    Policy,
    Prices,
    ProviderSpec,
    RouteSpec,
    RuleSpec,
    ServerSpec,
    TasksSpec,
)
from llm_router.policy.paths import demo_policy_path
from llm_router.policy.providers import build_provider
from llm_router.policy.schema import schema
from llm_router.policy.validate import load_policy, parse_policy

__all__ = [
    "AllowMissing",
    "BreakerStorageSpec",
    "CandidateSpec",
    "LoggingSpec",
    "Policy",
    "Prices",
    "ProviderSpec",
    "RouteSpec",
    "RuleSpec",
    "ServerSpec",
    "TasksSpec",
    "assemble_policy",
    "build_provider",
    "demo_policy_path",
    "load_policy",
    "load_router",
    "parse_policy",
    "schema",
]
