"""Synthetic trade and quote ticks inside bars, for backtests that run on bars "every tick".

Each bar becomes a sequence of trade prints, each preceded (at the same timestamp) by the quote
it traded against. The ticks honour the bar exactly:

* the first print is the open, the last the close, the highest the high, the lowest the low,
  and every price sits on the instrument's tick grid;
* the print sizes add up to the bar's volume exactly, in whole lots (see "Sizes");
* every timestamp lies in the bar's interval and the ticks are in time order.

Bar interval. Tradebench bars carry their END time (``BarSeries.ts_event``, ``core.data``):
a bar covers ``[ts_event - period_ns, ts_event)``. The ticks of bar ``b`` lie in
``[start_b, end_b)`` with ``end_b = ts_event[b]`` and ``start_b = max(end_b - period_ns,
end_{b-1})``; the clamp keeps ticks in time order across days that are shorter than
``period_ns`` (a 23-hour daylight-saving day of daily bars). So every tick of a bar comes
strictly before the bar itself in a feed that merges ticks and bars by time.

Model (per bar ``b`` with open O, high H, low L, close C in ticks, volume V, ``lot`` raw units):

* Count. ``n_b ~ Poisson(trades_per_bar x V_b / mean(V))`` (``trades_per_bar`` when every volume
  is 0), then clamped to ``[n_min, V_b / lot]`` where ``n_min`` is the number of prints the path
  needs: 1 when O = H = L = C, else 2 plus one for a high above max(O, C) and one for a low below
  min(O, C).
* Arrival times. Given ``n_b`` events, a Poisson process on the interval places them as the order
  statistics of ``n_b`` uniforms; drawn as normalised cumulative sums of ``n_b + 1`` standard
  exponential spacings: ``t_k = start + floor(dur x S_k / S_{n+1})`` (sorted by construction, no
  sort needed).
* Price path. The high and the low that are not already the open or the close get two distinct
  random interior positions; with the endpoints they are four anchors ``(0, O), (i_a, .),
  (i_b, .), (n - 1, C)``. Between consecutive anchors the path is the straight line plus a
  Brownian bridge (a random walk of standard normal steps, pinned to 0 at both anchors) scaled by
  ``sigma_b = 0.5 (H - L) / sqrt(n_b)`` ticks, rounded to the grid and clipped to ``[L, H]``; the
  anchors are then written exactly. Hence first = O, last = C, max = H, min = L.
* Aggressor (tick rule). A print above the previous print (the previous bar's close for the
  first) is buyer-initiated, one below seller-initiated, an unchanged one either with
  probability 1/2. A buy prints at the ask, a sell at the bid.
* Spread. Relative range ``r_b = (H - L) / ((H + L) / 2)``; its trailing mean ``m_b`` over the
  last ``window`` bars (this one included); factor ``f_b = clip(r_b / m_b, 0.25, 8)`` (1 when
  ``m_b`` = 0). Bar spread ``s_b = max(min_spread_ticks, spread_bps x 1e-4 x mid_b x f_b)``
  ticks; per print ``s = max(min_spread_ticks, rint(s_b x g))`` with ``g ~ Gamma(4, 1/4)``
  (mean 1). Buy: ``ask = price, bid = price - s``; sell: ``bid = price, ask = price + s``. So
  ``bid < ask``, ``bid <= price <= ask``, and the spread widens with the bar's range relative to
  recent bars. (A buy print at one tick, where no bid fits below it, is recorded as a sell.)
* Sizes. When the volume holds at least ``n_b`` lots, each print takes one lot plus a share of
  the ``V/lot - n_b`` remaining lots split by exponential weights (the cumulative floors of the
  weights' running share, so the parts are whole and add up exactly). A volume that is not a
  whole number of lots puts its odd remainder on the bar's last print. Bars whose volume holds
  fewer lots than the path needs (volume 0 means "unknown", e.g. index data; one real FESX minute
  holds 2 contracts over 3 prices) give one lot to the first prints and size 0 (unknown) to the
  rest, so the sizes still add up to the volume.
* Quote sizes. Exponential with mean twice the bar's mean print size (at least one lot), rounded
  up to whole lots; the side a print trades against shows at least that print's size.

Reproducibility: the seed feeds a ``numpy.random.SeedSequence`` whose children drive independent
``PCG64`` streams (counts, anchors, path, aggressors, spreads, sizes, times); the same bars,
grid and seed give bit-identical arrays. Everything is vectorised numpy (no loop per bar or tick).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from core.data.series import BarSeries, QuoteSeries, TradeSeries

Int64Array = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Series = BarSeries | QuoteSeries | TradeSeries

BUYER = 1  # core.market.Aggressor codes (core.market is compiled; plain ints here)
SELLER = 2


def ticks_from_bars(
    bars: BarSeries,
    *,
    tick_raw: int,
    lot_raw: int,
    seed: int,
    trades_per_bar: float = 50.0,
    spread_bps: float = 2.0,
    min_spread_ticks: int = 1,
    window: int = 20,
) -> tuple[QuoteSeries, TradeSeries]:
    """Quotes and trades inside ``bars`` (see the module docstring for the model).

    Every quote shares its timestamp with the print that follows it; feed the quotes before the
    trades (and both before the bars) so each print meets the quote it traded against.
    """
    _check_arguments(bars, tick_raw, lot_raw, trades_per_bar, spread_bps, min_spread_ticks, window)
    iid = bars.instrument_id
    if len(bars) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return (
            QuoteSeries(
                instrument_id=iid,
                ts_event=empty,
                bid=empty,
                ask=empty,
                bid_size=empty,
                ask_size=empty,
            ),
            TradeSeries(
                instrument_id=iid, ts_event=empty, price=empty, size=empty, aggressor=empty
            ),
        )
    count_rng, anchor_rng, path_rng, side_rng, spread_rng, size_rng, time_rng = (
        np.random.Generator(np.random.PCG64(child))
        for child in np.random.SeedSequence(seed).spawn(7)
    )
    o, h, lo, c = (column // tick_raw for column in (bars.open, bars.high, bars.low, bars.close))
    lots = bars.volume // lot_raw
    odd = bars.volume - lots * lot_raw

    n_min = np.where((o == h) & (h == lo) & (lo == c), 1, 2)
    n_min += h > np.maximum(o, c)
    n_min += lo < np.minimum(o, c)
    n = _trade_counts(count_rng, bars.volume, lots, n_min, trades_per_bar)
    first = np.cumsum(n) - n
    bar = np.repeat(np.arange(len(n)), n)
    k = np.arange(len(bar), dtype=np.int64) - first[bar]
    last = first + n - 1

    price = _price_path(anchor_rng, path_rng, o, h, lo, c, n, first, bar, k)
    aggressor = _aggressors(side_rng, price, c, first, bar)
    size_lots = _size_lots(size_rng, lots, n, first, last, bar, k)
    spread = _spreads(spread_rng, h, lo, bar, spread_bps, min_spread_ticks, window)
    # a buy at one tick has no room for a bid below it: record it as a sell at the bid
    buy_at_floor = (aggressor == BUYER) & (price <= 1)
    aggressor[buy_at_floor] = SELLER
    buy = aggressor == BUYER
    np.minimum(spread, np.where(buy, price - 1, spread), out=spread)
    bid = np.where(buy, price - spread, price)
    ask = bid + spread

    mean_lots = np.maximum(1.0, lots / n)
    shown = np.ceil(size_rng.exponential(1.0, size=(len(bar), 2)) * (2.0 * mean_lots[bar, None]))
    shown_lots = np.maximum(shown, 1.0).astype(np.int64)
    touched = buy.astype(np.int64)  # column 0 shows the bid, 1 the ask
    rows = np.arange(len(bar))
    shown_lots[rows, touched] = np.maximum(shown_lots[rows, touched], size_lots)
    size_raw = size_lots * lot_raw
    size_raw[last] += odd

    ts = _arrival_times(time_rng, bars, n, first, bar, k)
    quotes = QuoteSeries(
        instrument_id=iid,
        ts_event=ts,
        bid=bid * tick_raw,
        ask=ask * tick_raw,
        bid_size=shown_lots[:, 0] * lot_raw,
        ask_size=shown_lots[:, 1] * lot_raw,
    )
    trades = TradeSeries(
        instrument_id=iid, ts_event=ts, price=price * tick_raw, size=size_raw, aggressor=aggressor
    )
    return quotes, trades


def every_tick(
    series: Sequence[Series],
    grids: Mapping[str, tuple[int, int]],
    *,
    seed: int,
    trades_per_bar: float = 50.0,
) -> list[Series]:
    """The feed of an "every tick" backtest: each bar series becomes its quotes, its trades and
    the bars themselves (in that order, so at equal times a quote precedes its print, and a bar
    follows all its ticks); other series pass through. ``grids`` maps instrument id to
    ``(tick_raw, lot_raw)``. Each bar series gets its own stream, derived from ``seed`` and its
    position in ``series``."""
    out: list[Series] = []
    for index, item in enumerate(series):
        if not isinstance(item, BarSeries):
            out.append(item)
            continue
        if item.instrument_id not in grids:
            raise ValueError(f"no tick/lot grid given for {item.instrument_id}")
        tick_raw, lot_raw = grids[item.instrument_id]
        stream = int(np.random.SeedSequence([seed, index]).generate_state(1, np.uint64)[0])
        quotes, trades = ticks_from_bars(
            item, tick_raw=tick_raw, lot_raw=lot_raw, seed=stream, trades_per_bar=trades_per_bar
        )
        out.extend((quotes, trades, item))
    return out


def _check_arguments(
    bars: BarSeries,
    tick_raw: int,
    lot_raw: int,
    trades_per_bar: float,
    spread_bps: float,
    min_spread_ticks: int,
    window: int,
) -> None:
    if tick_raw <= 0 or lot_raw <= 0:
        raise ValueError(f"tick and lot must be positive, got {tick_raw} and {lot_raw} raw")
    if not (math.isfinite(trades_per_bar) and trades_per_bar > 0):
        raise ValueError(f"trades_per_bar must be a positive number, got {trades_per_bar}")
    if not (math.isfinite(spread_bps) and spread_bps >= 0):
        raise ValueError(f"spread_bps must be a finite non-negative number, got {spread_bps}")
    if min_spread_ticks < 1 or window < 1:
        raise ValueError("min_spread_ticks and window must be at least 1")
    for name in ("open", "high", "low", "close"):
        column: Int64Array = getattr(bars, name)
        off = np.flatnonzero(column % tick_raw)
        if len(off):
            raise ValueError(
                f"{bars.instrument_id} bar {int(off[0]) + 1}: {name} {int(column[off[0]])} raw "
                f"is not on the {tick_raw} raw tick grid"
            )
    if np.any(bars.low <= 0):
        raise ValueError(f"{bars.instrument_id}: prices must be positive")
    if np.any(bars.volume < 0):
        raise ValueError(f"{bars.instrument_id}: volumes must not be negative")
    if len(bars) > 1 and np.any(np.diff(bars.ts_event) <= 0):
        raise ValueError(f"{bars.instrument_id}: bar timestamps must be strictly increasing")


def _trade_counts(
    rng: np.random.Generator,
    volume: Int64Array,
    lots: Int64Array,
    n_min: Int64Array,
    trades_per_bar: float,
) -> Int64Array:
    mean_volume = float(volume.mean())
    activity = (
        trades_per_bar * (volume / mean_volume)
        if mean_volume > 0
        else np.full(len(volume), trades_per_bar)
    )
    n: Int64Array = rng.poisson(activity).astype(np.int64)
    np.maximum(n, n_min, out=n)
    traded = volume > 0
    np.minimum(n, np.where(traded, np.maximum(lots, n_min), n), out=n)
    return n


def _price_path(
    anchor_rng: np.random.Generator,
    path_rng: np.random.Generator,
    o: Int64Array,
    h: Int64Array,
    lo: Int64Array,
    c: Int64Array,
    n: Int64Array,
    first: Int64Array,
    bar: Int64Array,
    k: Int64Array,
) -> Int64Array:
    need_h = h > np.maximum(o, c)
    need_l = lo < np.minimum(o, c)
    inner = np.maximum(n - 2, 1)
    u = anchor_rng.random((len(n), 2))
    p1 = 1 + np.floor(u[:, 0] * inner).astype(np.int64)
    p2 = 1 + np.floor(u[:, 1] * np.maximum(inner - 1, 1)).astype(np.int64)
    p2 += p2 >= p1  # distinct from p1, still in [1, n - 2] when both extremes need a place
    pos_h = np.where(need_h, p1, np.where(h == o, 0, n - 1))
    pos_l = np.where(need_l, np.where(need_h, p2, p1), np.where(lo == o, 0, n - 1))
    h_first = pos_h <= pos_l
    anchors = np.column_stack(
        (
            np.zeros(len(n), dtype=np.int64),
            np.minimum(pos_h, pos_l),
            np.maximum(pos_h, pos_l),
            n - 1,
        )
    )
    values = np.column_stack((o, np.where(h_first, h, lo), np.where(h_first, lo, h), c)).astype(
        np.float64
    )

    segment = (k > anchors[bar, 1]).astype(np.int64)
    segment += k > anchors[bar, 2]
    flat = bar * 4 + segment
    a_start = anchors.ravel()[flat]
    a_end = anchors.ravel()[flat + 1]
    length = (a_end - a_start).astype(np.float64)
    frac = np.divide(k - a_start, length, out=np.zeros(len(k)), where=length > 0)
    v_start = values.ravel()[flat]
    path = values.ravel()[flat + 1] - v_start
    path *= frac
    path += v_start

    walk = np.cumsum(path_rng.standard_normal(len(k)))
    w_start = walk[first[bar] + a_start]
    bridge = walk[first[bar] + a_end] - w_start
    bridge *= -frac
    bridge += walk
    bridge -= w_start
    sigma = 0.5 * (h - lo) / np.sqrt(np.maximum(n, 1))
    bridge *= sigma[bar]
    path += bridge
    np.rint(path, out=path)
    np.clip(path, lo[bar], h[bar], out=path)
    price: Int64Array = path.astype(np.int64)
    for j in range(4):
        price[first + anchors[:, j]] = values[:, j].astype(np.int64)
    return price


def _aggressors(
    rng: np.random.Generator, price: Int64Array, c: Int64Array, first: Int64Array, bar: Int64Array
) -> npt.NDArray[np.int8]:
    previous = np.empty_like(price)
    previous[1:] = price[:-1]
    previous[first] = np.concatenate(([price[0]], c[:-1]))
    move = price - previous
    coin = rng.random(len(price)) < 0.5
    aggressor = np.where(move > 0, BUYER, np.where(move < 0, SELLER, np.where(coin, BUYER, SELLER)))
    return aggressor.astype(np.int8)


def _size_lots(
    rng: np.random.Generator,
    lots: Int64Array,
    n: Int64Array,
    first: Int64Array,
    last: Int64Array,
    bar: Int64Array,
    k: Int64Array,
) -> Int64Array:
    full = lots >= n
    weight = np.cumsum(rng.standard_exponential(len(bar)))
    before = np.concatenate(([0.0], weight[:-1]))[first]
    total = weight[last] - before
    share = weight - before[bar]
    share /= total[bar]
    spare = np.where(full, lots - n, 0)
    cumulative = np.floor(share * spare[bar]).astype(np.int64)
    cumulative[last] = spare
    extra = np.diff(cumulative, prepend=0)
    extra[first] = cumulative[first]
    sizes: Int64Array = np.where(full[bar], 1 + extra, (k < lots[bar]).astype(np.int64))
    return sizes


def _spreads(
    rng: np.random.Generator,
    h: Int64Array,
    lo: Int64Array,
    bar: Int64Array,
    spread_bps: float,
    min_spread_ticks: int,
    window: int,
) -> Int64Array:
    mid = 0.5 * (h + lo)
    relative = (h - lo) / mid
    running = np.concatenate(([0.0], np.cumsum(relative)))
    index = np.arange(1, len(h) + 1)
    start = np.maximum(index - window, 0)
    trailing = (running[index] - running[start]) / (index - start)
    factor = np.divide(relative, trailing, out=np.ones(len(h)), where=trailing > 0)
    np.clip(factor, 0.25, 8.0, out=factor)
    per_bar = np.maximum(float(min_spread_ticks), spread_bps * 1e-4 * mid * factor)
    spread = rng.gamma(4.0, 0.25, size=len(bar))
    spread *= per_bar[bar]
    np.rint(spread, out=spread)
    np.maximum(spread, float(min_spread_ticks), out=spread)
    return spread.astype(np.int64)


def _arrival_times(
    rng: np.random.Generator,
    bars: BarSeries,
    n: Int64Array,
    first: Int64Array,
    bar: Int64Array,
    k: Int64Array,
) -> Int64Array:
    end = bars.ts_event
    start = end - bars.period_ns
    if len(end) > 1:
        np.maximum(start[1:], end[:-1], out=start[1:])
    duration = end - start
    # bar b uses slots first_b + b .. first_b + b + n_b: n_b arrivals and one closing spacing
    spacing = np.cumsum(rng.standard_exponential(len(bar) + len(n)))
    base = first + np.arange(len(n))
    before = np.concatenate(([0.0], spacing[:-1]))[base]
    total = spacing[base + n] - before
    share = spacing[base[bar] + k] - before[bar]
    share /= total[bar]
    offset = np.floor(share * duration[bar]).astype(np.int64)
    np.minimum(offset, duration[bar] - 1, out=offset)
    ts: Int64Array = start[bar] + offset
    return ts
