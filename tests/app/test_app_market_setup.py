"""From a trader's text to engine objects: data requests, fee/slippage/fill models, ticks."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from app.market_setup import (
    DataRequest,
    InstrumentSettings,
    SettingsError,
    implied_tick_raw,
    load,
    parse_date_ns,
    parse_fee,
    parse_fill,
    parse_slippage,
)
from core.data import BarSeries
from core.values import SCALE
from venues.simulated import (
    BarConvention,
    BpsFee,
    FixedBpsSlippage,
    HalfSpreadSlippage,
    MakerTakerFee,
    NoFee,
    NoSlippage,
    PerShareFee,
    VolatilitySlippage,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("prices.csv", DataRequest(path=Path("prices.csv"))),
        ("prices.csv@SPY.ARCA", DataRequest(path=Path("prices.csv"), instrument_id="SPY.ARCA")),
        ("synthetic", DataRequest(synthetic_bars=2520, seed=42)),
        ("synthetic:300", DataRequest(synthetic_bars=300, seed=42)),
        ("synthetic:300:7", DataRequest(synthetic_bars=300, seed=7)),
        ("synthetic:300:7@X.SIM", DataRequest(synthetic_bars=300, seed=7, instrument_id="X.SIM")),
    ],
)
def test_data_request_parse(text: str, expected: DataRequest) -> None:
    assert DataRequest.parse(text) == expected


def test_data_request_describe() -> None:
    assert DataRequest.parse("/x/y/prices.csv@A.B").describe() == "prices.csv"
    assert DataRequest.parse("synthetic:300:7@X.SIM").describe() == "synthetic:300:7"


def test_synthetic_request_loads_the_seeded_series() -> None:
    one = load(DataRequest.parse("synthetic:50:3@ABC.SIM"))
    again = load(DataRequest.parse("synthetic:50:3@ABC.SIM"))
    other = load(DataRequest.parse("synthetic:50:4@ABC.SIM"))
    assert isinstance(one, BarSeries) and isinstance(again, BarSeries)
    assert isinstance(other, BarSeries)
    assert one.instrument_id == "ABC.SIM" and len(one) == 50
    assert one.close.tolist() == again.close.tolist() != other.close.tolist()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("none", NoFee),
        ("bps:1", BpsFee),
        (" BPS:0.5 ", BpsFee),
        ("per-share:0.005", PerShareFee),
        ("per-share:0.005:1", PerShareFee),
        ("maker-taker:-0.2:0.3", MakerTakerFee),
    ],
)
def test_parse_fee(text: str, kind: type) -> None:
    assert isinstance(parse_fee(text), kind)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("none", NoSlippage),
        ("bps:2", FixedBpsSlippage),
        ("half-spread:3", HalfSpreadSlippage),
        ("vol:0.5", VolatilitySlippage),
        ("vol:0.5:10", VolatilitySlippage),
    ],
)
def test_parse_slippage(text: str, kind: type) -> None:
    assert isinstance(parse_slippage(text), kind)


def test_parse_fill() -> None:
    assert parse_fill("next-open") == BarConvention.NEXT_OPEN
    assert parse_fill(" Same-Close ") == BarConvention.SAME_CLOSE


@pytest.mark.parametrize(
    "call",
    [
        lambda: parse_fee("bps"),
        lambda: parse_fee("bps:1:2"),
        lambda: parse_fee("per-share:x"),
        lambda: parse_slippage("vol"),
        lambda: parse_slippage("bps:inf"),
        lambda: parse_fill("close"),
        lambda: parse_date_ns("31/03/2012", "--start"),
        lambda: DataRequest.parse("synthetic:1"),
    ],
)
def test_settings_errors_are_settings_errors(call: object) -> None:
    with pytest.raises(SettingsError):
        call()  # type: ignore[operator]


def test_parse_date_ns() -> None:
    assert parse_date_ns("1970-01-02", "--start") == 86_400 * 10**9
    assert parse_date_ns("1970-01-01T01:00:00+01:00", "--start") == 0
    assert parse_date_ns("1970-01-01T00:00:00.25", "--start") == 250_000_000


def test_implied_tick_of_real_files(shared_data: Path) -> None:
    """SPY's deci-cents include sub-penny prints (0.0001); FESX trades whole points; ORCL's
    split-adjusted prices need six decimals; OANDA quotes five."""
    cases = {
        "lean/equity/spy_daily_1998-2021.zip": "0.0001",
        "backtrader/fesx_1min_2006-01-02_2006-02-27.csv": "1",
        "backtrader/orcl_daily_1995-2014.csv": "0.000001",
        "lean/forex/eurusd_oanda_minute/20140505_quote.zip": "0.00001",
    }
    for name, tick in cases.items():
        series = load(DataRequest.parse(str(shared_data / name)))
        raw = implied_tick_raw(series)
        assert raw == int(Decimal(tick) * SCALE), name
        instrument = InstrumentSettings().for_series(series)
        assert instrument.tick_size.raw == raw


def test_tick_setting_overrides_the_implied_tick() -> None:
    series = load(DataRequest.parse("synthetic:20:1"))
    assert implied_tick_raw(series) == SCALE // 100
    assert InstrumentSettings(tick="0.05").for_series(series).tick_size.raw == SCALE // 20
