"""OpenAPI for routes that read their body themselves (they verify its signature first)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from shared.portal.auth import NONCE_HEADER, PORTAL_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER

SIGNATURE_PARAMETERS = [
    {"name": PORTAL_ID_HEADER, "in": "header", "required": True, "schema": {"type": "string"},
     "description": "The portal's id"},
    {"name": TIMESTAMP_HEADER, "in": "header", "required": True, "schema": {"type": "string"},
     "description": "Unix seconds; at most 5 minutes from the server's clock"},
    {"name": NONCE_HEADER, "in": "header", "required": True,
     "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"},
     "description": "New for every request: a signed request is good once"},
    {"name": SIGNATURE_HEADER, "in": "header", "required": True, "schema": {"type": "string"},
     "description": "hex HMAC-SHA256(secret, string to sign): the lines MOTCUA-HMAC-SHA256-2, "
                    "method, canonical path, canonical query, timestamp, nonce, hex SHA-256 "
                    "of the raw body, joined by newlines (README, 'As a portal')"},
]


def signed(body: type[BaseModel] | None = None) -> dict[str, Any]:
    """``openapi_extra`` of a signed route, with ``body`` as JSON or multipart."""
    extra: dict[str, Any] = {"parameters": SIGNATURE_PARAMETERS}
    if body is not None:
        multipart = {
            "type": "object",
            "properties": {"json": {**_inline(body), "description": "The JSON body; each "
                                    "document names its file part in `part`"}},
            "additionalProperties": {"type": "string", "format": "binary"},
        }
        extra["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": _inline(body)},
            "multipart/form-data": {"schema": multipart},
        }}
    return extra


def _inline(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its ``$defs`` inlined: pydantic's refs point inside the
    schema, which a schema embedded in an OpenAPI document cannot resolve."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: inline(v) for k, v in node.items()}
        return [inline(v) for v in node] if isinstance(node, list) else node

    result: dict[str, Any] = inline(schema)
    return result
