"""The Binance BTCUSDT recording through the engine: the kernel's book against Binance's own
synchronisation, and the market maker on the order-book venue end to end."""

from __future__ import annotations

from core.book import BookSide, BookSnapshot, BookView, OrderBook
from core.data import book_series_from_events, load_binance_trades, replay_book
from core.enums import Liquidity
from core.events import OrderFilled, StrategyLogged
from core.instruments import Instrument
from core.reports import build_report, dumps
from core.session import TradingSession
from core.strategy import Strategy
from core.values import Money, Price, Qty
from strategies.market_maker import MarketMaker, MarketMakerConfig
from venues.orderbook import OrderBookVenue, QueueModel
from venues.simulated import LatencyModel, MakerTakerFee

IID = "BTCUSDT.BINANCE"
DEPTH = 25


def btcusdt() -> Instrument:
    return Instrument(
        instrument_id=IID,
        tick_size=Price.parse("0.01"),
        lot_size=Qty.parse("0.00001"),
        quote_currency="USDT",
    )


def top_of(book: OrderBook | BookView) -> tuple[int, list[tuple[int, int]], list[tuple[int, int]]]:
    return book.sequence, book.depth(BookSide.BID, DEPTH), book.depth(BookSide.ASK, DEPTH)


class BookCopier(Strategy):
    """Records the top of the kernel's book after every update, and keeps the last view."""

    def __init__(self) -> None:
        super().__init__(strategy_id="copier", instrument_ids=(IID,))
        self.tops: list[tuple[int, list[tuple[int, int]], list[tuple[int, int]]]] = []
        self.view: BookView | None = None

    def on_book(self, book: BookView) -> None:
        self.tops.append(top_of(book))
        self.view = book


def test_the_engine_book_equals_the_binance_sync_after_every_update(binance_stream):
    expected = []
    reference = OrderBook(IID)
    for event in replay_book(binance_stream):
        if isinstance(event, BookSnapshot):
            reference.apply_snapshot(event)
        else:
            reference.apply_deltas(event)
        expected.append(top_of(reference))
    copier = BookCopier()
    session = TradingSession(
        instruments=[btcusdt()], venues=[OrderBookVenue("BINANCE")], base_currency="USDT"
    )
    session.add_strategy(copier, Money.parse("1000", "USDT"))
    series = book_series_from_events(replay_book(binance_stream))
    result = session.run_backtest([series, load_binance_trades(binance_stream)])
    assert len(copier.tops) == len(expected) == 6494
    assert copier.tops == expected
    view = copier.view
    assert view is not None
    for side in (BookSide.BID, BookSide.ASK):
        count = reference.level_count(side)
        assert view.level_count(side) == count
        assert view.depth(side, count) == reference.depth(side, count)
    assert result.events == len(series) + 19_904


def run_market_maker(stream) -> tuple[str, TradingSession, list[object]]:
    instrument = btcusdt()
    venue = OrderBookVenue(
        "BINANCE",
        instruments=[instrument],
        fees=MakerTakerFee("-0.1", "1"),
        latency=LatencyModel(order_ns=2_000_000, cancel_ns=2_000_000, jitter_ns=3_000_000, seed=5),
        feed_latency_ns=1_000_000,
        queue_model=QueueModel.PROPORTIONAL,
    )
    session = TradingSession(instruments=[instrument], venues=[venue], base_currency="USDT")
    config = MarketMakerConfig(
        instrument_id=IID, qty="0.002", max_position="0.006", skew_ticks=2, half_spread=1
    )
    session.add_strategy(MarketMaker(config), Money.parse("100000", "USDT"))
    events: list[object] = []
    session.kernel.add_listener(events.append)
    series = book_series_from_events(replay_book(stream))
    result = session.run_backtest([series, load_binance_trades(stream)])
    session.kernel.stop()
    session.kernel.advance_time(int(series.ts_event[-1]) + 1_000_000_000)  # the cancels land
    report = build_report(result, strategy="market_maker", parameters={}, data=[], settings={})
    return dumps(report), session, events


def test_the_market_maker_on_the_binance_sample_is_deterministic(binance_stream):
    first, session, events = run_market_maker(binance_stream)
    second, _, _ = run_market_maker(binance_stream)
    assert first == second
    fills = [e for e in events if isinstance(e, OrderFilled)]
    assert len(fills) > 50
    assert all(f.liquidity == Liquidity.MAKER for f in fills)
    assert all(f.fee.raw < 0 for f in fills)  # the maker rebate
    errors = [e for e in events if isinstance(e, StrategyLogged) and e.level == "ERROR"]
    assert errors == []
    kernel = session.kernel
    position = kernel.portfolio.accounts["market_maker"].position(btcusdt())
    assert abs(position.signed_qty_raw) <= Qty.parse("0.006").raw
    assert kernel.open_orders_of("market_maker", IID) == []  # on_stop canceled the quotes
    assert kernel.record("market_maker").fault is None
