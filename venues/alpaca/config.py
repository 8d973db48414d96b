"""The broker connection: which Alpaca endpoints, which keys, which data feed.

The file is TOML (``broker.toml`` in the user config folder, or ``$TRADEBENCH_BROKER``)::

    broker = "alpaca"                                        # the only broker so far
    trading_url = "https://paper-api.alpaca.markets"          # live: https://api.alpaca.markets
    trading_stream_url = "wss://paper-api.alpaca.markets/stream"   # live: wss://api.alpaca.markets/stream
    data_stream_url = "wss://stream.data.alpaca.markets/v2"   # the feed name is appended
    feed = "iex"                                              # or "sip" (paid subscription)
    key_id = "PK..."                                          # or $APCA_API_KEY_ID
    secret = "..."                                            # or $APCA_API_SECRET_KEY

Every key but ``key_id`` and ``secret`` is optional (the defaults are the paper-trading
endpoints above); the two secrets may stay out of the file and come from the environment
variables Alpaca's own tools read. ``tradebench broker-sandbox`` prints a ready-made file for
the local sandbox.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_config_dir

BROKER_ENV = "TRADEBENCH_BROKER"
KEY_ENV = "APCA_API_KEY_ID"
SECRET_ENV = "APCA_API_SECRET_KEY"
FEEDS = ("iex", "sip", "test")
PAPER_TRADING_URL = "https://paper-api.alpaca.markets"
PAPER_STREAM_URL = "wss://paper-api.alpaca.markets/stream"
DATA_STREAM_URL = "wss://stream.data.alpaca.markets/v2"
_KEYS = {
    "broker",
    "trading_url",
    "trading_stream_url",
    "data_stream_url",
    "feed",
    "key_id",
    "secret",
}


class BrokerConfigError(ValueError):
    """A broker file that cannot be used; the message is one line naming the file and key."""


@dataclass(frozen=True, kw_only=True)
class BrokerConfig:
    """Where the broker is and how to log in. ``repr`` never shows the secret."""

    name: str = "alpaca"
    trading_url: str = PAPER_TRADING_URL
    trading_stream_url: str = PAPER_STREAM_URL
    data_stream_url: str = DATA_STREAM_URL
    key_id: str
    secret: str
    feed: str = "iex"

    def __post_init__(self) -> None:
        if self.name != "alpaca":
            raise BrokerConfigError(f"broker {self.name!r} is not supported (only alpaca)")
        for key, schemes in (
            ("trading_url", ("http://", "https://")),
            ("trading_stream_url", ("ws://", "wss://")),
            ("data_stream_url", ("ws://", "wss://")),
        ):
            value = getattr(self, key)
            if not value.startswith(schemes):
                raise BrokerConfigError(
                    f"{key} must start with {' or '.join(schemes)}, got {value!r}"
                )
        if self.feed not in FEEDS:
            raise BrokerConfigError(f"feed must be one of {', '.join(FEEDS)}, got {self.feed!r}")
        if not self.key_id or not self.secret:
            raise BrokerConfigError("key_id and secret must not be empty")

    @property
    def data_url(self) -> str:
        """The market-data stream of the configured feed."""
        return f"{self.data_stream_url.rstrip('/')}/{self.feed}"

    def __repr__(self) -> str:
        return (
            f"BrokerConfig(name={self.name!r}, trading_url={self.trading_url!r}, "
            f"feed={self.feed!r}, key_id={self.key_id!r}, secret=***)"
        )


def load_broker_config(path: str | os.PathLike[str]) -> BrokerConfig:
    """Read and check a broker file (see the module docstring for its format)."""
    file = Path(path).expanduser()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BrokerConfigError(f"broker file {file} does not exist") from None
    except IsADirectoryError:
        raise BrokerConfigError(f"broker file {file} is a folder, not a file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BrokerConfigError(f"broker file {file} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise BrokerConfigError(
            f"broker file {file}: unknown key(s) {', '.join(unknown)} "
            f"(known: {', '.join(sorted(_KEYS))})"
        )
    for key, value in data.items():
        if not isinstance(value, str):
            raise BrokerConfigError(f"broker file {file}: {key} must be a string, got {value!r}")
    values = dict(data)
    name = values.pop("broker", "alpaca")
    for key, env in (("key_id", KEY_ENV), ("secret", SECRET_ENV)):
        if not values.get(key):
            from_env = os.environ.get(env, "")
            if not from_env:
                raise BrokerConfigError(
                    f"broker file {file}: {key} is missing (write it in the file or set {env})"
                )
            values[key] = from_env
    try:
        return BrokerConfig(name=name, **values)
    except BrokerConfigError as exc:
        raise BrokerConfigError(f"broker file {file}: {exc}") from None


def broker_config_path() -> Path:
    """``$TRADEBENCH_BROKER`` if set, else ``broker.toml`` in the user config folder."""
    configured = os.environ.get(BROKER_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path(user_config_dir("Tradebench", appauthor=False)) / "broker.toml"


def no_broker_message() -> str:
    """What to tell a user who has no broker file (the GUI shows it beside the Live switch)."""
    return f"no broker configured: put the connection in {broker_config_path()} or set {BROKER_ENV}"


def configured_broker() -> BrokerConfig | None:
    """The configured broker, or None when there is no broker file (``no_broker_message()``
    says what to do). A file that exists but is wrong raises ``BrokerConfigError``, and so
    does ``$TRADEBENCH_BROKER`` naming a missing file."""
    path = broker_config_path()
    if not path.exists() and not os.environ.get(BROKER_ENV):
        return None
    if not path.exists():
        raise BrokerConfigError(f"{BROKER_ENV}={path}: no such file")
    return load_broker_config(path)
