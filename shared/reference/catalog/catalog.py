"""Choosing a data set and the version in force at a given instant."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from pathlib import Path

from shared.reference.catalog.errors import CatalogError, UnknownVersionError
from shared.reference.catalog.loader import DatasetFile, parse_dataset, read_dataset
from shared.reference.catalog.model import CatalogVersion
from shared.reference.workdays import BUSINESS_TZ

DEFAULT_DATASET = "vinh-thanh-2024"


@dataclass(frozen=True)
class Catalog:
    """One agency's catalog versions, oldest first.

    A dossier is judged by the version in force when it was received, and keeps that
    version's id, so publishing a new version never changes a dossier already received.
    """

    dataset: str
    versions: tuple[CatalogVersion, ...]
    source: str

    def active(self, at: datetime | None = None) -> CatalogVersion:
        """The version with the latest ``effective_from`` on or before ``at``'s business date."""
        if at is None:
            at = datetime.now(BUSINESS_TZ)
        elif at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("active() needs a timezone-aware datetime")
        day = at.astimezone(BUSINESS_TZ).date()
        in_force = [v for v in self.versions if v.effective_from <= day]
        if not in_force:
            first = self.versions[0].effective_from
            raise CatalogError(f"{self.dataset}: no version in force on {day} (first: {first})")
        return in_force[-1]

    def version(self, version_id: str) -> CatalogVersion:
        for version in self.versions:
            if version.id == version_id:
                return version
        known = ", ".join(v.id for v in self.versions)
        raise UnknownVersionError(f"{self.dataset}: no version {version_id!r} (known: {known})")

    @staticmethod
    def datasets() -> list[str]:
        return available_datasets()


def available_datasets() -> list[str]:
    """Names of the data sets shipped with the code
    (``shared/reference/data/catalog/<name>.yaml``)."""
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in files("shared.reference.data.catalog").iterdir()
        if entry.name.endswith(".yaml")
    )


def load_catalog(dataset: str | None = None) -> Catalog:
    """Load a shipped data set by name, or the one the environment selects.

    Without an argument: ``CATALOG_PATH`` (a YAML file, for an operator's own data) wins,
    else ``CATALOG_DATASET``, else :data:`DEFAULT_DATASET`.
    """
    if dataset is None:
        if path := os.environ.get("CATALOG_PATH"):
            return load_catalog_file(Path(path))
        dataset = os.environ.get("CATALOG_DATASET") or DEFAULT_DATASET
    if dataset not in available_datasets():
        known = ", ".join(available_datasets())
        raise CatalogError(f"unknown catalog data set {dataset!r} (shipped: {known})")
    return load_catalog_file(Path(str(files("shared.reference.data.catalog") / f"{dataset}.yaml")))


def load_catalog_file(path: Path) -> Catalog:
    """Load and validate one data-set file; raises :class:`CatalogError` naming file and field."""
    return _catalog(read_dataset(path), str(path))


def parse_catalog(text: str, source: str = "<text>") -> Catalog:
    """Validate data-set YAML without a file, e.g. an operator's edit before it is saved."""
    return _catalog(parse_dataset(text, source), source)


def _catalog(data: DatasetFile, source: str) -> Catalog:
    versions = tuple(sorted(data.versions, key=lambda v: v.effective_from))
    return Catalog(dataset=data.dataset, versions=versions, source=source)
