"""Raw text of a CSV file, read from disk or from the single CSV inside a zip, as string columns.

Every column is read as text (``pyarrow.csv`` with explicit string types, so nothing is inferred:
Lean's hexadecimal ``sale_condition`` stays text, a price never becomes a float); the numbers are
converted exactly by ``core.data.text_columns``. Columns are taken by position, which is what
headerless files need and what lets a wrong header (backtrader's FESX file) be ignored.
Row structure problems (a row with the wrong number of fields) are reported with their line.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final, final

from core.data.validation import DataValidationError, RowLocator

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.csv as pcsv

_BOM: Final = b"\xef\xbb\xbf"
_TRAILING_BLANKS: Final = b" \t\r\n"


@final
class TextSource:
    """The bytes of one CSV text; ``name`` is how messages refer to it (``spy.zip:spy.csv``)."""

    __slots__ = ("member", "name", "path", "text")

    def __init__(self, path: Path, member: str | None, data: bytes) -> None:
        import pyarrow as pa

        self.path: Final = path
        self.member: Final = member
        self.name: Final = path.name if member is None else f"{path.name}:{member}"
        start = len(_BOM) if data.startswith(_BOM) else 0
        end = len(data)
        # Trailing blank lines would otherwise become empty data rows.
        while end > start and data[end - 1] in _TRAILING_BLANKS:
            end -= 1
        self.text: Final = pa.py_buffer(data).slice(start, end - start)

    def head_lines(self, count: int) -> list[str]:
        """The first ``count`` lines (fewer if the text is shorter), without line endings."""
        head: bytes = self.text.slice(0, min(self.text.size, 4096)).to_pybytes()
        lines = head.decode("utf-8", errors="replace").splitlines()
        return lines[:count]

    def read_columns(
        self, names: Sequence[str], *, header_lines: int, include: Sequence[str]
    ) -> tuple[pa.Table, RowLocator]:
        """The ``include``d columns, as text, of rows that must have ``len(names)`` fields.

        Raises ``DataValidationError`` for an empty file, no data rows, or a row whose field
        count is wrong. The locator maps table positions to data rows and lines.
        """
        import pyarrow as pa
        import pyarrow.csv as pcsv

        locator = RowLocator(self.name, header_lines=header_lines)
        if self.text.size == 0:
            raise locator.file_error("empty file")
        if len(self.head_lines(header_lines + 1)) <= header_lines:
            raise locator.file_error("empty file (no data rows)")
        bad_rows: list[pcsv.InvalidRow] = []

        def on_invalid_row(row: pcsv.InvalidRow) -> str:
            bad_rows.append(row)
            return "skip"

        table = pcsv.read_csv(
            pa.BufferReader(self.text),
            # One thread keeps physical line numbers known to the invalid-row handler.
            read_options=pcsv.ReadOptions(
                use_threads=False, skip_rows=header_lines, column_names=list(names)
            ),
            parse_options=pcsv.ParseOptions(
                invalid_row_handler=on_invalid_row, ignore_empty_lines=False
            ),
            convert_options=pcsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                include_columns=list(include),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        if bad_rows:
            row = bad_rows[0]
            problem = f"expected {row.expected_columns} fields, found {row.actual_columns}"
            if row.number is None:
                raise locator.file_error(problem)
            line = int(row.number)
            raise DataValidationError(self.name, problem, row=line - header_lines, line=line)
        return table, locator


def open_text_source(path: Path) -> TextSource:
    """The text of a CSV file, or of the one file inside a zip archive (Lean's layout)."""
    if not zipfile.is_zipfile(path):
        return TextSource(path, None, path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) != 1:
            names = ", ".join(info.filename for info in members) or "nothing"
            raise DataValidationError(
                path.name, f"a zip must hold exactly one CSV file, this one holds {names}"
            )
        return TextSource(path, members[0].filename, archive.read(members[0]))
