"""The order-book venue: our orders matched against the L2 book with a queue-position estimate.

The fill rules are documented in ``venues.orderbook.venue``; ``venues.orderbook.queue`` holds the
model of where a resting order stands when its level shrinks. Fees and latency use the simulated
venue's models (``venues.simulated``).
"""

from venues.orderbook.matching import NOT_SUPPORTED
from venues.orderbook.queue import QueueModel, ahead_after_cancels
from venues.orderbook.venue import OrderBookVenue

__all__ = ["NOT_SUPPORTED", "OrderBookVenue", "QueueModel", "ahead_after_cancels"]
