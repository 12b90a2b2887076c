"""Reading one data-set file into validated catalog versions.

A file holds one agency and its versions. A later version may be written as changes to an
earlier one (``based_on``), so a new version stays a short, reviewable diff; it is expanded
to a full version before validation, so every published version is complete and checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import yaml
from pydantic import Field, ValidationError, model_validator

from shared.reference.catalog.errors import CatalogError
from shared.reference.catalog.model import CatalogVersion, FrozenModel

Raw = dict[str, Any]


class DatasetFile(FrozenModel):
    """A whole data set, checked across its versions."""

    dataset: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str = ""
    versions: tuple[CatalogVersion, ...]

    @model_validator(mode="after")
    def _versions_agree(self) -> Self:
        if not self.versions:
            raise ValueError("a data set needs at least one version")
        ids = [v.id for v in self.versions]
        dates = [v.effective_from for v in self.versions]
        if len(set(ids)) != len(ids):
            raise ValueError(f"version ids repeat: {ids}")
        if len(set(dates)) != len(dates):
            raise ValueError("two versions share an effective_from date")
        if len({v.agency.code for v in self.versions}) != 1:
            raise ValueError("all versions of a data set must keep one agency code")
        return self


def read_dataset(path: Path) -> DatasetFile:
    """Read ``path`` and validate it; every problem becomes a :class:`CatalogError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read catalog data: {exc}") from exc
    return parse_dataset(text, str(path))


def parse_dataset(text: str, source: str) -> DatasetFile:
    """Parse, expand and validate YAML ``text``; errors name ``source`` and the field."""
    try:
        raw = yaml.safe_load(text)
        expanded = _expand(_mapping(raw, "the file"))
    except yaml.YAMLError as exc:
        raise CatalogError(f"{source}: not valid YAML: {exc}") from None
    except CatalogError as exc:
        raise CatalogError(f"{source}: invalid catalog data: {exc}") from None
    try:
        return DatasetFile.model_validate(expanded)
    except ValidationError as exc:
        lines = [
            f"{_where(e['loc'], expanded)}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        ]
        raise CatalogError(f"{source}: invalid catalog data:\n  " + "\n  ".join(lines)) from None


def _expand(raw: Raw) -> Raw:
    agency = raw.get("agency")
    defaults = _mapping(raw.get("procedure_defaults", {}), "procedure_defaults")
    done: dict[str, Raw] = {}
    versions = []
    for i, spec in enumerate(_sequence(raw.get("versions"), "versions")):
        spec = _mapping(spec, f"versions[{i}]")
        where = f"versions[{i}] ({spec.get('id')})"
        if "based_on" in spec:
            version = _derive(spec, done, where)
        else:
            items = _sequence(spec.get("procedures"), f"versions[{i}].procedures")
            procedures = [
                {**defaults, **_mapping(p, f"{where}.procedures[{j}]")} for j, p in enumerate(items)
            ]
            version = {**spec, "agency": spec.get("agency", agency), "procedures": procedures}
        done[str(spec.get("id"))] = version
        versions.append(version)
    rest = {k: v for k, v in raw.items() if k not in {"agency", "procedure_defaults"}}
    return {**rest, "versions": versions}


def _derive(spec: Raw, done: Mapping[str, Raw], where: str) -> Raw:
    """A version written as changes to an earlier one in the same file."""
    base = done.get(str(spec["based_on"]))
    if base is None:
        raise CatalogError(f"{where}: based_on {spec['based_on']!r} is not an earlier version")
    procedures = {p.get("code"): dict(p) for p in base["procedures"]}
    for code in _sequence(spec.get("remove", []), "remove"):
        if procedures.pop(code, None) is None:
            raise CatalogError(f"{where}: remove: no procedure {code!r} in the base version")
    for code, change in _mapping(spec.get("changes", {}), "changes").items():
        if not isinstance(code, str):  # YAML reads an unquoted 1.009995 as a float
            raise CatalogError(f"{where}: changes: quote the procedure code {code!r}")
        if code not in procedures:
            raise CatalogError(f"{where}: changes: no procedure {code!r} in the base version")
        procedures[code] = {**procedures[code], **_mapping(change, f"changes.{code}")}
    added = [_mapping(p, "add") for p in _sequence(spec.get("add", []), "add")]
    own = {k: v for k, v in spec.items() if k not in {"based_on", "changes", "add", "remove"}}
    return {
        **own,
        "agency": spec.get("agency", base["agency"]),
        "procedures": [*procedures.values(), *added],
    }


def _where(loc: Sequence[int | str], data: Any) -> str:
    """``versions[1] (vinh-thanh-2024.2).procedures[3] (2.002189).committed_days``."""
    out = ""
    for key in loc:
        if isinstance(key, int):
            data = data[key] if isinstance(data, list) and key < len(data) else None
            label = _label(data)
            out += f"[{key}]" + (f" ({label})" if label else "")
        else:
            data = data.get(key) if isinstance(data, dict) else None
            out += f".{key}" if out else str(key)
    return out or "file"


def _label(item: Any) -> str | None:
    if isinstance(item, dict):
        for key in ("code", "id", "kind"):
            if item.get(key) is not None:
                return str(item[key])
    return None


def _mapping(value: Any, what: str) -> Raw:
    if not isinstance(value, dict):
        raise CatalogError(f"{what} must be a mapping, found {type(value).__name__}")
    return value


def _sequence(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise CatalogError(f"{what} must be a list, found {type(value).__name__}")
    return value
