"""Strategy templates and the registry that lists them (see ``strategies.registry``)."""

from __future__ import annotations

import core  # noqa: F401  (first: core decides whether the engine runs compiled or from source)
from strategies.registry import (
    TEMPLATES,
    ParamSpec,
    TemplateSpec,
    build_config,
    build_strategy,
    describe_params,
    load_strategy_file,
    parse_param_assignments,
    parse_value,
    template,
)

__all__ = [
    "TEMPLATES",
    "ParamSpec",
    "TemplateSpec",
    "build_config",
    "build_strategy",
    "describe_params",
    "load_strategy_file",
    "parse_param_assignments",
    "parse_value",
    "template",
]
