"""Template parameters: how a config declares its bounds, and the one check that enforces them.

Every template config is a frozen, keyword-only dataclass whose fields carry their bounds in
``dataclasses.field(metadata=...)``. The config validates itself with ``check_bounds`` and the
registry, the CLI and the GUI read the same metadata, so a parameter is declared once.

Metadata keys (all optional):

- ``"min"`` / ``"max"``: inclusive numeric bounds;
- ``"help"``: one line for forms and ``--help``;
- ``"types"``: the member types of a union field, e.g. ``(int, str)`` for a quantity given as
  ``100`` or ``"0.5"``. mypyc replaces a compiled dataclass's union annotations by ``type`` at
  run time, so tools cannot recover the members from the annotation alone.
"""

from __future__ import annotations

import math
from dataclasses import fields
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def _as_decimal(value: object) -> Decimal | None:
    """The exact value of an int, float or Decimal (bools and anything else: None)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(value) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    return None


def describe_range(low: object, high: object) -> str:
    """``between 1 and 500``, ``at least 1``, ``at most 9`` or ``any value``."""
    if low is not None and high is not None:
        return f"between {low} and {high}"
    if low is not None:
        return f"at least {low}"
    if high is not None:
        return f"at most {high}"
    return "any value"


def check_value(name: str, value: object, low: object, high: object) -> None:
    """Raise ValueError unless ``low <= value <= high`` (a None bound is open)."""
    if low is None and high is None:
        return
    number = _as_decimal(value)
    if number is None:
        raise ValueError(
            f"{name} must be a finite number {describe_range(low, high)}, got {value!r}"
        )
    lo = _as_decimal(low)
    hi = _as_decimal(high)
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        raise ValueError(f"{name} must be {describe_range(low, high)}, got {value}")


def check_bounds(config: DataclassInstance) -> None:
    """Check every field of a config against its ``min``/``max`` metadata."""
    for f in fields(config):
        meta = f.metadata
        low: object = meta.get("min")
        high: object = meta.get("max")
        if low is None and high is None:
            continue
        value: object = getattr(config, f.name)
        check_value(f.name, value, low, high)


def check_quantity(name: str, value: object) -> None:
    """An order size given as a positive int or as text such as ``"0.5"``."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{name} must be a positive int or decimal text, got {value!r}")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(f"{name} must be positive, got {value}")
        return
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not number.is_finite() or number <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def check_instrument_id(name: str, value: object) -> None:
    """An instrument id must look like ``SYMBOL.VENUE``."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an instrument id like 'SPY.ARCA', got {value!r}")
    symbol, dot, venue = value.rpartition(".")
    if not dot or not symbol or not venue:
        raise ValueError(f"{name} must look like SYMBOL.VENUE (e.g. 'SPY.ARCA'), got {value!r}")
