"""The synthetic market (``core.data.marketgen`` and its book, ``core.data.bookgen``):
reproducible, internally consistent (quotes, prints, bars, L2 book), regimes that differ, and
each stress scenario showing its signature."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

import numpy as np
import pytest

from core.book import BookSide
from core.data import resample_trades, validate_bars, validate_quotes, validate_trades
from core.data.bookgen import BookBuffer
from core.data.marketgen import (
    CALM,
    NEWS,
    SCENARIOS,
    VOLATILE,
    MarketModel,
    SyntheticMarket,
    generate_market,
)
from core.replay import BOOK
from core.values import SCALE

CENT = SCALE // 100
S = 1_000_000_000


def _market(scenario: str = "normal", *, seed: int = 1, **fields: Any) -> SyntheticMarket:
    model = MarketModel(
        duration_s=fields.pop("duration_s", 2_400.0),
        scenario=scenario,
        scenario_at=fields.pop("scenario_at", 0.3),
        **fields,
    )
    return generate_market(model, seed=seed)


def _t0(market: SyntheticMarket) -> int:
    model = market.model
    return model.start_ns + int(model.scenario_at * model.duration_s) * S


def _columns(market: SyntheticMarket) -> list[np.ndarray]:
    q, t, b, book = market.quotes, market.trades, market.bars, market.book_events()
    return [
        q.ts_event, q.bid, q.ask, q.bid_size, q.ask_size, market.regime,
        t.ts_event, t.price, t.size, t.aggressor,
        b.ts_event, b.open, b.high, b.low, b.close, b.volume,
        book.ts, book.side, book.price, book.size, book.sequence,
    ]  # fmt: skip


def test_same_seed_same_market_bit_for_bit_other_seed_other_market() -> None:
    first, again, other = _market(seed=5), _market(seed=5), _market(seed=6)
    assert all(
        a.dtype == b.dtype and a.tobytes() == b.tobytes()
        for a, b in zip(_columns(first), _columns(again), strict=True)
    )
    snap, snap_again = first.book_snapshot(), again.book_snapshot()
    assert (snap.bids, snap.asks, snap.ts_event) == (
        snap_again.bids,
        snap_again.asks,
        snap_again.ts_event,
    )
    assert len(first.quotes) != len(other.quotes) or not np.array_equal(
        first.quotes.bid, other.quotes.bid
    )
    assert other.book_snapshot().bids != snap.bids


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_book_never_crosses_and_its_top_is_the_quote(
    scenario: str, replay_book: Callable[[SyntheticMarket], Any]
) -> None:
    market = _market(scenario, seed=3)
    quotes, book = market.quotes, market.book_events()
    assert np.all(book.price % CENT == 0) and np.all(book.size % SCALE == 0)
    assert np.all(np.isin(book.side, (BookSide.BID, BookSide.ASK)))
    snap = market.book_snapshot()
    assert snap.sequence == 1 and snap.ts_event == quotes.ts_event[0]
    # one update per later event, in order, and every row of an update at its quote's time
    assert np.all(np.diff(book.sequence) >= 0)
    assert np.array_equal(np.unique(book.sequence), np.arange(2, len(quotes) + 1))
    assert np.array_equal(book.ts, quotes.ts_event[book.sequence - 1])
    replay = replay_book(market)
    assert replay.crossed == 0
    assert replay.missing_deletes == 0  # a delete always names a level the book holds
    assert np.array_equal(replay.bid, quotes.bid)
    assert np.array_equal(replay.ask, quotes.ask)
    assert np.array_equal(replay.bid_size, quotes.bid_size)
    assert np.array_equal(replay.ask_size, quotes.ask_size)
    assert replay.bid_levels.min() >= 1 and replay.ask_levels.min() >= 1


def test_book_chunks_cut_between_updates_only() -> None:
    market = _market(seed=2, duration_s=900.0)
    book = market.book_events()
    chunks = list(market.book_chunks(chunk_size=1_000))
    assert len(chunks) > 5
    assert all(chunk.kind == BOOK and chunk.instrument_id == "SYN.SIM" for chunk in chunks)
    assert all(chunk.c5 == [] for chunk in chunks)
    for before, after in pairwise(chunks):
        assert before.c4[-1] != after.c4[0]
    assert sum(len(chunk) for chunk in chunks) == len(book)
    rows = [
        row
        for chunk in chunks
        for row in zip(chunk.ts, chunk.c1, chunk.c2, chunk.c3, chunk.c4, strict=True)
    ]
    expected = zip(
        book.ts.tolist(),
        book.side.tolist(),
        book.price.tolist(),
        book.size.tolist(),
        book.sequence.tolist(),
        strict=True,
    )
    assert rows == list(expected)


def test_prints_quotes_and_bars_agree() -> None:
    market = _market("flash-crash", seed=4)
    quotes, trades, bars = market.quotes, market.trades, market.bars
    validate_quotes(quotes)
    validate_trades(trades)
    validate_bars(bars)
    assert np.all(quotes.bid < quotes.ask)
    assert np.all(quotes.bid_size >= SCALE) and np.all(quotes.ask_size >= SCALE)
    # each print follows its quote at the same instant, at the touch its aggressor took
    quote = np.searchsorted(quotes.ts_event, trades.ts_event, side="right") - 1
    assert np.array_equal(quotes.ts_event[quote], trades.ts_event)
    buy = trades.aggressor == 1
    assert np.array_equal(trades.price[buy], quotes.ask[quote[buy]])
    assert np.array_equal(trades.price[~buy], quotes.bid[quote[~buy]])
    shown = np.where(buy, quotes.ask_size[quote], quotes.bid_size[quote])
    assert np.all(trades.size >= SCALE) and np.all(trades.size <= shown)
    again = resample_trades(trades, 60 * S, origin_ns=market.model.start_ns)
    for name in ("ts_event", "open", "high", "low", "close", "volume"):
        assert np.array_equal(getattr(bars, name), getattr(again, name))


def test_regimes_differ_in_activity_and_volatility() -> None:
    market = _market(seed=7, duration_s=4 * 86_400.0, with_book=False)
    model, quotes, regime = market.model, market.quotes, market.regime
    assert set(np.unique(regime).tolist()) == {CALM, VOLATILE, NEWS}
    # the mid at the end of every minute; returns over minutes that start and end in one regime
    minute = (quotes.ts_event - model.start_ns) // (60 * S)
    last = np.searchsorted(minute, np.arange(minute[-1] + 1), side="right") - 1
    last = last[last >= 0]
    returns = np.diff(np.log((quotes.bid + quotes.ask)[last] / 2))
    at_start, at_end = regime[last][:-1], regime[last][1:]
    # robust scale (median absolute deviation): news jumps would swamp a standard deviation
    vol = {
        r: 1.4826 * np.median(np.abs(returns[(at_start == r) & (at_end == r)]))
        for r in (CALM, VOLATILE)
    }
    per_minute = np.array(model.annual_vol) * np.sqrt(60 / (365.25 * 86_400))
    assert vol[CALM] == pytest.approx(per_minute[CALM], rel=0.25)
    assert vol[VOLATILE] == pytest.approx(per_minute[VOLATILE], rel=0.25)
    # the few largest one-minute moves are news jumps: each spans the start of a news run
    for j in np.argsort(np.abs(returns))[-5:]:
        span = regime[last[j] : last[j + 1] + 1]
        assert abs(returns[j]) > 0.004
        assert NEWS in span and span[0] != NEWS
    events = np.bincount(regime, minlength=3)
    seconds = np.bincount(at_start, minlength=3) * 60
    rate = events / seconds
    assert rate[NEWS] > rate[VOLATILE] > 1.8 * rate[CALM], rate
    spread = quotes.ask - quotes.bid
    assert spread[regime == VOLATILE].mean() > 1.5 * spread[regime == CALM].mean()
    expected = model.ticks_per_s() * model.duration_s
    assert 0.7 < market.ticks / expected < 1.3
    with pytest.raises(ValueError, match="without a book"):
        market.book_snapshot()


def test_flash_crash_drops_recovers_and_drains_liquidity(
    replay_book: Callable[[SyntheticMarket], Any],
) -> None:
    for seed in (1, 2, 3):
        market = _market("flash-crash", seed=seed)
        quotes, t0 = market.quotes, _t0(market)
        ts, mid = quotes.ts_event, (quotes.bid + quotes.ask) / 2
        before = mid[(ts >= t0 - 60 * S) & (ts < t0)].mean()
        crash = (ts >= t0) & (ts < t0 + 300 * S)
        bottom = mid[crash].min()
        assert bottom < 0.95 * before, (seed, before, bottom)  # down 5 % within 5 minutes
        after = mid[(ts >= t0 + 720 * S) & (ts < t0 + 780 * S)].mean()
        assert after - bottom > 0.35 * (before - bottom)  # recovers a good part of it
        assert after < before - 0.2 * (before - bottom)  # ... but not all
        spread = quotes.ask - quotes.bid
        deep = (ts >= t0 + 210 * S) & (ts < t0 + 270 * S)  # around the bottom
        assert spread[deep].mean() > 3 * np.median(spread[ts < t0])
    replay = replay_book(market)
    assert replay.bid_levels[deep].mean() < 0.5 * replay.bid_levels[ts < t0].mean()
    sells = market.trades.aggressor[
        (market.trades.ts_event >= t0) & (market.trades.ts_event < t0 + 240 * S)
    ]
    assert (sells == 2).mean() > 0.6


def test_gap_open_leaves_a_night_and_a_gap_between_bars() -> None:
    market = _market("gap-open", seed=2)
    bars = market.bars
    steps = np.diff(bars.ts_event)
    gap = int(np.argmax(steps))
    assert steps[gap] >= 15 * 3_600 * S
    assert np.count_nonzero(steps > 60 * S) == 1
    move = bars.open[1:] / bars.close[:-1] - 1
    assert move[gap] < -0.03
    assert np.abs(np.delete(move, gap)).max() < 0.01


def test_liquidity_drought_thins_the_book(replay_book: Callable[[SyntheticMarket], Any]) -> None:
    market = _market("drought", seed=3)
    quotes, trades, t0 = market.quotes, market.trades, _t0(market)
    window = 1_200 * S
    inside = (quotes.ts_event >= t0) & (quotes.ts_event < t0 + window)
    outside_s = market.model.duration_s - window / S
    printed = (trades.ts_event >= t0) & (trades.ts_event < t0 + window)
    assert printed.sum() / (window / S) < 0.1 * (~printed).sum() / outside_s
    spread = quotes.ask - quotes.bid
    assert spread[inside].mean() > 1.8 * spread[~inside].mean()
    assert quotes.bid_size[inside].mean() < 0.6 * quotes.bid_size[~inside].mean()
    replay = replay_book(market)
    assert replay.bid_levels[inside].mean() < 0.35 * replay.bid_levels[~inside].mean()
    assert replay.ask_levels[inside].max() <= 2


def test_spread_blowout_multiplies_the_spread() -> None:
    market = _market("spread-blowout", seed=4)
    quotes, t0 = market.quotes, _t0(market)
    inside = (quotes.ts_event >= t0) & (quotes.ts_event < t0 + 300 * S)
    spread = quotes.ask - quotes.bid
    assert np.median(spread[inside]) >= 5 * np.median(spread[~inside])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"scenario": "meltdown"}, "unknown scenario 'meltdown'"),
        ({"scenario": "flash-crash", "duration_s": 600.0}, "needs 720 s from 300 s"),
        ({"scenario_at": 1.0}, "scenario_at must be in"),
        ({"duration_s": 0.5}, "duration must be at least 1 s"),
        ({"events_per_s": (1.0, -1.0, 1.0)}, "events_per_s needs three"),
        ({"trade_probability": 0.0}, "trade_probability must be in"),
    ],
)
def test_bad_models_are_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MarketModel(**fields)


def test_prices_off_the_grid_are_refused() -> None:
    with pytest.raises(ValueError, match=r"must be a multiple of the tick 0\.01"):
        generate_market(MarketModel(start_price="100.005"), seed=1)


def test_book_buffer_grows_and_keeps_its_rows() -> None:
    buffer = BookBuffer(3)
    ts, side, price, size, seq = buffer.reserve(2)
    ts[:], side[:], price[:], size[:], seq[:] = [1, 2], [1, -1], [10, 11], [5, 6], [1, 1]
    ts, side, price, size, seq = buffer.reserve(4)
    ts[:], side[:], price[:], size[:], seq[:] = [3] * 4, [1] * 4, [12] * 4, [7] * 4, [2] * 4
    events = buffer.events()
    assert len(events) == 6
    assert events.ts.tolist() == [1, 2, 3, 3, 3, 3]
    assert events.side.tolist() == [1, -1, 1, 1, 1, 1]
    assert events.price.tolist() == [10, 11, 12, 12, 12, 12]
    assert events.sequence.tolist() == [1, 1, 2, 2, 2, 2]
