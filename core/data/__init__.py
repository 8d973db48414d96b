"""Market data: columnar series, loaders, validation, a Parquet catalog, synthetic data,
resampling, and the Binance recordings with stream hygiene for sequenced feeds.

Prices and quantities are raw fixed-point integers (value x ``core.values.SCALE``), timestamps
integer nanoseconds UTC; bars carry their END time. See each module for the details.
"""

from core.data.binance import load_binance_quotes, load_binance_trades, replay_book
from core.data.book_series import BookSeries, book_series_from_events, book_series_of_market
from core.data.catalog import CatalogEntry, DataCatalog
from core.data.corporate_actions import FactorFile, adjust_bars, load_factor_file
from core.data.hygiene import SequencedStream, StreamGap
from core.data.loaders import LAYOUTS, load_bars, load_quotes, load_series, load_trades
from core.data.resample import resample_trades
from core.data.series import SCHEMA_VERSION, BarSeries, QuoteSeries, TradeSeries
from core.data.synthetic import generate_bars, generate_quotes
from core.data.validation import (
    DataValidationError,
    RowLocator,
    validate_bars,
    validate_quotes,
    validate_trades,
)

__all__ = [
    "LAYOUTS",
    "SCHEMA_VERSION",
    "BarSeries",
    "BookSeries",
    "CatalogEntry",
    "DataCatalog",
    "DataValidationError",
    "FactorFile",
    "QuoteSeries",
    "RowLocator",
    "SequencedStream",
    "StreamGap",
    "TradeSeries",
    "adjust_bars",
    "book_series_from_events",
    "book_series_of_market",
    "generate_bars",
    "generate_quotes",
    "load_bars",
    "load_binance_quotes",
    "load_binance_trades",
    "load_factor_file",
    "load_quotes",
    "load_series",
    "load_trades",
    "replay_book",
    "resample_trades",
    "validate_bars",
    "validate_quotes",
    "validate_trades",
]
