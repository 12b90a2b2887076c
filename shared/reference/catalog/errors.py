"""The one error type of the catalog, so callers need not know pydantic or YAML."""

from __future__ import annotations


class CatalogError(Exception):
    """Catalog data is invalid, or a data set or version asked for does not exist.

    The message names the file and the field, so an operator can fix the data directly.
    """


class UnknownVersionError(CatalogError, LookupError):
    """No version has the id asked for (a dossier may reference a retired version)."""
