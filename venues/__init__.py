"""Where orders go: the simulated matching engine (backtest and paper) and broker adapters."""

import core  # noqa: F401  (first: core decides whether the engine runs compiled or from source)
