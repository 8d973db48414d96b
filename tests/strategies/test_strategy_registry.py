"""The template registry: every template builds and runs, --param parsing, user strategy files."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from strategy_harness import QQQ, SPY, Run, bars_from_closes, qqq, spy

from core.strategy import Strategy
from strategies import (
    TEMPLATES,
    TemplateSpec,
    build_config,
    build_strategy,
    describe_params,
    load_strategy_file,
    parse_param_assignments,
    template,
)
from strategies.rsi_reversion import RsiReversionConfig
from strategies.sma_cross import SmaCross, SmaCrossConfig

EXAMPLE = (
    Path(__file__).resolve().parents[2] / "resources" / "examples" / "breakout_user_strategy.py"
)

CLOSES = [100 + (i % 7) * 1.5 - (i % 5) for i in range(60)]


# templates ---------------------------------------------------------------------------------------
def test_the_registry_lists_the_six_templates() -> None:
    assert list(TEMPLATES) == [
        "sma_cross",
        "ema_cross",
        "rsi_reversion",
        "bollinger_reversion",
        "donchian_breakout",
        "pairs_zscore",
        "market_maker",
    ]
    assert {n: (s.data_kind, s.n_instruments) for n, s in TEMPLATES.items()} == {
        "sma_cross": ("bars", 1),
        "ema_cross": ("any", 1),
        "rsi_reversion": ("bars", 1),
        "bollinger_reversion": ("bars", 1),
        "donchian_breakout": ("bars", 1),
        "pairs_zscore": ("bars", 2),
        "market_maker": ("book", 1),
    }
    assert TEMPLATES["sma_cross"].config_class is SmaCrossConfig
    assert TEMPLATES["sma_cross"].strategy_class is SmaCross
    assert all(s.description and "\n" not in s.description for s in TEMPLATES.values())


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_every_template_builds_with_defaults_and_runs(name: str) -> None:
    spec = template(name)
    ids = [SPY, QQQ][: spec.n_instruments]
    config = build_config(spec, ids, {})
    strategy = build_strategy(spec, config)
    assert isinstance(strategy, Strategy)
    assert strategy.strategy_id == name
    assert build_strategy(spec, config, "mine").strategy_id == "mine"
    run = Run(strategy, [spy(), qqq()])
    bars = [bars_from_closes(iid, CLOSES) for iid in ids]
    run.feed([b for group in zip(*bars, strict=True) for b in group])
    run.assert_clean()


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_every_parameter_has_help_and_parses_its_default(name: str) -> None:
    spec = template(name)
    ids = [SPY, QQQ][: spec.n_instruments]
    for p in spec.params:
        assert p.help, f"{name}.{p.name} has no help text"
        assert not p.required
    params = {p.name: str(p.default) for p in spec.params}
    assert build_config(spec, ids, params) == build_config(spec, ids, {})


def test_unknown_template() -> None:
    with pytest.raises(ValueError) as info:
        template("sma")
    assert str(info.value) == (
        "unknown strategy template 'sma'; known: sma_cross, ema_cross, rsi_reversion, "
        "bollinger_reversion, donchian_breakout, pairs_zscore, market_maker"
    )


# parameters --------------------------------------------------------------------------------------
def test_params_are_converted_to_field_types() -> None:
    spec = template("sma_cross")
    config = build_config(
        spec, [SPY], {"fast": "5", "slow": "1_000", "qty": "25", "allow_short": "yes"}
    )
    assert config == SmaCrossConfig(instrument_id=SPY, fast=5, slow=1000, qty=25, allow_short=True)
    fractional = build_config(spec, [SPY], {"qty": "0.5", "allow_short": "off"})
    assert isinstance(fractional, SmaCrossConfig)
    assert (fractional.qty, fractional.allow_short) == ("0.5", False)
    rsi = build_config(template("rsi_reversion"), [SPY], {"oversold": "25", "stop_loss_pct": "2.5"})
    assert isinstance(rsi, RsiReversionConfig)
    assert (rsi.oversold, rsi.stop_loss_pct) == (25.0, 2.5)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        (
            "sma_cross",
            {"fastt": "5"},
            "unknown parameter 'fastt' for sma_cross; known: fast, slow, qty, allow_short",
        ),
        (
            "sma_cross",
            {"fast": "five"},
            "parameter 'fast' of sma_cross must be an integer, got 'five'",
        ),
        (
            "sma_cross",
            {"fast": "2.5"},
            "parameter 'fast' of sma_cross must be an integer, got '2.5'",
        ),
        (
            "sma_cross",
            {"fast": "0"},
            "parameter 'fast' of sma_cross must be between 1 and 10000, got 0",
        ),
        (
            "sma_cross",
            {"allow_short": "maybe"},
            "parameter 'allow_short' of sma_cross must be true or false, got 'maybe'",
        ),
        (
            "sma_cross",
            {"fast": "40"},
            "sma_cross: fast must be less than slow, got fast=40 slow=30",
        ),
        ("sma_cross", {"qty": "-3"}, "sma_cross: qty must be positive, got -3"),
        (
            "rsi_reversion",
            {"oversold": "nan"},
            "parameter 'oversold' of rsi_reversion must be a number, got 'nan'",
        ),
        (
            "rsi_reversion",
            {"stop_loss_pct": "75"},
            "parameter 'stop_loss_pct' of rsi_reversion must be between 0.0 and 50.0, got 75.0",
        ),
        (
            "sma_cross",
            {"instrument_id": "QQQ.SIM"},
            "instrument_id of sma_cross is given as an instrument, not a parameter",
        ),
    ],
)
def test_param_errors_are_one_clear_line(name: str, params: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError) as info:
        build_config(template(name), [SPY], params)
    assert str(info.value) == message
    assert "\n" not in str(info.value)


def test_instrument_count_is_checked() -> None:
    with pytest.raises(ValueError) as info:
        build_config(template("pairs_zscore"), [SPY], {})
    assert str(info.value) == (
        "pairs_zscore needs 2 instrument(s) (instrument_a, instrument_b), got 1"
    )
    with pytest.raises(ValueError, match=r"sma_cross: instrument_id must look like SYMBOL\.VENUE"):
        build_config(template("sma_cross"), ["SPY"], {})


def test_parse_param_assignments() -> None:
    assert parse_param_assignments(["fast=5", " slow = 20 ", "qty=0.5"]) == {
        "fast": "5",
        "slow": "20",
        "qty": "0.5",
    }
    with pytest.raises(ValueError, match="a parameter must look like name=value, got 'fast'"):
        parse_param_assignments(["fast"])
    with pytest.raises(ValueError, match="parameter 'fast' is given twice"):
        parse_param_assignments(["fast=1", "fast=2"])


def test_build_strategy_checks_the_config_type() -> None:
    config = build_config(template("ema_cross"), [SPY], {})
    with pytest.raises(ValueError, match="sma_cross needs a SmaCrossConfig, got EmaCrossConfig"):
        build_strategy(template("sma_cross"), config)


def test_describe_params() -> None:
    lines = describe_params(template("sma_cross"))
    assert lines[0] == "fast (int, default 10, between 1 and 10000): fast SMA period (bars)"
    assert lines[2] == "qty (int | str, default 100): order size in units, e.g. 100 or '0.5'"


# user strategy files -----------------------------------------------------------------------------
def test_load_the_example_user_strategy_and_run_it() -> None:
    spec = load_strategy_file(EXAMPLE)
    assert isinstance(spec, TemplateSpec)
    assert (spec.name, spec.data_kind, spec.n_instruments) == ("CloseBreakout", "bars", 1)
    assert spec.description.startswith("Buy when the close beats the highest close")
    assert [p.name for p in spec.params] == ["lookback", "exit_lookback", "qty"]
    config = build_config(spec, [SPY], {"lookback": "3", "exit_lookback": "2", "qty": "10"})
    strategy = build_strategy(spec, config)
    assert strategy.strategy_id == "close_breakout"
    # closes 10 10 10 11: 11 beats the 3 previous -> BUY at bar 5's open; 9 < min(12, 11) -> SELL
    run = Run(strategy).feed(bars_from_closes(SPY, [10, 10, 10, 11, 12, 9, 9]))
    run.assert_clean()
    assert run.rows() == [(5, "BUY", "10", "11"), (7, "SELL", "10", "9")]
    with pytest.raises(ValueError, match="parameter 'lookback' of CloseBreakout must be between 2"):
        build_config(spec, [SPY], {"lookback": "1"})


def write(tmp_path: Path, source: str, name: str = "user.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


HEADER = """
    from dataclasses import dataclass, field
    from decimal import Decimal
    from core.strategy import Strategy
"""

ONE_STRATEGY = (
    HEADER
    + """
    @dataclass(frozen=True, kw_only=True)
    class MineConfig:
        instrument_id: str
        size: Decimal = field(default=Decimal("1.5"), metadata={"min": 0, "help": "size"})
        note: str | None = None
        ratio: float = 0.5

    class Mine(Strategy):
        '''My strategy.'''
        def __init__(self, config: MineConfig, strategy_id: str) -> None:
            super().__init__(strategy_id=strategy_id, instrument_ids=(config.instrument_id,))
            self.config = config
"""
)


def test_user_config_with_decimal_optional_and_required_strategy_id(tmp_path: Path) -> None:
    spec = load_strategy_file(write(tmp_path, ONE_STRATEGY))
    assert [p.type_name for p in spec.params] == ["Decimal", "str | None", "float"]
    config = build_config(spec, [SPY], {"size": "2.25", "note": "none", "ratio": "1e-3"})
    values = vars(config)  # the class was defined by the file: read its fields generically
    assert (values["size"], values["note"], values["ratio"]) == (Decimal("2.25"), None, 0.001)
    assert vars(build_config(spec, [SPY], {"note": "hello"}))["note"] == "hello"
    # no default strategy id in the constructor: the spec's name is used
    assert build_strategy(spec, config).strategy_id == "Mine"
    with pytest.raises(ValueError, match=r"must be at least 0, got -1"):
        build_config(spec, [SPY], {"size": "-1"})


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (HEADER + "\n    x = (\n", r"user\.py:\d+: syntax error: "),
        (HEADER + "\n    raise RuntimeError('boom')\n", r"importing it failed: RuntimeError: boom"),
        (HEADER + "\n    class NotAStrategy:\n        pass\n", "no Strategy subclass is defined"),
        (
            ONE_STRATEGY + "\n    class Other(Mine):\n        pass\n",
            r"several Strategy subclasses are defined \(Mine, Other\); keep one",
        ),
        (
            ONE_STRATEGY.replace("class MineConfig", "class MyConfig").replace(
                "config: MineConfig", "config: MyConfig"
            ),
            "no MineConfig dataclass beside Mine",
        ),
        (
            ONE_STRATEGY.replace(
                "def __init__(self, config: MineConfig, strategy_id: str)",
                "def __init__(self)",
            ),
            r"Mine must be constructible as Mine\(config, strategy_id\)",
        ),
        (
            ONE_STRATEGY.replace("instrument_id: str", "symbol: str"),
            "MineConfig has no instrument field",
        ),
        (
            ONE_STRATEGY.replace("ratio: float = 0.5", "ratio: list[int] | None = None"),
            r"MineConfig\.ratio: parameter type .* is not supported",
        ),
    ],
)
def test_broken_user_files(tmp_path: Path, source: str, message: str) -> None:
    path = write(tmp_path, source)
    with pytest.raises(ValueError, match=message) as info:
        load_strategy_file(path)
    assert str(path) in str(info.value)


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "x = 1\ny = (\n", "bad.py")
    with pytest.raises(ValueError) as info:
        load_strategy_file(path)
    assert str(info.value).startswith(f"{path}:2: syntax error: ")


def test_missing_and_non_python_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="strategy file not found: "):
        load_strategy_file(tmp_path / "nope.py")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match=r"a strategy file must be a \.py file, got notes\.txt"):
        load_strategy_file(text)


def test_a_user_file_may_subclass_a_template(tmp_path: Path) -> None:
    source = """
        from dataclasses import dataclass
        from core.market import Bar
        from strategies.sma_cross import SmaCross, SmaCrossConfig

        @dataclass(frozen=True, kw_only=True)
        class QuietSmaCrossConfig(SmaCrossConfig):
            pass

        class QuietSmaCross(SmaCross):
            '''SMA cross that counts its bars.'''
            def __init__(self, config: QuietSmaCrossConfig, strategy_id: str = "quiet") -> None:
                super().__init__(config, strategy_id)
                self.bars = 0

            def on_bar(self, bar: Bar) -> None:
                self.bars += 1
                super().on_bar(bar)
    """
    spec = load_strategy_file(write(tmp_path, source, "quiet.py"))
    assert spec.name == "QuietSmaCross"  # the imported SmaCross is not "defined in the file"
    config = build_config(spec, [SPY], {"fast": "2", "slow": "3"})
    strategy = build_strategy(spec, config)
    closes = [10, 9, 8, 9, 10, 11, 10, 9, 8, 9]
    run = Run(strategy).feed(bars_from_closes(SPY, closes))
    run.assert_clean()
    assert vars(strategy)["bars"] == 10
    assert [(i, side) for i, side, _, _ in run.rows()] == [(6, "BUY"), (9, "SELL")]
