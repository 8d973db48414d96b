"""Binance recordings: parsing, the book-sync procedure, the bookTicker check, the loaders."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from core.book import BookDeltas, BookSide, BookSnapshot, OrderBook
from core.data.binance import (
    BinanceBookSync,
    BinanceStream,
    BinanceSyncError,
    check_book_tickers,
    load_binance_quotes,
    load_binance_trades,
    parse_decimal_raw,
    read_binance_stream,
    replay_book,
)
from core.data.validation import DataValidationError
from core.market import Aggressor

Msg = Callable[..., dict[str, object]]
Write = Callable[..., Path]
LEVEL = [["100.50000000", "1.00000000"], ["100.00000000", "2.50000000"]]
ASKS = [["101.00000000", "0.70000000"]]


def test_decimal_strings_become_exact_raw_ints() -> None:
    assert parse_decimal_raw("61837.63000000") == 61_837_630_000_000
    assert parse_decimal_raw("0.00000000") == 0
    assert parse_decimal_raw("0.00016000") == 160_000
    assert parse_decimal_raw("12.123456789") == 12_123_456_789
    assert parse_decimal_raw("7") == 7_000_000_000
    assert parse_decimal_raw("-0.5") == -500_000_000
    assert parse_decimal_raw("1.50000000000") == 1_500_000_000  # extra zeros are fine
    for bad in ("1.0000000001", "1e5", "", " 1", "+1", "1,5", "."):
        with pytest.raises(ValueError):
            parse_decimal_raw(bad)


def _small_recording(msg: Msg) -> list[tuple[int, dict[str, object]]]:
    """Diffs 1..5, 6..9 before the snapshot (lastUpdateId 7), then 10..12, tickers, a trade."""
    return [
        (100, msg("depth", U=1, u=5, b=[["99.00000000", "1.00000000"]])),
        (200, msg("depth", U=6, u=9, b=[["100.50000000", "3.00000000"]])),
        (250, msg("bookTicker", u=7, b="100.5", B="1", a="101", A="0.7")),
        (300, {"lastUpdateId": 7, "bids": LEVEL, "asks": ASKS}),
        (400, msg("depth", U=10, u=12, a=[["101.00000000", "0"], ["101.5", "2"]])),
        (410, msg("bookTicker", u=9, b="100.5", B="3", a="101", A="0.7")),
        (420, msg("bookTicker", u=12, b="100.5", B="3", a="101.5", A="2")),
        (500, msg("trade", t=41, p="100.50", q="0.25", T=7, m=True)),
        (600, msg("trade", t=42, p="101.5", q="1", T=8, m=False)),
        (700, {"stream": "btcusdt@aggTrade", "data": {"e": "aggTrade"}}),
    ]


def test_sync_drops_old_diffs_and_accepts_one_straddling_the_snapshot(
    msg: Msg, write_recording: Write
) -> None:
    path = write_recording(_small_recording(msg))
    stream = read_binance_stream(path)
    assert (len(stream.diffs), len(stream.snapshots), stream.skipped) == (3, 1, 1)
    assert stream.default_instrument_id() == "BTCUSDT.BINANCE"
    sync = BinanceBookSync("BTCUSDT.BINANCE")
    events = list(replay_book(stream, sync=sync))
    assert [type(e).__name__ for e in events] == ["BookSnapshot", "BookDeltas", "BookDeltas"]
    assert [e.sequence for e in events] == [7, 9, 12]
    assert [e.ts_event for e in events] == [300, 200, 400]  # local receive times
    assert (sync.diffs_applied, sync.diffs_dropped, sync.snapshots_applied) == (2, 1, 1)
    book = OrderBook("BTCUSDT.BINANCE")
    for event in events:
        if isinstance(event, BookSnapshot):
            book.apply_snapshot(event)
        else:
            book.apply_deltas(event)
    assert book.best_bid() == (100_500_000_000, 3_000_000_000)
    assert book.best_ask() == (101_500_000_000, 2_000_000_000)
    assert book.depth(BookSide.BID, 5)[-1] == (100_000_000_000, 2_500_000_000)
    check = check_book_tickers(stream)
    # u=7: the snapshot's own id; u=9 and u=12: ends of applied diffs
    assert (check.tickers, check.at_update, check.at_update_matched) == (3, 3, 3)
    assert check.ok and check.not_covered == 0


def test_a_hole_in_the_diffs_raises_with_the_missing_ids(msg: Msg, write_recording: Write) -> None:
    records = _small_recording(msg)[:5]
    records.append((800, msg("depth", U=15, u=16, b=[["99", "0"]])))  # 13..14 never came
    with pytest.raises(BinanceSyncError, match=r"13\.\.14 missing") as caught:
        list(replay_book(write_recording(records)))
    assert "line 6" in str(caught.value)
    assert (caught.value.gap.first_missing, caught.value.gap.last_missing) == (13, 14)


def test_on_gap_resync_waits_for_the_next_snapshot(msg: Msg, write_recording: Write) -> None:
    records = _small_recording(msg)[:5]
    records += [
        (800, msg("depth", U=15, u=16, b=[["99", "0"]])),  # hole: 13..14
        (810, msg("depth", U=17, u=18, b=[["98", "1"]])),
        (820, {"lastUpdateId": 17, "bids": [["97", "1"]], "asks": [["102", "1"]]}),
        (830, msg("depth", U=19, u=19, a=[["103", "1"]])),
    ]
    sync = BinanceBookSync("BTCUSDT.BINANCE", on_gap="resync")
    events = list(replay_book(write_recording(records), sync=sync))
    assert [(type(e).__name__, e.sequence) for e in events] == [
        ("BookSnapshot", 7),
        ("BookDeltas", 9),
        ("BookDeltas", 12),
        ("BookSnapshot", 17),
        ("BookDeltas", 18),
        ("BookDeltas", 19),
    ]
    assert sync.stream.incidents[0].first_missing == 13
    assert sync.in_sync and sync.snapshots_applied == 2


def test_a_snapshot_older_than_the_buffered_diffs_is_a_gap(
    msg: Msg, write_recording: Write
) -> None:
    records = [
        (100, msg("depth", U=20, u=25)),
        (200, {"lastUpdateId": 10, "bids": LEVEL, "asks": ASKS}),
    ]
    with pytest.raises(BinanceSyncError, match=r"11\.\.19 missing"):
        list(replay_book(write_recording(records)))


def test_a_snapshot_first_then_diffs(msg: Msg, write_recording: Write) -> None:
    records = [
        (100, {"lastUpdateId": 10, "bids": LEVEL, "asks": ASKS}),
        (200, msg("depth", U=5, u=10)),  # all before the snapshot: dropped
        (300, msg("depth", U=8, u=12, b=[["100.5", "0"]])),  # straddles 11
        (400, msg("depth", U=13, u=13)),
    ]
    sync = BinanceBookSync("X.BINANCE")
    events = list(replay_book(write_recording(records), sync=sync))
    assert [e.sequence for e in events] == [10, 12, 13]
    assert isinstance(events[1], BookDeltas) and events[1].deltas[0].is_delete()
    assert sync.diffs_dropped == 1


def test_a_recording_without_snapshot_cannot_be_replayed(msg: Msg, write_recording: Write) -> None:
    path = write_recording([(1, msg("depth", U=1, u=2))])
    with pytest.raises(DataValidationError, match="no depth snapshot"):
        list(replay_book(path))


def test_bad_lines_name_the_file_and_line(msg: Msg, write_recording: Write) -> None:
    path = write_recording([(1, msg("depth", U=1, u=2)), (2, {"stream": "btcusdt@trade"})])
    with pytest.raises(DataValidationError, match=r"line 2: cannot read"):
        read_binance_stream(path)
    path = write_recording([(1, msg("bookTicker", u=1, b="1.0000000001", B="1", a="2", A="1"))])
    with pytest.raises(DataValidationError, match=r"line 1: .*more than 9 decimals"):
        read_binance_stream(path)
    path = write_recording([(5, msg("depth", U=1, u=2)), (4, msg("depth", U=3, u=4))])
    with pytest.raises(DataValidationError, match="line 2: local receive time goes backwards"):
        read_binance_stream(path)
    first = write_recording([(5, msg("depth", U=1, u=2)), (9, msg("depth", U=3, u=4))])
    second = write_recording([(7, msg("depth", U=5, u=6))])
    with pytest.raises(DataValidationError, match="overlap"):
        read_binance_stream([first, second])


def test_loaders_on_a_hand_made_recording(msg: Msg, write_recording: Write) -> None:
    stream = read_binance_stream(write_recording(_small_recording(msg)))
    trades = load_binance_trades(stream)
    assert trades.instrument_id == "BTCUSDT.BINANCE"
    assert trades.ts_event.tolist() == [500, 600]
    assert trades.price.tolist() == [100_500_000_000, 101_500_000_000]
    assert trades.size.tolist() == [250_000_000, 1_000_000_000]
    # m true: the buyer was the maker, so the seller hit the bid
    assert trades.aggressor.tolist() == [Aggressor.SELLER, Aggressor.BUYER]
    assert load_binance_trades(stream, timestamps="exchange").ts_event.tolist() == [
        7_000_000,
        8_000_000,
    ]
    quotes = load_binance_quotes(stream, instrument_id="BTC.TEST")
    assert quotes.instrument_id == "BTC.TEST"
    assert quotes.ts_event.tolist() == [250, 410, 420]
    assert quotes.ask.tolist() == [101_000_000_000, 101_000_000_000, 101_500_000_000]
    assert quotes.bid_size.tolist() == [1_000_000_000, 3_000_000_000, 3_000_000_000]
    with pytest.raises(ValueError, match="timestamps"):
        load_binance_trades(stream, timestamps="wall")  # type: ignore[arg-type]


# -- the real recording (../shared/data/hftbacktest) --------------------------------------------


def test_recording_counts_match_the_data_readme(binance_stream: BinanceStream) -> None:
    diffs = binance_stream.diffs
    per_file = {
        name: sum(1 for d in diffs if d.where.startswith(name))
        for name in ("binance_spot_btcusdt_20240808", "binance_spot_btcusdt_20240809")
    }
    assert list(per_file.values()) == [3451, 3044]
    assert len(binance_stream.book_tickers) == 28040 + 45134
    assert len(binance_stream.trades) == 9757 + 10147
    assert binance_stream.skipped == 0
    (snapshot,) = binance_stream.snapshots
    assert snapshot.last_update_id == 50093239218
    assert snapshot.where == "binance_spot_btcusdt_20240808_stream.gz line 8"
    assert (len(snapshot.bids), len(snapshot.asks)) == (1000, 1000)
    assert snapshot.bids[0] == (61_837_630_000_000, 3_788_260_000)
    # only three diffs came before the snapshot (the other four early lines are tickers/trades)
    assert binance_stream.depth.index(snapshot) == 3


def test_ids_continue_across_the_file_boundary(binance_stream: BinanceStream) -> None:
    diffs = binance_stream.diffs
    assert all(b.first_update_id == a.last_update_id + 1 for a, b in pairwise(diffs))
    boundary = next(i for i, d in enumerate(diffs) if "20240809" in d.where)
    assert diffs[boundary].first_update_id == diffs[boundary - 1].last_update_id + 1
    assert diffs[boundary].first_update_id == 50093421585
    trade_ids = binance_stream.trades.trade_id
    assert np.all(np.diff(trade_ids) == 1)
    assert int(trade_ids[-1] - trade_ids[0]) + 1 == len(trade_ids)


def test_local_clock_runs_about_1_27_s_behind_binance(binance_stream: BinanceStream) -> None:
    low, high = binance_stream.local_minus_exchange_ns()
    assert -1_277_000_000 < low < high < -1_249_000_000


def test_replay_syncs_both_files_end_to_end(binance_stream: BinanceStream) -> None:
    sync = BinanceBookSync("BTCUSDT.BINANCE")
    book = OrderBook("BTCUSDT.BINANCE")
    batches = 0
    for event in replay_book(binance_stream, sync=sync):
        if isinstance(event, BookSnapshot):
            book.apply_snapshot(event)
        else:
            book.apply_deltas(event)
            batches += 1
            assert not book.is_crossed()
    assert (sync.diffs_applied, sync.diffs_dropped, batches) == (6493, 2, 6493)
    assert sync.stream.incidents == []
    assert book.sequence == binance_stream.diffs[-1].last_update_id
    # the snapshot's 1000 levels a side grew as diffs added levels further out
    assert (book.level_count(BookSide.BID), book.level_count(BookSide.ASK)) == (1971, 2962)
    # deletes of levels the book never held (beyond the snapshot's 1000): normal per Binance
    assert book.missing_deletes == 26140
    assert book.to_quote(0).ask_raw - book.to_quote(0).bid_raw == 10_000_000  # one cent


def test_every_book_ticker_agrees_with_the_rebuilt_book(binance_stream: BinanceStream) -> None:
    check = check_book_tickers(binance_stream)
    assert check.mismatches == ()
    assert check.tickers == 73174
    # u=50093239212 arrived before the snapshot (lastUpdateId 50093239218): nothing to compare
    assert check.not_covered == 1
    # ticker id == the book's id after a diff: best prices AND sizes equal, every time
    assert (check.at_update, check.at_update_matched) == (1072, 1072)
    # ticker id strictly inside a diff's U..u (the 100 ms diff merges what the ticker saw
    # one by one): consistent with the book before the diff and the levels it touches ...
    assert check.within_update == 72101
    assert check.within_consistent + check.within_transient == 72101
    # ... except 16 records whose best bid is a level the diff never lists and the book never
    # held: added and removed inside one 100 ms window (3 windows), invisible to diff-depth
    assert check.within_transient == 16
    # the book after the diff shows the same best prices only 65 % of the time: comparing
    # prices "once the diff is applied" would be wrong
    assert check.within_top_equal_after == 46568
    assert check.crossed_states == 0
    assert check.ok


def test_real_trades_and_quotes_load(
    binance_stream: BinanceStream, binance_paths: list[Path]
) -> None:
    trades = load_binance_trades(binance_stream)
    assert len(trades) == 19904
    sellers = int(np.count_nonzero(binance_stream.trades.buyer_is_maker))
    assert int(np.count_nonzero(trades.aggressor == Aggressor.SELLER)) == sellers
    assert int(np.count_nonzero(trades.aggressor == Aggressor.BUYER)) == 19904 - sellers
    assert trades.price[0] == 61_837_630_000_000 and trades.size[0] == 20_000_000
    exchange = load_binance_trades(binance_stream, timestamps="exchange")
    assert int(exchange.ts_event[0]) == 1723161255342 * 1_000_000
    quotes = load_binance_quotes(binance_stream)
    assert len(quotes) == 73174
    assert int(quotes.ts_event[0]) == 1723161254087891268
    assert np.all(quotes.bid < quotes.ask)
    # files given in any order load the same (they are put in time order)
    reversed_trades = load_binance_trades(list(reversed(binance_paths)))
    assert np.array_equal(reversed_trades.ts_event, trades.ts_event)
