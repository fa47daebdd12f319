"""docs/api.md's "Methods → endpoints" table matches the client and `tinytalk_sdk.types.ENDPOINTS`, and the
Python snippets of the hand-written docs are valid Python.

The table is hand-written (it says more than ENDPOINTS does: the keyword arguments); this keeps every row's
method, keywords, verb, path, request and response models and retry class true.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterator
from typing import Any

import pytest

from ._extract import ROOT, doc_pages

API_MD = ROOT / "docs" / "api.md"
_ROW = re.compile(
    r"^\| `client\.(?P<resource>\w+)\.(?P<method>\w+)\((?P<args>[^)]*)\)` "
    r"\| `(?P<verb>GET|POST) (?P<path>/[\w.]+)[^`]*`[^|]*"
    r"\| (?P<request>[^|]*)\| (?P<response>[^|]*)\| (?P<retry>\w+) \|$",
    re.MULTILINE,
)
# Keywords every "key" method takes on top of the endpoint's own (documented once, under the table).
_COMMON = {"idempotency_key"}


def _rows() -> list[dict[str, str]]:
    return [m.groupdict() for m in _ROW.finditer(API_MD.read_text(encoding="utf-8"))]


ROWS = _rows()


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from tinytalk_sdk import TinyTalk

    # Nothing is sent: the test only reads the client's methods.
    with TinyTalk(base_url="http://127.0.0.1:9/api") as c:
        yield c


def _endpoint(verb: str, path: str) -> Any:
    from tinytalk_sdk.types import ENDPOINTS

    matches = [e for e in ENDPOINTS if e.method == verb and e.path == path]
    return matches[0] if matches else None


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['resource']}.{r['method']}" for r in ROWS])
def test_api_table_row_matches_the_client(row: dict[str, str], client: Any) -> None:
    where = f"docs/api.md `client.{row['resource']}.{row['method']}`"
    method = getattr(getattr(client, row["resource"], None), row["method"], None)
    assert method is not None, f"{where}: the client has no such method"

    documented = {a.strip().rstrip("=") for a in row["args"].split(",") if a.strip()}
    actual = set(inspect.signature(method).parameters) - _COMMON
    assert documented == actual, f"{where}: documented keywords {sorted(documented)} != the method's {sorted(actual)}"

    endpoint = _endpoint(row["verb"], row["path"])
    assert endpoint is not None, f"{where}: no endpoint {row['verb']} {row['path']} in tinytalk_sdk.types.ENDPOINTS"
    assert row["retry"] == endpoint.retry, f"{where}: retry {row['retry']!r}, ENDPOINTS says {endpoint.retry!r}"
    takes_key = "idempotency_key" in inspect.signature(method).parameters
    assert takes_key == (endpoint.retry == "key"), f'{where}: idempotency_key= is for the "key" endpoints only'

    request = re.findall(r"`(\w+)`", row["request"])
    if endpoint.request is not None and endpoint.request.__name__ != "EmptyRequest":
        assert request[:1] == [endpoint.request.__name__], (
            f"{where}: request model {request}, ENDPOINTS says {endpoint.request.__name__}"
        )
    response = re.findall(r"`(\w+)`", row["response"])
    if endpoint.response is not None and endpoint.stream is None:
        assert response[:1] == [endpoint.response.__name__], (
            f"{where}: returns {response}, ENDPOINTS says {endpoint.response.__name__}"
        )


def test_api_table_covers_every_endpoint() -> None:
    from tinytalk_sdk.types import ENDPOINTS

    documented = {(r["verb"], r["path"]) for r in ROWS}
    missing = sorted(f"{e.method} {e.path}" for e in ENDPOINTS if (e.method, e.path) not in documented)
    assert not missing, f"docs/api.md's table has no row for: {', '.join(missing)}"
    assert len(ROWS) == len(ENDPOINTS)


def _python_blocks() -> list[tuple[str, int, str]]:
    blocks = []
    for page in doc_pages():
        lines = page.read_text(encoding="utf-8").splitlines()
        start = None
        for number, line in enumerate(lines, start=1):
            if start is None and re.match(r"^\s*```(python|py)\s*$", line):
                start = number
            elif start is not None and line.strip().startswith("```"):
                blocks.append((page.relative_to(ROOT).as_posix(), start, "\n".join(lines[start : number - 1])))
                start = None
    return blocks


PY_BLOCKS = _python_blocks()


@pytest.mark.parametrize(("page", "line", "code"), PY_BLOCKS, ids=[f"{p}:{n}" for p, n, _ in PY_BLOCKS])
def test_python_snippet_parses(page: str, line: int, code: str) -> None:
    try:
        ast.parse(code)
    except SyntaxError as exc:
        pytest.fail(f"{page}:{line + (exc.lineno or 0)}: the python block does not parse: {exc.msg}")
