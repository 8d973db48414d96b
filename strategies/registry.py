"""The explicit list of strategy templates, user strategy files, and parameter parsing.

Nothing here scans folders: a template is listed in ``TEMPLATES`` or it does not exist, and a
user's strategy is loaded from the one file the user names. Not compiled (it imports files
dynamically), but typed as strictly as the rest.

A strategy file (template or user's) defines one ``Strategy`` subclass ``<Name>`` taking
``(config, strategy_id)`` and, beside it, a frozen dataclass ``<Name>Config``. Instruments are
the config's ``str`` fields named ``instrument_id`` or ``instrument_<x>`` (in declaration
order); every other field is a parameter, converted from ``--param name=value`` text to the
field's type and checked against its ``min``/``max`` metadata (see ``strategies.params``).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import math
import sys
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, cast

from core.strategy import Strategy
from strategies.bollinger_reversion import BollingerReversion, BollingerReversionConfig
from strategies.donchian_breakout import DonchianBreakout, DonchianBreakoutConfig
from strategies.ema_cross import EmaCross, EmaCrossConfig
from strategies.market_maker import MarketMaker, MarketMakerConfig
from strategies.pairs_zscore import PairsZscore, PairsZscoreConfig
from strategies.params import check_value, describe_range
from strategies.rsi_reversion import RsiReversion, RsiReversionConfig
from strategies.sma_cross import SmaCross, SmaCrossConfig

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

DATA_KINDS = ("bars", "quotes", "book", "any")
# the most specific parse first: "none" is None before it is text, "1" an int before a float
_PARSE_ORDER: tuple[type, ...] = (type(None), bool, int, float, Decimal, str)
_TRUE = frozenset(("1", "true", "yes", "on"))
_FALSE = frozenset(("0", "false", "no", "off"))


@dataclass(frozen=True)
class ParamSpec:
    """One parameter as the CLI and the GUI see it."""

    name: str
    types: tuple[type, ...]  # accepted types, in the order text is tried against them
    default: object  # dataclasses.MISSING when the parameter is required
    low: object  # inclusive bounds from the field metadata, None when open
    high: object
    help: str

    @property
    def required(self) -> bool:
        return self.default is dataclasses.MISSING

    @property
    def type_name(self) -> str:
        shown = [t.__name__ for t in self.types if t is not type(None)]
        return " | ".join([*shown, "None"] if type(None) in self.types else shown)


@dataclass(frozen=True)
class TemplateSpec:
    """A strategy class, its config class and what they need."""

    name: str
    config_class: type
    strategy_class: type[Strategy]
    description: str
    data_kind: str  # "bars", "quotes", "book" (L2 book data, trade ticks beside it) or "any"
    n_instruments: int
    instrument_fields: tuple[str, ...]
    params: tuple[ParamSpec, ...]

    def param(self, name: str) -> ParamSpec | None:
        for p in self.params:
            if p.name == name:
                return p
        return None


def _dataclass_type(cls: type) -> type[DataclassInstance]:
    if not dataclasses.is_dataclass(cls):
        raise ValueError(f"{cls.__name__} must be a dataclass")
    return cls


def _field_types(cls: type, f: dataclasses.Field[object]) -> tuple[type, ...]:
    """The types a field accepts, in the order text is tried against them. mypyc rewrites a
    compiled dataclass's union annotations to ``type``, so metadata ``"types"`` (when given)
    wins over the annotation."""
    declared = f.metadata.get("types")
    members: tuple[object, ...]
    if isinstance(declared, tuple) and declared:
        members = declared
    else:
        try:
            hints = typing.get_type_hints(cls)
        except Exception as exc:
            raise ValueError(f"{cls.__name__}: cannot resolve field annotations: {exc}") from None
        hint: object = hints.get(f.name, f.type)
        if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
            members = typing.get_args(hint)
        else:
            members = (hint,)
    supported = [t for t in _PARSE_ORDER if t in members]
    if members == (type,) or len(supported) != len(members):
        # ``type`` alone is mypyc's stand-in for a union whose members it did not keep
        shown = " | ".join(getattr(t, "__name__", str(t)) for t in members)
        raise ValueError(
            f"{cls.__name__}.{f.name}: parameter type {shown} is not supported "
            "(use int, float, bool, str, Decimal, None or a union of them; unions in compiled "
            "configs also need metadata 'types')"
        )
    return tuple(supported)


def _is_instrument_field(f: dataclasses.Field[object]) -> bool:
    return f.name == "instrument_id" or f.name.startswith("instrument_")


def _make_spec(
    name: str,
    config_class: type,
    strategy_class: type[Strategy],
    description: str,
    data_kind: str,
) -> TemplateSpec:
    if data_kind not in DATA_KINDS:
        raise ValueError(f"{name}: data kind must be one of {', '.join(DATA_KINDS)}")
    instrument_fields: list[str] = []
    params: list[ParamSpec] = []
    for f in dataclasses.fields(_dataclass_type(config_class)):
        if _is_instrument_field(f):
            instrument_fields.append(f.name)
            continue
        meta = f.metadata
        params.append(
            ParamSpec(
                name=f.name,
                types=_field_types(config_class, f),
                default=f.default,
                low=meta.get("min"),
                high=meta.get("max"),
                help=str(meta.get("help", "")),
            )
        )
    if not instrument_fields:
        raise ValueError(
            f"{config_class.__name__} has no instrument field "
            "(declare instrument_id: str, or instrument_a/instrument_b: str)"
        )
    return TemplateSpec(
        name=name,
        config_class=config_class,
        strategy_class=strategy_class,
        description=description,
        data_kind=data_kind,
        n_instruments=len(instrument_fields),
        instrument_fields=tuple(instrument_fields),
        params=tuple(params),
    )


TEMPLATES: dict[str, TemplateSpec] = {
    spec.name: spec
    for spec in (
        _make_spec(
            "sma_cross",
            SmaCrossConfig,
            SmaCross,
            "long when the fast SMA crosses above the slow SMA, flat (or short) below",
            "bars",
        ),
        _make_spec(
            "ema_cross",
            EmaCrossConfig,
            EmaCross,
            "long when the fast EMA of the mid (or close) crosses above the slow EMA",
            "any",
        ),
        _make_spec(
            "rsi_reversion",
            RsiReversionConfig,
            RsiReversion,
            "buy RSI below oversold, exit above the exit level; optional short and stop-loss",
            "bars",
        ),
        _make_spec(
            "bollinger_reversion",
            BollingerReversionConfig,
            BollingerReversion,
            "resting limit at the lower Bollinger band, exit at the middle band",
            "bars",
        ),
        _make_spec(
            "donchian_breakout",
            DonchianBreakoutConfig,
            DonchianBreakout,
            "stop entries at the Donchian channel high/low, stop exits at the exit channel",
            "bars",
        ),
        _make_spec(
            "pairs_zscore",
            PairsZscoreConfig,
            PairsZscore,
            "trade the z-score of log(a) - beta * log(b) on two instruments",
            "bars",
        ),
        _make_spec(
            "market_maker",
            MarketMakerConfig,
            MarketMaker,
            "quote bid and ask around the book's mid within inventory limits (--venue book)",
            "book",
        ),
    )
}


def template(name: str) -> TemplateSpec:
    """The template called ``name`` (ValueError listing the known ones otherwise)."""
    spec = TEMPLATES.get(name)
    if spec is None:
        raise ValueError(f"unknown strategy template {name!r}; known: {', '.join(TEMPLATES)}")
    return spec


# user files --------------------------------------------------------------------------------------
def load_strategy_file(path: Path) -> TemplateSpec:
    """Import a user's strategy file and describe its one Strategy subclass and its Config."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"strategy file not found: {path}")
    if path.suffix != ".py":
        raise ValueError(f"a strategy file must be a .py file, got {path.name}")
    module = _import_file(path)
    found = [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, Strategy)
        and obj is not Strategy
        and obj.__module__ == module.__name__
    ]
    if not found:
        raise ValueError(f"{path}: no Strategy subclass is defined in this file")
    if len(found) > 1:
        names = ", ".join(sorted(c.__name__ for c in found))
        raise ValueError(f"{path}: several Strategy subclasses are defined ({names}); keep one")
    strategy_class = found[0]
    config_name = f"{strategy_class.__name__}Config"
    config_class = getattr(module, config_name, None)
    if not isinstance(config_class, type) or not dataclasses.is_dataclass(config_class):
        raise ValueError(
            f"{path}: no {config_name} dataclass beside {strategy_class.__name__} "
            "(declare @dataclass(frozen=True, kw_only=True) class "
            f"{config_name} with its parameters)"
        )
    _check_constructor(path, strategy_class)
    doc = inspect.getdoc(strategy_class) or inspect.getdoc(module) or ""
    description = doc.splitlines()[0] if doc else strategy_class.__name__
    data_kind = str(getattr(module, "DATA_KIND", "any"))
    try:
        return _make_spec(
            strategy_class.__name__, config_class, strategy_class, description, data_kind
        )
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def _import_file(path: Path) -> types.ModuleType:
    resolved = path.resolve()
    name = f"tradebench_user_{resolved.stem}_{abs(hash(str(resolved))):x}"
    spec = importlib.util.spec_from_file_location(name, resolved)
    if spec is None or spec.loader is None:
        raise ValueError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    # dataclasses and typing look the module up by name while the file runs
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[name]
        raise ValueError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    except Exception as exc:
        del sys.modules[name]
        raise ValueError(f"{path}: importing it failed: {type(exc).__name__}: {exc}") from None
    return module


def _check_constructor(path: Path, strategy_class: type[Strategy]) -> None:
    try:
        signature = inspect.signature(strategy_class)
        signature.bind(object(), "strategy_id")
    except (TypeError, ValueError):
        raise ValueError(
            f"{path}: {strategy_class.__name__} must be constructible as "
            f"{strategy_class.__name__}(config, strategy_id)"
        ) from None


# parameters -------------------------------------------------------------------------------------
def parse_param_assignments(items: list[str]) -> dict[str, str]:
    """``["fast=5", "slow=20"]`` (the CLI's repeated ``--param``) to ``{"fast": "5", ...}``."""
    params: dict[str, str] = {}
    for item in items:
        name, eq, value = item.partition("=")
        name = name.strip()
        if not eq or not name:
            raise ValueError(f"a parameter must look like name=value, got {item!r}")
        if name in params:
            raise ValueError(f"parameter {name!r} is given twice")
        params[name] = value.strip()
    return params


def parse_value(text: str, kinds: tuple[type, ...], what: str) -> object:
    """Text to the first of ``kinds`` that accepts it; ValueError naming ``what`` otherwise."""
    stripped = text.strip()
    for kind in kinds:
        parser = _PARSERS[kind]
        try:
            return parser(stripped)
        except (ValueError, InvalidOperation):
            continue
    expected = " or ".join(_KIND_NAMES[k] for k in kinds)
    raise ValueError(f"{what} must be {expected}, got {text!r}")


def _parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _parse_decimal(text: str) -> Decimal:
    value = Decimal(text)
    if not value.is_finite():
        raise ValueError(text)
    return value


def _parse_none(text: str) -> None:
    if text.lower() not in ("", "none"):
        raise ValueError(text)


_PARSERS: dict[type, Callable[[str], object]] = {
    bool: _parse_bool,
    int: int,
    float: _parse_float,
    Decimal: _parse_decimal,
    str: str,
    type(None): _parse_none,
}
_KIND_NAMES: dict[type, str] = {
    bool: "true or false",
    int: "an integer",
    float: "a number",
    Decimal: "a decimal number",
    str: "text",
    type(None): "none",
}


def build_config(spec: TemplateSpec, instrument_ids: list[str], params: dict[str, str]) -> object:
    """The config for ``spec`` from instrument ids and ``--param`` text (ValueError, one line,
    on any unknown, missing, malformed or out-of-range parameter)."""
    if len(instrument_ids) != spec.n_instruments:
        wanted = ", ".join(spec.instrument_fields)
        raise ValueError(
            f"{spec.name} needs {spec.n_instruments} instrument(s) ({wanted}), "
            f"got {len(instrument_ids)}"
        )
    kwargs: dict[str, object] = dict(zip(spec.instrument_fields, instrument_ids, strict=True))
    for name, text in params.items():
        p = spec.param(name)
        if p is None and name in spec.instrument_fields:
            raise ValueError(f"{name} of {spec.name} is given as an instrument, not a parameter")
        if p is None:
            known = ", ".join(q.name for q in spec.params)
            raise ValueError(f"unknown parameter {name!r} for {spec.name}; known: {known}")
        what = f"parameter {name!r} of {spec.name}"
        value = parse_value(text, p.types, what)
        check_value(what, value, p.low, p.high)
        kwargs[name] = value
    missing = [p.name for p in spec.params if p.required and p.name not in kwargs]
    if missing:
        raise ValueError(f"{spec.name} needs parameter(s) {', '.join(missing)}")
    # one registry holds many config types: each config checks its own arguments when built
    make = cast(Callable[..., object], spec.config_class)
    try:
        return make(**kwargs)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{spec.name}: {exc}") from None


def build_strategy(spec: TemplateSpec, config: object, strategy_id: str = "") -> Strategy:
    """The strategy of ``spec`` for ``config``; an empty ``strategy_id`` keeps its default."""
    if not isinstance(config, spec.config_class):
        raise ValueError(
            f"{spec.name} needs a {spec.config_class.__name__}, got {type(config).__name__}"
        )
    make = cast(Callable[..., Strategy], spec.strategy_class)
    if strategy_id:
        strategy = make(config, strategy_id)
    elif _has_default_id(spec.strategy_class):
        strategy = make(config)
    else:
        strategy = make(config, spec.name)
    if not isinstance(strategy, Strategy):
        raise ValueError(f"{spec.name}: {spec.strategy_class.__name__} did not build a Strategy")
    return strategy


def _has_default_id(strategy_class: type[Strategy]) -> bool:
    try:
        inspect.signature(strategy_class).bind(object())
    except TypeError:
        return False
    except ValueError:  # no introspectable signature (a compiled class): templates have one
        return True
    return True


def describe_params(spec: TemplateSpec) -> list[str]:
    """One line per parameter, for ``--help`` style listings."""
    lines: list[str] = []
    for p in spec.params:
        default = "required" if p.required else f"default {p.default!r}"
        bounds = describe_range(p.low, p.high)
        bounds = "" if bounds == "any value" else f", {bounds}"
        lines.append(f"{p.name} ({p.type_name}, {default}{bounds}): {p.help}".rstrip(": "))
    return lines
