"""The market-making template on hand-built books: quotes, requotes, inventory, skew, stop."""

from __future__ import annotations

import pytest

from core.book import BookDelta, BookDeltas, BookSide, BookSnapshot
from core.clock import SimClock
from core.instruments import Instrument
from core.kernel import Kernel
from core.market import Aggressor, TradeTick
from core.values import Money, Price, Qty
from strategies import build_config, template
from strategies.market_maker import MarketMaker, MarketMakerConfig
from venues.orderbook import OrderBookVenue

MS = 1_000_000
T0 = 1_704_205_800_000_000_000
IID = "TEST.BOOK"


def raw(text: str) -> int:
    return Price.parse(text).raw


class Desk:
    """The market maker in a kernel with the order-book venue, on a book the test moves."""

    def __init__(self, **params: object) -> None:
        instrument = Instrument(
            instrument_id=IID,
            tick_size=Price.parse("0.01"),
            lot_size=Qty.of(1),
            quote_currency="USD",
        )
        self.kernel = Kernel(SimClock(T0))
        self.kernel.add_instrument(instrument)
        self.venue = OrderBookVenue("BOOK")
        self.kernel.add_venue(self.venue)
        self.mm = MarketMaker(MarketMakerConfig(instrument_id=IID, **params))
        self.kernel.add_strategy(self.mm, Money.parse("100000", "USD"))
        self.kernel.start()
        self.seq = 0
        self.ts = T0

    def book(self, bid: str, ask: str) -> None:
        """A fresh top of book: one bid and one ask of 10."""
        self.seq += 1
        self.ts += MS
        self.kernel.on_data(
            BookSnapshot(IID, self.ts, self.seq, [(raw(bid), raw("10"))], [(raw(ask), raw("10"))])
        )

    def touch(self) -> None:
        """An update that leaves the top as it is (a deep level changes)."""
        self.seq += 1
        self.ts += MS
        delta = BookDelta(IID, self.ts, BookSide.BID, raw("50"), raw("1"), self.seq)
        self.kernel.on_data(BookDeltas(IID, self.ts, self.seq, [delta]))

    def sell_print(self, price: str, size: int = 1) -> None:
        self.ts += MS
        self.kernel.on_data(TradeTick(IID, self.ts, raw(price), raw(str(size)), Aggressor.SELLER))

    def buy_print(self, price: str, size: int = 1) -> None:
        self.ts += MS
        self.kernel.on_data(TradeTick(IID, self.ts, raw(price), raw(str(size)), Aggressor.BUYER))

    def quotes(self) -> tuple[str | None, str | None]:
        """The working bid and ask prices (None: no quote on that side)."""
        bid = ask = None
        for order in self.kernel.open_orders_of(self.mm.strategy_id, IID):
            assert order.price is not None
            if order.side > 0:
                assert bid is None
                bid = str(order.price)
            else:
                assert ask is None
                ask = str(order.price)
        return bid, ask

    def position(self) -> int:
        return self.kernel.portfolio.accounts["market_maker"].positions[IID].signed_qty_raw // (
            10**9
        )


def test_quotes_both_sides_around_the_mid():
    desk = Desk(half_spread=1)
    desk.book("100.00", "100.04")
    assert desk.quotes() == ("100.01", "100.03")
    wide = Desk(half_spread=3)
    wide.book("100.00", "100.01")  # mid 100.005: 99.975 down to 99.97, 100.035 up to 100.04
    assert wide.quotes() == ("99.97", "100.04")


def test_quotes_never_cross_the_book():
    desk = Desk(half_spread=1)
    desk.book("100.00", "100.01")  # mid 100.005: 99.995 -> 99.99, 100.015 -> 100.02
    assert desk.quotes() == ("99.99", "100.02")
    desk = Desk(half_spread=1, skew_ticks=5, max_position=1)
    desk.book("100.00", "100.04")
    desk.sell_print("100.01")  # our bid fills: long 1, at the limit: 5 ticks of skew
    desk.touch()
    # center 100.02 - 0.05 = 99.97: bid 99.96, the ask 99.98 is held above the best bid
    assert desk.position() == 1
    assert desk.quotes() == (None, "100.01")


def test_requotes_when_the_mid_moves_enough():
    desk = Desk(half_spread=1, requote_ticks=2)
    desk.book("100.00", "100.04")
    first = desk.kernel.open_orders_of("market_maker", IID)
    desk.book("100.01", "100.05")  # the mid moved one tick: quotes stay
    assert desk.quotes() == ("100.01", "100.03")
    desk.book("100.02", "100.06")  # two ticks: re-priced, same orders
    assert desk.quotes() == ("100.03", "100.05")
    assert desk.kernel.open_orders_of("market_maker", IID) == first
    assert desk.kernel.orders_submitted == 2


def test_inventory_limits_stop_the_side_that_would_grow_it():
    desk = Desk(half_spread=1, qty=1, max_position=2)
    desk.book("100.00", "100.04")
    desk.sell_print("100.01")
    desk.touch()
    assert desk.position() == 1
    assert desk.quotes() == ("100.01", "100.03")
    desk.sell_print("100.01")
    desk.touch()
    assert desk.position() == 2
    assert desk.quotes() == (None, "100.03")  # at the limit: no more bids
    desk.buy_print("100.03")
    desk.touch()
    assert desk.position() == 1
    assert desk.quotes() == ("100.01", "100.03")


def test_skew_moves_both_quotes_against_the_inventory():
    desk = Desk(half_spread=2, qty=1, max_position=2, skew_ticks=2)
    desk.book("100.00", "100.08")  # mid 100.04: 100.02 / 100.06
    assert desk.quotes() == ("100.02", "100.06")
    desk.sell_print("100.02")
    desk.touch()  # long 1 of 2: one tick lower
    assert desk.quotes() == ("100.01", "100.05")


def test_stop_cancels_the_quotes():
    desk = Desk()
    desk.book("100.00", "100.04")
    assert desk.quotes() == ("100.01", "100.03")
    desk.kernel.stop()
    assert desk.quotes() == (None, None)
    assert desk.venue.working_order_ids() == []


def test_the_config_checks_its_bounds_through_the_registry():
    spec = template("market_maker")
    config = build_config(spec, [IID], {"qty": "0.5", "max_position": "2", "skew_ticks": "3"})
    assert isinstance(config, MarketMakerConfig)
    assert (config.qty, config.max_position, config.skew_ticks) == ("0.5", 2, 3)
    with pytest.raises(ValueError, match="half_spread"):
        build_config(spec, [IID], {"half_spread": "0"})
    with pytest.raises(ValueError, match="max_position must be positive"):
        MarketMakerConfig(instrument_id=IID, max_position=0)
    desk = Desk(qty=3, max_position=2)
    assert desk.kernel.record("market_maker").fault is not None  # max_position below qty
