"""The procedure catalog: agencies, departments and procedures as versioned data.

The data lives in YAML under ``shared/reference/data/catalog/``; a new organisation (for example a
commune after the July 2025 reform) is a new data file, never new code.
"""

from __future__ import annotations

from shared.reference.catalog.catalog import (
    DEFAULT_DATASET,
    Catalog,
    available_datasets,
    load_catalog,
    load_catalog_file,
    parse_catalog,
)
from shared.reference.catalog.errors import CatalogError, UnknownVersionError
from shared.reference.catalog.model import (
    Agency,
    CatalogVersion,
    Department,
    DocumentRequirement,
    Procedure,
)

__all__ = [
    "DEFAULT_DATASET",
    "Agency",
    "Catalog",
    "CatalogError",
    "CatalogVersion",
    "Department",
    "DocumentRequirement",
    "Procedure",
    "UnknownVersionError",
    "available_datasets",
    "load_catalog",
    "load_catalog_file",
    "parse_catalog",
]
