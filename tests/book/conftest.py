"""Shared fixtures for the order-book tests: the real Binance recording and hand-made files.

Helpers are fixtures (not importable modules) because the suite runs with
``--import-mode=importlib``, where test modules cannot import their siblings.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from core.book import BookSnapshot, OrderBook
from core.data.binance import BinanceStream, read_binance_stream
from core.values import SCALE

BINANCE_FILES = (
    "hftbacktest/binance_spot_btcusdt_20240808_stream.gz",
    "hftbacktest/binance_spot_btcusdt_20240809_stream.gz",
)


@pytest.fixture(scope="session")
def binance_paths(shared_data: Path) -> list[Path]:
    paths = [shared_data / name for name in BINANCE_FILES]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        pytest.skip(f"Binance recording missing: {', '.join(missing)}")
    return paths


@pytest.fixture(scope="session")
def binance_stream(binance_paths: list[Path]) -> BinanceStream:
    """Both files parsed once for the whole session (about a second)."""
    return read_binance_stream(binance_paths)


@pytest.fixture
def px() -> Callable[[float | int | str], int]:
    """Raw fixed-point int of a readable price or size (exact for the literals tests use)."""

    def raw(value: float | int | str) -> int:
        from decimal import Decimal

        return int(Decimal(str(value)) * SCALE)

    return raw


@pytest.fixture
def make_book(
    px: Callable[[float | int | str], int],
) -> Callable[..., OrderBook]:
    """A book from readable levels: ``make_book(bids=[(100, 2)], asks=[(101, 1)], seq=5)``."""

    def build(
        *,
        bids: list[tuple[float | int | str, float | int | str]],
        asks: list[tuple[float | int | str, float | int | str]],
        seq: int = 1,
        instrument_id: str = "TEST.SIM",
    ) -> OrderBook:
        book = OrderBook(instrument_id)
        book.apply_snapshot(
            BookSnapshot(
                instrument_id,
                1_000,
                seq,
                [(px(p), px(q)) for p, q in bids],
                [(px(p), px(q)) for p, q in asks],
            )
        )
        return book

    return build


@pytest.fixture
def write_recording(tmp_path: Path) -> Callable[..., Path]:
    """Write a hand-made recording: ``(local_ns, message)`` pairs, gzipped like the real ones."""
    counter = iter(range(1_000_000))

    def write(records: list[tuple[int, dict[str, object]]], *, name: str | None = None) -> Path:
        path = tmp_path / (name or f"stream_{next(counter)}.gz")
        with gzip.open(path, "wt") as handle:
            for ts, message in records:
                handle.write(f"{ts} {json.dumps(message)}\n")
        return path

    return write


@pytest.fixture
def msg() -> Callable[..., dict[str, object]]:
    """Binance combined-stream messages: ``msg("depth", U=1, u=3, b=[...], a=[...])``."""

    def build(kind: str, **fields: object) -> dict[str, object]:
        if kind == "snapshot":
            return {
                "lastUpdateId": fields["lastUpdateId"],
                "bids": fields.get("bids", []),
                "asks": fields.get("asks", []),
            }
        if kind == "depth":
            data = {"e": "depthUpdate", "E": fields.get("E", 1), "s": "BTCUSDT"}
            data |= {"U": fields["U"], "u": fields["u"]}
            data |= {"b": fields.get("b", []), "a": fields.get("a", [])}
            return {"stream": "btcusdt@depth@100ms", "data": data}
        if kind == "bookTicker":
            return {"stream": "btcusdt@bookTicker", "data": {"s": "BTCUSDT", **fields}}
        if kind == "trade":
            data = {"e": "trade", "s": "BTCUSDT", "E": fields.get("E", fields["T"]), **fields}
            return {"stream": "btcusdt@trade", "data": data}
        raise ValueError(kind)

    return build
