"""Small integer vocabularies (plain int constants: compiled code compares them natively)."""

from __future__ import annotations

from typing import Final


class OrderSide:
    BUY: Final = 1
    SELL: Final = -1

    @staticmethod
    def name(side: int) -> str:
        return "BUY" if side == OrderSide.BUY else "SELL"

    @staticmethod
    def parse(text: str) -> int:
        upper = text.strip().upper()
        if upper == "BUY":
            return OrderSide.BUY
        if upper == "SELL":
            return OrderSide.SELL
        raise ValueError(f"order side must be BUY or SELL, got {text!r}")


class OrderType:
    MARKET: Final = 1
    LIMIT: Final = 2
    STOP: Final = 3
    STOP_LIMIT: Final = 4

    NAMES: Final = {1: "MARKET", 2: "LIMIT", 3: "STOP", 4: "STOP_LIMIT"}  # contiguous codes


class TimeInForce:
    GTC: Final = 1
    DAY: Final = 2
    IOC: Final = 3
    FOK: Final = 4

    NAMES: Final = {1: "GTC", 2: "DAY", 3: "IOC", 4: "FOK"}  # contiguous codes

    @staticmethod
    def parse(text: str) -> int:
        for value, name in TimeInForce.NAMES.items():
            if name == text.strip().upper():
                return value
        raise ValueError(f"time in force must be one of GTC, DAY, IOC, FOK, got {text!r}")


class OrderStatus:
    INITIALIZED: Final = 1
    DENIED: Final = 2
    SUBMITTED: Final = 3
    ACCEPTED: Final = 4
    REJECTED: Final = 5
    CANCELED: Final = 6
    EXPIRED: Final = 7
    TRIGGERED: Final = 8
    PENDING_CANCEL: Final = 9
    PENDING_UPDATE: Final = 10
    PARTIALLY_FILLED: Final = 11
    FILLED: Final = 12

    NAMES: Final = {
        1: "INITIALIZED",
        2: "DENIED",
        3: "SUBMITTED",
        4: "ACCEPTED",
        5: "REJECTED",
        6: "CANCELED",
        7: "EXPIRED",
        8: "TRIGGERED",
        9: "PENDING_CANCEL",
        10: "PENDING_UPDATE",
        11: "PARTIALLY_FILLED",
        12: "FILLED",
    }


class Liquidity:
    MAKER: Final = 1
    TAKER: Final = 2

    NAMES: Final = {1: "MAKER", 2: "TAKER"}


class StrategyStatus:
    READY: Final = 0
    RUNNING: Final = 1
    STOPPED: Final = 2
    FAULTED: Final = 3

    NAMES: Final = {0: "READY", 1: "RUNNING", 2: "STOPPED", 3: "FAULTED"}


class TradingState:
    """What the risk step lets through: everything, only position-reducing orders, or nothing
    but cancels. Ordered: the effective state of a strategy is the strictest that applies."""

    ACTIVE: Final = 0
    REDUCING: Final = 1
    HALTED: Final = 2

    NAMES: Final = {0: "ACTIVE", 1: "REDUCING", 2: "HALTED"}

    @staticmethod
    def parse(text: str) -> int:
        for code, name in TradingState.NAMES.items():
            if name == text.strip().upper():
                return code
        raise ValueError(f"unknown trading state {text!r}: use active, reducing or halted")
