"""Alpaca (Trading API v2): the live broker adapter, its market-data feed, and a local sandbox
server that speaks the same wire format. Interpreted (network I/O), never compiled."""

from venues.alpaca.config import (
    BrokerConfig,
    BrokerConfigError,
    broker_config_path,
    configured_broker,
    load_broker_config,
    no_broker_message,
)
from venues.alpaca.feed import AlpacaDataFeed
from venues.alpaca.rest import BrokerAuthError, BrokerError
from venues.alpaca.sandbox import AlpacaSandbox
from venues.alpaca.venue import AlpacaBroker

__all__ = [
    "AlpacaBroker",
    "AlpacaDataFeed",
    "AlpacaSandbox",
    "BrokerAuthError",
    "BrokerConfig",
    "BrokerConfigError",
    "BrokerError",
    "broker_config_path",
    "configured_broker",
    "load_broker_config",
    "no_broker_message",
]
