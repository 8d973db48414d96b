"""pyqtgraph items and the chart panel: candles, volume, overlays, fills, equity, drawdown."""
