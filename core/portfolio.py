"""Positions, cash and PnL: one portfolio holding a sub-account per strategy. All integers."""

from __future__ import annotations

from array import array
from typing import Final, final

from core.instruments import Instrument
from core.values import SCALE, Money, Price, Qty, div_round_half_even, exact_mul, notional_raw


@final
class RoundTrip:
    """A closed trade: from flat to flat (a flip closes one round trip and opens the next)."""

    def __init__(
        self,
        *,
        strategy_id: str,
        instrument_id: str,
        direction: int,
        qty_raw: int,
        entry_ts: int,
        exit_ts: int,
        entry_px_raw: int,
        exit_px_raw: int,
        gross_pnl_raw: int,
        fees_raw: int,
        currency: str,
    ) -> None:
        self.strategy_id: Final = strategy_id
        self.instrument_id: Final = instrument_id
        self.direction: Final = direction  # +1 long, -1 short
        self.qty_raw: Final = qty_raw  # total quantity entered
        self.entry_ts: Final = entry_ts
        self.exit_ts: Final = exit_ts
        self.entry_px_raw: Final = entry_px_raw  # volume-weighted entry price
        self.exit_px_raw: Final = exit_px_raw  # volume-weighted exit price
        self.gross_pnl_raw: Final = gross_pnl_raw
        self.fees_raw: Final = fees_raw
        self.currency: Final = currency

    @property
    def net_pnl_raw(self) -> int:
        return self.gross_pnl_raw - self.fees_raw

    def __repr__(self) -> str:
        side = "LONG" if self.direction > 0 else "SHORT"
        return (
            f"RoundTrip({self.instrument_id} {side} {Qty(self.qty_raw)} "
            f"{Price(self.entry_px_raw)}->{Price(self.exit_px_raw)} "
            f"net {Money(self.net_pnl_raw, self.currency)})"
        )


def _pro_rata(amount: int, part: int, whole: int) -> int:
    """``amount * part / whole`` rounded half-even; whole units cancel the 1e9 scale first
    (the same quotient, but the product stays a machine int in compiled code)."""
    if part % SCALE == 0 and whole % SCALE == 0:
        part //= SCALE
        whole //= SCALE
    return div_round_half_even(exact_mul(amount, part), whole)


def _per_unit(notional_raw_: int, qty_raw: int, multiplier: int) -> int:
    """The price (raw) that ``qty_raw`` at ``multiplier`` costs ``notional_raw_``, half-even."""
    if qty_raw % SCALE == 0:
        return div_round_half_even(notional_raw_, exact_mul(qty_raw // SCALE, multiplier))
    return div_round_half_even(notional_raw_ * SCALE, qty_raw * multiplier)


@final
class IntColumn:
    """Append-only ints packed as int64 (8 bytes each) until a value does not fit, then kept as
    exact Python ints (cash beyond 9.2e9 currency units, e.g. ten billion yen). Appends go to a
    plain list first and are packed in blocks: ``array.append`` is a slow generic call when
    compiled, ``list.append`` is not."""

    def __init__(self) -> None:
        self._packed: array[int] = array("q")
        self._big: list[int] | None = None
        self._pending: list[int] = []

    def append(self, value: int) -> None:
        pending = self._pending
        pending.append(value)
        if len(pending) >= 4096:
            self._pack()

    def _pack(self) -> None:
        pending = self._pending
        if not pending:
            return
        big = self._big
        if big is None:
            try:
                self._packed.fromlist(pending)
            except OverflowError:
                big = self._packed.tolist()
                self._big = big
        if big is not None:
            big.extend(pending)
        pending.clear()

    @property
    def values(self) -> array[int] | list[int]:
        self._pack()
        big = self._big
        return big if big is not None else self._packed

    def __len__(self) -> int:
        big = self._big
        return (len(big) if big is not None else len(self._packed)) + len(self._pending)


@final
class Ledger:
    """Every change of an account's cash or of one of its positions, keyed by the number of the
    market event during which it happened (``Portfolio.seq``).

    With the market data, that is enough to rebuild the exact equity after any event
    (``core.equity``), so a backtest does not have to sample equity in its hot loop.
    """

    def __init__(self, opening_cash_raw: int) -> None:
        self.opening_cash_raw: Final = opening_cash_raw
        self.seq = IntColumn()
        self.cash = IntColumn()
        self.instrument_id: list[str] = []  # "" for a cash-only change (allocation)
        self.qty = IntColumn()  # the position's signed quantity after the change
        self.px = IntColumn()  # the fill price (a mark before any market data arrives)

    def record(
        self, seq: int, cash_raw: int, instrument_id: str, qty_raw: int, px_raw: int
    ) -> None:
        self.seq.append(seq)
        self.cash.append(cash_raw)
        self.instrument_id.append(instrument_id)
        self.qty.append(qty_raw)
        self.px.append(px_raw)


@final
class Position:
    """Net position of one strategy in one instrument, average-cost accounting.

    ``cost_raw`` is the signed money paid for the open quantity (negative when short); realized
    PnL removes cost pro rata (half-even rounding), so cash + market value always equals the
    starting cash + realized + unrealized - fees, to the last unit.
    """

    def __init__(self, strategy_id: str, instrument: Instrument) -> None:
        self.strategy_id: Final = strategy_id
        self.instrument: Final = instrument
        self.instrument_id: Final = instrument.id
        self._multiplier: Final = instrument.multiplier
        self.signed_qty_raw = 0
        self.cost_raw = 0
        self.realized_raw = 0
        self.fees_raw = 0
        # the round trip being built
        self._trip_entry_ts = 0
        self._trip_dir = 0
        self._trip_entry_qty = 0
        self._trip_entry_notional = 0
        self._trip_exit_qty = 0
        self._trip_exit_notional = 0
        self._trip_realized = 0
        self._trip_fees = 0

    @property
    def qty(self) -> Qty:
        return Qty(abs(self.signed_qty_raw))

    @property
    def is_flat(self) -> bool:
        return self.signed_qty_raw == 0

    @property
    def is_long(self) -> bool:
        return self.signed_qty_raw > 0

    @property
    def is_short(self) -> bool:
        return self.signed_qty_raw < 0

    def avg_px(self) -> Price:
        if self.signed_qty_raw == 0:
            return Price(0)
        den = abs(self.signed_qty_raw) * self.instrument.multiplier
        sign = 1 if self.signed_qty_raw > 0 else -1
        return Price(div_round_half_even(sign * self.cost_raw * SCALE, den))

    def market_value_raw(self, mark_px_raw: int) -> int:
        q = self.signed_qty_raw
        if q % SCALE == 0:
            # whole units: exact, and machine ints in compiled code
            return exact_mul(exact_mul(mark_px_raw, q // SCALE), self._multiplier)
        if q > 0:
            return notional_raw(mark_px_raw, q, self._multiplier)
        return -notional_raw(mark_px_raw, -q, self._multiplier)

    def unrealized_raw(self, mark_px_raw: int) -> int:
        return self.market_value_raw(mark_px_raw) - self.cost_raw

    def apply_fill(
        self, side: int, qty_raw: int, px_raw: int, fee_raw: int, ts: int
    ) -> RoundTrip | None:
        """Book a fill; returns the round trip it closed, if any. Cash is the account's job."""
        mult = self.instrument.multiplier
        pos = self.signed_qty_raw
        self.fees_raw += fee_raw
        closing = 0
        if pos != 0 and (pos > 0) != (side > 0):
            held = pos if pos > 0 else -pos
            closing = held if held < qty_raw else qty_raw
        opening = qty_raw - closing
        fill_notional = notional_raw(px_raw, qty_raw, mult)
        closed_trip: RoundTrip | None = None
        if closing > 0:
            close_notional = notional_raw(px_raw, closing, mult)
            close_fee = fee_raw if opening == 0 else _pro_rata(fee_raw, closing, qty_raw)
            held = pos if pos > 0 else -pos
            cost_removed = _pro_rata(self.cost_raw, closing, held)
            realized = (close_notional if side < 0 else -close_notional) - cost_removed
            self.cost_raw -= cost_removed
            self.signed_qty_raw = pos + closing if side > 0 else pos - closing
            self.realized_raw += realized
            self._trip_exit_qty += closing
            self._trip_exit_notional += close_notional
            self._trip_realized += realized
            self._trip_fees += close_fee
            fee_raw -= close_fee
            if self.signed_qty_raw == 0:
                closed_trip = self._close_trip(ts)
            fill_notional -= close_notional
        if opening > 0:
            if self.signed_qty_raw == 0:
                self._trip_entry_ts = ts
                self._trip_dir = side
            self.signed_qty_raw += opening if side > 0 else -opening
            self.cost_raw += fill_notional if side > 0 else -fill_notional
            self._trip_entry_qty += opening
            self._trip_entry_notional += fill_notional
            self._trip_fees += fee_raw
        return closed_trip

    def _close_trip(self, ts: int) -> RoundTrip:
        mult = self.instrument.multiplier
        trip = RoundTrip(
            strategy_id=self.strategy_id,
            instrument_id=self.instrument_id,
            direction=self._trip_dir,
            qty_raw=self._trip_entry_qty,
            entry_ts=self._trip_entry_ts,
            exit_ts=ts,
            entry_px_raw=_per_unit(self._trip_entry_notional, self._trip_entry_qty, mult),
            exit_px_raw=_per_unit(self._trip_exit_notional, self._trip_exit_qty, mult),
            gross_pnl_raw=self._trip_realized,
            fees_raw=self._trip_fees,
            currency=self.instrument.quote_currency,
        )
        self._trip_dir = 0
        self._trip_entry_qty = 0
        self._trip_entry_notional = 0
        self._trip_exit_qty = 0
        self._trip_exit_notional = 0
        self._trip_realized = 0
        self._trip_fees = 0
        return trip

    def __repr__(self) -> str:
        q = self.signed_qty_raw
        side = "LONG" if q > 0 else "SHORT" if q < 0 else "FLAT"
        qty = Qty(abs(q))
        return f"Position({self.strategy_id} {self.instrument_id} {qty} {side} avg {self.avg_px()})"


@final
class StrategyAccount:
    """One strategy's slice of the portfolio: its allocated cash, positions and PnL."""

    def __init__(self, strategy_id: str, allocation: Money, portfolio: Portfolio) -> None:
        self.strategy_id: Final = strategy_id
        self._portfolio: Final = portfolio
        self.ledger: Final = Ledger(allocation.raw)
        self.currency: Final = allocation.currency
        self.allocation_raw = allocation.raw
        self.cash_raw = allocation.raw
        self.positions: dict[str, Position] = {}
        self.fees_raw = 0
        self.realized_raw = 0
        self.turnover_raw = 0
        self.round_trips: list[RoundTrip] = []
        self.open_positions = 0
        self.open: list[Position] = []  # the positions that are not flat, in opening order
        self._in_market_since = 0
        self._in_market_ns = 0

    def position(self, instrument: Instrument) -> Position:
        pos = self.positions.get(instrument.id)
        if pos is None:
            if instrument.quote_currency != self.currency:
                raise ValueError(
                    f"{instrument.id} is quoted in {instrument.quote_currency} but strategy "
                    f"{self.strategy_id} keeps its account in {self.currency}"
                )
            pos = Position(self.strategy_id, instrument)
            self.positions[instrument.id] = pos
        return pos

    def apply_fill(
        self, instrument: Instrument, side: int, qty_raw: int, px_raw: int, fee_raw: int, ts: int
    ) -> tuple[Position, RoundTrip | None]:
        pos = self.position(instrument)
        was_open = pos.signed_qty_raw != 0
        notional = notional_raw(px_raw, qty_raw, instrument.multiplier)
        realized_before = pos.realized_raw
        trip = pos.apply_fill(side, qty_raw, px_raw, fee_raw, ts)
        self.cash_raw += notional - fee_raw if side < 0 else -notional - fee_raw
        self.ledger.record(
            self._portfolio.seq, self.cash_raw, instrument.id, pos.signed_qty_raw, px_raw
        )
        self.fees_raw += fee_raw
        self.realized_raw += pos.realized_raw - realized_before
        self.turnover_raw += notional
        if trip is not None:
            self.round_trips.append(trip)
        is_open = pos.signed_qty_raw != 0
        if is_open != was_open:
            if is_open:
                self.open.append(pos)
            else:
                self.open.remove(pos)
            self.open_positions += 1 if is_open else -1
            if is_open and self.open_positions == 1:
                self._in_market_since = ts
            elif not is_open and self.open_positions == 0:
                self._in_market_ns += ts - self._in_market_since
        return pos, trip

    def time_in_market_ns(self, now_ns: int) -> int:
        """How long the account has held any position (the exposure numerator)."""
        if self.open_positions:
            return self._in_market_ns + now_ns - self._in_market_since
        return self._in_market_ns

    def equity_raw(self, marks: dict[str, int]) -> int:
        total = self.cash_raw
        for pos in self.open:
            total += pos.market_value_raw(marks[pos.instrument_id])
        return total

    def unrealized_raw(self, marks: dict[str, int]) -> int:
        total = 0
        for pos in self.open:
            total += pos.unrealized_raw(marks[pos.instrument_id])
        return total

    def committed_raw(self, marks: dict[str, int]) -> int:
        """Gross market value of the open positions (what the allocation is holding)."""
        total = 0
        for pos in self.open:
            total += abs(pos.market_value_raw(marks[pos.instrument_id]))
        return total

    def set_allocation(self, allocation: Money) -> None:
        """Change the allocation while running: the difference moves in or out of cash."""
        if allocation.currency != self.currency:
            raise ValueError(f"allocation must be in {self.currency}, got {allocation.currency}")
        self.cash_raw += allocation.raw - self.allocation_raw
        self.allocation_raw = allocation.raw
        self.ledger.record(self._portfolio.seq, self.cash_raw, "", 0, 0)


@final
class MarkCell:
    """The last price of one instrument. The kernel writes it on every market event: a native
    int store, where a dict entry would box the price and rehash the key each time."""

    def __init__(self) -> None:
        self.raw = 0
        self.known = False


@final
class Portfolio:
    """All sub-accounts plus the last known price of every instrument (the marks)."""

    def __init__(self, base_currency: str) -> None:
        self.base_currency: Final = base_currency
        self.accounts: dict[str, StrategyAccount] = {}
        self._cells: dict[str, MarkCell] = {}
        self.seq = 0  # market events seen so far (the kernel counts them; ledgers key on it)

    def open_account(self, strategy_id: str, allocation: Money) -> StrategyAccount:
        if allocation.currency != self.base_currency:
            raise ValueError(
                f"allocation for {strategy_id} must be in {self.base_currency}, "
                f"got {allocation.currency}"
            )
        if strategy_id in self.accounts:
            raise ValueError(f"strategy {strategy_id} already has an account")
        account = StrategyAccount(strategy_id, allocation, self)
        self.accounts[strategy_id] = account
        return account

    def mark_cell(self, instrument_id: str) -> MarkCell:
        cell = self._cells.get(instrument_id)
        if cell is None:
            cell = MarkCell()
            self._cells[instrument_id] = cell
        return cell

    def mark(self, instrument_id: str, px_raw: int) -> None:
        cell = self.mark_cell(instrument_id)
        cell.raw = px_raw
        cell.known = True

    def last_price_raw(self, instrument_id: str) -> int | None:
        cell = self._cells.get(instrument_id)
        return cell.raw if cell is not None and cell.known else None

    @property
    def marks(self) -> dict[str, int]:
        """The known marks by instrument id (a snapshot: set them with ``mark``)."""
        return {iid: cell.raw for iid, cell in self._cells.items() if cell.known}

    def equity_of(self, account: StrategyAccount) -> int:
        """An account's equity at the current marks (no snapshot dict: for the breakers)."""
        total = account.cash_raw
        cells = self._cells
        for pos in account.open:
            total += pos.market_value_raw(cells[pos.instrument_id].raw)
        return total

    def total_equity_raw(self) -> int:
        marks = self.marks
        return sum(a.equity_raw(marks) for a in self.accounts.values())

    def total_cash_raw(self) -> int:
        return sum(a.cash_raw for a in self.accounts.values())
