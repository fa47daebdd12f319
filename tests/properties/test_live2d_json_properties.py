"""model3/motion3 JSON validation on mutated models: a Report with findings naming file and pointer, never an
exception, and nothing written into the model folder."""

from __future__ import annotations

import json
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from live2d_tools.rules import RULES
from live2d_tools.validate import validate

JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=True),
              st.text(max_size=20), st.sampled_from(["../../etc/passwd", "/abs.moc3", "motions/idle_00.motion3.json",
                                                     "C:\\x.png", "Hiyori.moc3", ""])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)


@cache
def model() -> Path:
    from live2d_tools.generate import generate_model

    return generate_model(Path(tempfile.mkdtemp(prefix="tt-prop-")) / "m", name="Hiyori").parent


def pointers(doc: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [here]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += pointers(v, (*here, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += pointers(v, (*here, i))
    return out


def mutate(doc: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not path:
        return value
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@given(st.sampled_from(["Hiyori.model3.json", "motions/idle_00.motion3.json", "motions/speaking_00.motion3.json"]),
       st.data(), JSON, st.booleans(), st.booleans())
def test_mutated_json(target: str, data: st.DataObject, value: Any, delete: bool, raw_garbage: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "model"
        shutil.copytree(model(), root)
        path = root / target
        if raw_garbage:
            path.write_bytes(data.draw(st.binary(max_size=200)))
        else:
            doc = json.loads(path.read_text(encoding="utf-8"))
            where = data.draw(st.sampled_from(pointers(doc)))
            doc = mutate(doc, where, value, delete and bool(where))
            path.write_text(json.dumps(doc, allow_nan=True), encoding="utf-8")
        before = files_of(root)
        report = validate(root / "Hiyori.model3.json", emotions=True)
        assert files_of(root) == before  # validation writes nothing
        assert set(p.name for p in Path(tmp).iterdir()) == {"model"}
        for finding in report.findings:
            assert finding.rule_id in RULES, finding
            assert finding.message and finding.file is not None
            assert not finding.file.startswith("/") and ".." not in Path(finding.file).parts, finding
            assert finding.pointer == "" or finding.pointer.startswith("/"), finding
        if not raw_garbage and report.ok:
            assert report.model.entry
