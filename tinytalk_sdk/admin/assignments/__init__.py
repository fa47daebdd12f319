"""Student → character assignments from the CSV files schools send (``student_character_assignments``).

:func:`import_assignments` reads a file in any encoding schools use (see :mod:`.csvfile`), maps header
aliases (``email``/``이메일``/``E-mail``, ``student_id``/``학번``, ``name``/``이름``/``성명``, ``school``/``학교``,
``class``/``반``/``학급``, ``character``/``캐릭터``), validates every row against ``schemas/assignment_row.json``
and against the database (unknown student, unknown character, duplicate email), and reports *all* problems
at once as ``row 42, column "email": not an address`` with Excel's row numbers.

It then plans added / changed / unchanged / removed (``replace_class``) assignments and applies them in one
transaction with bulk statements (one executemany INSERT, one executemany UPDATE), or writes nothing when a
row failed (unless ``skip_invalid``). Importing the same file twice changes nothing the second time.

The package is split along those lines, importing one way (a contract in pyproject): ``_export`` and
``_import`` over ``_parse`` over ``_model``.
"""

from ._export import export_assignments
from ._export import iter_assignments as iter_assignments
from ._import import import_assignments
from ._model import COLUMNS, HEADER_ALIASES, ImportResult, RowError, row_schema
from ._parse import _map_header as _map_header  # the bench times parsing apart from the database
from ._parse import _parse_rows as _parse_rows

__all__ = [
    "COLUMNS",
    "HEADER_ALIASES",
    "ImportResult",
    "RowError",
    "export_assignments",
    "import_assignments",
    "row_schema",
]
