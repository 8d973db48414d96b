"""Exact conversion of text columns to fixed-point integers, floats and timestamps.

Decimal text becomes an integer by scaled integer arithmetic on its digits (never through a
float), so ``4652.69`` is exactly ``4652690000000`` raw and ``0.01323747`` BTC exactly
``13237470``; only digits finer than 1e-9 are rounded (half to even). All work is vectorised
with ``pyarrow.compute``; a malformed value is reported at its row, and when several columns are
malformed the earliest row wins. pyarrow is imported by the functions that use it, not by this
module, so that ``import core.data`` stays free of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from core.data.validation import RowLocator

if TYPE_CHECKING:
    import pyarrow as pa

Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]

_NUMBER: Final = r"^(?P<sign>-?)(?P<whole>\d+)(?:\.(?P<frac>\d*))?$"
_FLOAT: Final = r"^-?\d+(\.\d*)?([eE][-+]?\d+)?$"
_FRACTION: Final = r"^(?P<base>[^.]*)(?:\.(?P<frac>\d{1,9}))?$"
_INT64_MAX: Final = 2**63 - 1
_MAX_WHOLE_DIGITS: Final = 18  # any 18-digit integer fits in int64


@dataclass(frozen=True, kw_only=True)
class NumberColumn:
    """A text column of decimal numbers, converted to ``value * 10**exponent`` as int64.

    ``exponent`` 9 gives raw fixed-point values (``core.values.SCALE``); 5 turns Lean's deci-cents
    (price x 10 000) into raw prices; 0 reads integers, and then a fraction is an error.
    Digits beyond the 1e-9 grid (binary-float noise such as Lean's crypto size
    ``9.342381490000001``) are rounded half to even, the engine's one rounding rule.
    """

    name: str
    label: str
    exponent: int


def parse_numbers(
    table: pa.Table, columns: Sequence[NumberColumn], locator: RowLocator
) -> dict[str, Int64Array]:
    """The converted columns; ``DataValidationError`` at the earliest malformed value."""
    values: dict[str, Int64Array] = {}
    first_problem: tuple[int, str] | None = None
    for spec in columns:
        text = table.column(spec.name)
        converted, problem = _parse_number_column(text, spec)
        values[spec.name] = converted
        if problem is not None and (first_problem is None or problem[0] < first_problem[0]):
            first_problem = problem
    if first_problem is not None:
        raise locator.error(*first_problem)
    return values


def parse_floats(text: pa.ChunkedArray, *, label: str, locator: RowLocator) -> Float64Array:
    """Decimal or scientific text as float64 (for factors, never for prices or sizes)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    valid = _to_bool(pc.match_substring_regex(text, _FLOAT))
    if not valid.all():
        index = int((~valid).argmax())
        raise locator.error(index, _not_a_number(label, text, index, "a number"))
    floats: Float64Array = pc.cast(text, pa.float64()).to_numpy()
    return floats


def parse_datetimes(
    text: pa.ChunkedArray,
    *,
    label: str,
    fmt: str,
    expected: str,
    locator: RowLocator,
    fraction: bool = False,
) -> Int64Array:
    """Wall-clock nanoseconds (naive, from 1970-01-01) of date/time text in ``strptime`` ``fmt``.

    Parsing is strict: the text must be exactly what ``fmt`` prints for that moment, so
    ``2006-02-30`` or ``2006-1-2`` are errors, not silently normalised. With ``fraction`` the text
    may end in ``.`` and 1 to 9 digits of fractional seconds (``20:57:42.146``).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    base = text
    fraction_ns = np.zeros(len(text), dtype=np.int64)
    if fraction:
        parts = pc.extract_regex(text, _FRACTION)
        matched = _to_bool(parts.is_valid())
        if not matched.all():
            index = int((~matched).argmax())
            raise locator.error(index, _bad_datetime(label, text, index, expected))
        base = pc.struct_field(parts, "base")
        digits = pc.fill_null(pc.struct_field(parts, "frac"), "")
        fraction_ns = _to_int64(pc.utf8_rpad(digits, width=9, padding="0"))
    stamps = pc.strptime(base, format=fmt, unit="s", error_is_null=True)
    printed = pc.strftime(stamps, format=fmt)
    exact = _to_bool(pc.fill_null(pc.equal(printed, base), False))
    if not exact.all():
        index = int((~exact).argmax())
        raise locator.error(index, _bad_datetime(label, text, index, expected))
    seconds = stamps.cast(pa.int64()).to_numpy()
    result: Int64Array = seconds * 1_000_000_000 + fraction_ns
    return result


def _parse_number_column(
    text: pa.ChunkedArray, spec: NumberColumn
) -> tuple[Int64Array, tuple[int, str] | None]:
    import pyarrow as pa
    import pyarrow.compute as pc

    exponent = spec.exponent
    try:
        # Fast path for columns of plain integers (Lean's deci-cents, sizes, milliseconds).
        integers: Int64Array = pc.cast(text, pa.int64()).to_numpy()
    except pa.ArrowInvalid:
        return _parse_decimal_text(text, spec)
    if np.abs(integers).max(initial=0) > _whole_limit(
        exponent
    ):  # rare: let the full parser name the row
        return _parse_decimal_text(text, spec)
    values: Int64Array = integers * 10**exponent
    return values, None


def _parse_decimal_text(
    text: pa.ChunkedArray, spec: NumberColumn
) -> tuple[Int64Array, tuple[int, str] | None]:
    import pyarrow as pa
    import pyarrow.compute as pc

    exponent = spec.exponent
    parts = pc.extract_regex(text, _NUMBER)
    matched = _to_bool(parts.is_valid())
    negative = _to_bool(pc.fill_null(pc.equal(pc.struct_field(parts, "sign"), "-"), False))
    # Unmatched rows get harmless digits so the casts below succeed; they are reported anyway.
    whole = pc.if_else(pa.array(matched), pc.struct_field(parts, "whole"), "0")
    frac = pc.if_else(pa.array(matched), pc.struct_field(parts, "frac"), "")
    whole_digits = pc.utf8_length(whole).to_numpy()
    decimals = pc.utf8_length(frac).to_numpy()

    too_long = whole_digits > _MAX_WHOLE_DIGITS
    whole_value = _to_int64(pc.if_else(pa.array(too_long), "0", whole))
    if exponent > 0:
        kept = pc.utf8_slice_codeunits(frac, 0, exponent)
        frac_value = _to_int64(pc.utf8_rpad(kept, width=exponent, padding="0"))
        frac_value = frac_value + _round_up(pc.utf8_slice_codeunits(frac, exponent), frac_value)
    else:
        frac_value = np.zeros(len(text), dtype=np.int64)
    limit = _whole_limit(exponent)
    too_large = too_long | (whole_value > limit)
    too_large |= (whole_value == limit) & (frac_value > _INT64_MAX - limit * 10**exponent)
    magnitude = np.where(too_large, 0, whole_value) * 10**exponent + frac_value
    values: Int64Array = np.where(negative, -magnitude, magnitude)

    candidates: list[tuple[int, str]] = []
    if not matched.all():
        index = int((~matched).argmax())
        kind = "an integer" if exponent == 0 else "a decimal number"
        candidates.append((index, _not_a_number(spec.label, text, index, kind)))
    if exponent == 0:
        fractional = matched & (decimals > 0)
        if fractional.any():
            index = int(fractional.argmax())
            candidates.append((index, f"{spec.label} {_text_at(text, index)!r} is not an integer"))
    overflow = matched & too_large
    if overflow.any():
        index = int(overflow.argmax())
        candidates.append((index, f"{spec.label} {_text_at(text, index)!r} is too large"))
    return values, min(candidates, key=lambda candidate: candidate[0], default=None)


def _whole_limit(exponent: int) -> int:
    """The largest whole part whose value times ``10**exponent`` still fits in int64."""
    return int(_INT64_MAX // 10**exponent)


def _round_up(dropped: pa.ChunkedArray | pa.Array, kept: Int64Array) -> Int64Array:
    """1 where the dropped digits round the kept ones up (half to even), else 0."""
    import pyarrow.compute as pc

    first = pc.utf8_slice_codeunits(dropped, 0, 1)
    rest_nonzero = _to_bool(pc.match_substring_regex(pc.utf8_slice_codeunits(dropped, 1), "[1-9]"))
    above_half = _to_bool(pc.greater(first, "5"))
    half = _to_bool(pc.equal(first, "5"))
    up = above_half | (half & (rest_nonzero | (kept % 2 == 1)))
    rounded: Int64Array = up.astype(np.int64)
    return rounded


def _not_a_number(label: str, text: pa.ChunkedArray, index: int, kind: str) -> str:
    shown = _text_at(text, index)
    if not shown.strip():
        return f"{label} is empty"
    return f"{label} {shown!r} is not {kind}"


def _bad_datetime(label: str, text: pa.ChunkedArray, index: int, expected: str) -> str:
    shown = _text_at(text, index)
    if not shown.strip():
        return f"{label} is empty"
    return f"{label} {shown!r} is not a valid date/time (expected {expected})"


def _text_at(text: pa.ChunkedArray, index: int) -> str:
    value = text[index].as_py()
    return "" if value is None else str(value)


def _to_bool(values: pa.ChunkedArray | pa.Array) -> npt.NDArray[np.bool_]:
    result: npt.NDArray[np.bool_] = np.asarray(values.to_numpy(zero_copy_only=False), dtype=bool)
    return result


def _to_int64(digits: pa.ChunkedArray | pa.Array) -> Int64Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    result: Int64Array = pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False)
    return result
