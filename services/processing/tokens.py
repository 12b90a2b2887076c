"""Officers' short-lived signed tokens, bound to the credential they were issued under
(:mod:`shared.runtime.officer_tokens`, where intake verifies them too), and the key processing
signs them with.

A token names the officer, department and role, and carries ``cred``: an HMAC, under the
token key, of the account's password hash when it was issued. Every request compares it with
the hash the directory holds now, so a changed password, department or role, or a removed
account, ends every token issued before (the key keeps the claim from being a verifier of
the hash for whoever reads the token's payload)."""

from __future__ import annotations

import secrets

import structlog
from pydantic import SecretStr

from shared.runtime.officer_tokens import TokenService

__all__ = ["MissingTokenSecret", "TokenService", "token_service"]
log = structlog.get_logger(__name__)


class MissingTokenSecret(ValueError):
    """Outside development, processing does not start without its token key."""


def token_service(secret: SecretStr | None, environment: str, ttl_s: int) -> TokenService:
    """The service's tokens under the configured key. Unset, development alone gets a random
    key per process (tokens die with it); anywhere else processing refuses to start, since
    replicas with keys of their own would each refuse the others' tokens."""
    if secret is not None:
        return TokenService(secret.get_secret_value(), ttl_s)
    if environment != "development":
        raise MissingTokenSecret(
            "PROCESSING_TOKEN_SECRET (or PROCESSING_TOKEN_SECRET_FILE) is required: the HS256 "
            "key of officers' tokens, 32+ characters, the same on every replica "
            "(e.g. openssl rand -hex 32); MOT_CUA_ENV=development alone runs without it")
    log.warning("PROCESSING_TOKEN_SECRET is not set: development tokens are signed with a "
                "random key, valid on this process only")
    return TokenService(secrets.token_urlsafe(32), ttl_s)
