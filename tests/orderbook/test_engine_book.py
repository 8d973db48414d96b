"""L2 book data through the engine: series, feed chunks, the replay loop and kernel routing."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from core.book import BookDelta, BookDeltas, BookSide, BookSnapshot, BookView
from core.clock import SimClock
from core.data import BookSeries, TradeSeries, book_series_from_events, book_series_of_market
from core.data.marketgen import MarketModel, generate_market
from core.enums import OrderSide, OrderType
from core.events import OrderFilled, StrategyFaulted
from core.feeds import HistoricalFeed
from core.kernel import Kernel
from core.market import Aggressor, TradeTick
from core.replay import BOOK, event_at
from core.session import TradingSession
from core.strategy import Strategy
from core.values import Money, Price, Qty
from venues.orderbook import OrderBookVenue
from venues.simulated import SimulatedVenue

MS = 1_000_000
T0 = 1_704_205_800_000_000_000
IID = "TEST.BOOK"
BID, ASK = BookSide.BID, BookSide.ASK


def raw(text: str) -> int:
    return Price.parse(text).raw


def instrument():
    from core.instruments import Instrument

    return Instrument(
        instrument_id=IID, tick_size=Price.parse("0.01"), lot_size=Qty.of(1), quote_currency="USD"
    )


def snapshot(ts=T0, seq=1):
    return BookSnapshot(
        IID,
        ts,
        seq,
        [(raw("100.00"), raw("10")), (raw("99.99"), raw("20"))],
        [(raw("100.01"), raw("10")), (raw("100.02"), raw("20"))],
    )


def deltas(ts, seq, *levels):
    """``(side, price, size)`` triples as one update."""
    return BookDeltas(
        IID, ts, seq, [BookDelta(IID, ts, side, raw(p), raw(q), seq) for side, p, q in levels]
    )


def small_series():
    """A snapshot and three updates: 4 + 2 + 3 + 1 rows."""
    return book_series_from_events(
        [
            snapshot(),
            deltas(T0 + 1 * MS, 2, (BID, "100.00", "5"), (ASK, "100.01", "0")),
            deltas(
                T0 + 2 * MS, 3, (BID, "100.01", "3"), (ASK, "100.03", "4"), (ASK, "100.02", "0")
            ),
            deltas(T0 + 2 * MS, 4, (ASK, "100.03", "9")),
        ]
    )


class Recorder(Strategy):
    """Logs every callback; optionally sends one order on a given book update."""

    def __init__(self, order_on: int = 0, order_type: int = OrderType.MARKET) -> None:
        super().__init__(strategy_id="S1", instrument_ids=(IID,))
        self.log: list[str] = []
        self.tops: list[tuple[int, int, int]] = []
        self.order_on = order_on
        self.order_type = order_type

    def on_book(self, book: BookView) -> None:
        self.tops.append((book.sequence, book.best_bid_raw(), book.best_ask_raw()))
        self.log.append(f"book {book.sequence}")
        if book.sequence == self.order_on:
            price = Price.parse("100.00") if self.order_type == OrderType.LIMIT else None
            self.ctx.submit_order(
                IID, OrderSide.BUY, Qty.of(2), order_type=self.order_type, price=price
            )

    def on_trade_tick(self, tick: TradeTick) -> None:
        self.log.append("trade")

    def on_fill(self, fill: OrderFilled) -> None:
        self.log.append(f"fill {fill.last_qty}@{fill.last_px}")


def kernel_with(strategy, venue=None):
    kernel = Kernel(SimClock(T0))
    kernel.add_instrument(instrument())
    kernel.add_venue(venue if venue is not None else OrderBookVenue("BOOK"))
    kernel.add_strategy(strategy, Money.parse("100000", "USD"))
    kernel.start()
    return kernel


# series ---------------------------------------------------------------------------------------
def test_events_become_rows_with_the_mid_after_each_update():
    series = small_series()
    assert len(series) == 10
    assert series.sequence.tolist() == [1, 1, 1, 1, 2, 2, 3, 3, 3, 4]
    assert series.side.tolist() == [1, 1, -1, -1, 1, -1, 1, -1, -1, -1]
    # mids: 100.005 (floor at 1e-9 is exact), then 100.01 (bid 100.00 / ask 100.02),
    # then bid 100.01 / ask 100.03 twice
    assert series.mark.tolist() == [raw("100.005")] * 4 + [raw("100.01")] * 2 + [raw("100.02")] * 4
    assert series.update_starts().tolist() == [1, 0, 0, 0, 1, 0, 1, 0, 0, 1]
    assert "10 level changes in 4 updates" in repr(series)


def test_a_resync_snapshot_deletes_what_it_does_not_list():
    later = BookSnapshot(IID, T0 + 5 * MS, 9, [(raw("99.00"), raw("1"))], [(raw("101"), raw("2"))])
    series = book_series_from_events([snapshot(), later])
    rows = list(zip(series.side.tolist(), series.price.tolist(), series.size.tolist(), strict=True))
    assert rows[4:] == [
        (BID, raw("100.00"), 0),
        (BID, raw("99.99"), 0),
        (BID, raw("99.00"), raw("1")),
        (ASK, raw("100.01"), 0),
        (ASK, raw("100.02"), 0),
        (ASK, raw("101"), raw("2")),
    ]


def test_updates_stamped_before_the_last_take_its_time():
    series = book_series_from_events(
        [snapshot(ts=T0 + 5 * MS), deltas(T0 + 1 * MS, 2, (BID, "100.00", "1"))]
    )
    assert series.ts_event.tolist() == [T0 + 5 * MS] * 5


def test_a_book_series_refuses_bad_rows_and_a_late_start():
    good = small_series()
    columns = {
        "instrument_id": IID,
        "ts_event": good.ts_event,
        "side": good.side,
        "price": good.price,
        "size": good.size,
        "sequence": good.sequence,
        "mark": good.mark,
    }
    with pytest.raises(ValueError, match="row 5: a row of an update has another time"):
        BookSeries(**columns | {"ts_event": good.ts_event + np.arange(10) * (np.arange(10) == 5)})
    with pytest.raises(ValueError, match="row 2: side is not 1"):
        BookSeries(**columns | {"side": np.where(np.arange(10) == 2, 0, good.side)})
    with pytest.raises(ValueError, match="sequence goes backwards"):
        BookSeries(**columns | {"sequence": good.sequence[::-1]})
    with pytest.raises(ValueError, match="cannot start after its first update"):
        good.slice_time(T0 + 1 * MS)
    assert len(good.slice_time(None, T0 + 2 * MS)) == 6


def test_the_generated_market_book_replays_to_its_quotes():
    market = generate_market(MarketModel(instrument_id=IID, duration_s=120), seed=4)
    series = book_series_of_market(market)
    strategy = Recorder()
    session = TradingSession(instruments=[instrument()], venues=[OrderBookVenue("BOOK")])
    session.add_strategy(strategy, Money.parse("100000", "USD"))
    session.run_backtest([series])
    quotes = market.quotes
    assert len(strategy.tops) == len(np.unique(series.sequence)) > 100
    for sequence, bid, ask in strategy.tops:
        assert (bid, ask) == (int(quotes.bid[sequence - 1]), int(quotes.ask[sequence - 1]))
    assert session.kernel.portfolio.last_price_raw(IID) == int(series.mark[-1])
    cut = book_series_of_market(market, rows=500)
    assert 500 <= len(cut) < 520
    assert cut.update_starts()[len(cut) - 1] or cut.sequence[-1] != series.sequence[len(cut)]


# feed and replay ------------------------------------------------------------------------------
def test_feed_chunks_never_split_an_update():
    series = small_series()
    chunks = [c for cs, _ in HistoricalFeed([series], chunk_size=3) for c in cs]
    assert [len(c) for c in chunks] == [4, 5, 1]
    assert all(c.kind == BOOK for c in chunks)
    trades = TradeSeries(
        instrument_id=IID,
        ts_event=[T0 + 1 * MS, T0 + 2 * MS],
        price=[raw("100.01"), raw("100.02")],
        size=[raw("1"), raw("1")],
        aggressor=[1, 1],
    )
    book_chunks = [
        c for cs, _ in HistoricalFeed([series, trades], chunk_size=3) for c in cs if c.kind == BOOK
    ]
    assert sum(len(c) for c in book_chunks) == 10
    for before, after in pairwise(book_chunks):
        assert before.c4[-1] != after.c4[0]


def test_event_at_a_book_row_is_its_whole_update():
    (chunks, _), *_ = list(HistoricalFeed([small_series()]))
    update = event_at(chunks[0], 6, T0 + 99)
    assert isinstance(update, BookDeltas)
    assert (update.sequence, len(update), update.ts_event) == (3, 3, T0 + 99)


def test_a_backtest_on_book_and_trades_sees_each_update_once_whole():
    inst = instrument()
    strategy = Recorder()
    session = TradingSession(instruments=[inst], venues=[OrderBookVenue("BOOK")])
    session.add_strategy(strategy, Money.parse("100000", "USD"))
    trades = TradeSeries(
        instrument_id=IID,
        ts_event=[T0 + 1 * MS],
        price=[raw("100.01")],
        size=[raw("1")],
        aggressor=[Aggressor.BUYER],
    )
    result = session.run_backtest([small_series(), trades], chunk_size=2)
    assert result.events == 11
    assert session.kernel.portfolio.seq == 11
    assert strategy.log == ["book 1", "book 2", "trade", "book 3", "book 4"]
    assert strategy.tops == [
        (1, raw("100.00"), raw("100.01")),
        (2, raw("100.00"), raw("100.02")),
        (3, raw("100.01"), raw("100.03")),
        (4, raw("100.01"), raw("100.03")),
    ]
    assert session.kernel.portfolio.last_price_raw(IID) == raw("100.02")


# kernel routing -------------------------------------------------------------------------------
def test_the_venue_matches_an_update_before_strategies_see_it():
    strategy = Recorder(order_on=1, order_type=OrderType.LIMIT)  # a bid of 2 at 100.00
    kernel = kernel_with(strategy)
    kernel.on_data(snapshot())
    # an offer at 100.00 crosses our bid: the fill comes before the strategy's on_book
    kernel.on_data(deltas(T0 + 1 * MS, 2, (ASK, "100.00", "1")))
    assert strategy.log == ["book 1", "fill 1@100", "book 2"]
    view = kernel.book_view(IID)
    assert view is not None and view.sequence == 2
    assert kernel.portfolio.last_price_raw(IID) == raw("100.00")  # (100.00 + 100.00) / 2


def test_an_order_sent_on_an_update_meets_that_book():
    strategy = Recorder(order_on=2)
    kernel = kernel_with(strategy)
    kernel.on_data(snapshot())
    kernel.on_data(deltas(T0 + 1 * MS, 2, (ASK, "100.01", "1")))
    assert strategy.log == ["book 1", "book 2", "fill 1@100.01", "fill 1@100.02"]


def test_book_data_on_the_simulated_venue_reaches_strategies_only():
    strategy = Recorder(order_on=1)
    kernel = kernel_with(strategy, SimulatedVenue("BOOK"))
    kernel.on_data(snapshot())
    assert strategy.log == ["book 1"]
    assert kernel.open_orders_of("S1", IID)  # the simulated venue waits for quotes or bars


class Faulty(Strategy):
    def __init__(self) -> None:
        super().__init__(strategy_id="S1", instrument_ids=(IID,))

    def on_book(self, book: BookView) -> None:
        raise RuntimeError("boom")


def test_a_strategy_that_raises_in_on_book_is_halted():
    kernel = kernel_with(Faulty())
    events = []
    kernel.add_listener(events.append)
    kernel.on_data(snapshot())
    kernel.on_data(deltas(T0 + 1 * MS, 2, (BID, "100.00", "1")))
    faults = [e for e in events if isinstance(e, StrategyFaulted)]
    assert [f.error for f in faults] == ["RuntimeError: boom"]
    assert kernel.record("S1").status_name == "FAULTED"
