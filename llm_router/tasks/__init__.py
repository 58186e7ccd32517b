"""Task detection (docs/DESIGN.md §4.2): which kind of work a chat request asks for."""

from llm_router.tasks.detector import TaskDetector, default_rules, detect_task
from llm_router.tasks.model import Detection, DetectorConfig, Rule, TextTask

__all__ = [
    "Detection",
    "DetectorConfig",
    "Rule",
    "TaskDetector",
    "TextTask",
    "default_rules",
    "detect_task",
]
