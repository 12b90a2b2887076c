from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from limits import parse
from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.portal.auth import MAX_CLOCK_SKEW_S, PortalKeys, parse_portal_secrets
from shared.runtime.settings import SERVICE_PORTS, ServiceSettings, settings_config

DEV_PORTAL = ("dev-portal", "dev-portal-secret")


class IntakeSettings(ServiceSettings):
    model_config: SettingsConfigDict = settings_config("intake")  # type: ignore[misc]

    service_name: str = "intake"
    http_port: int = SERVICE_PORTS["intake"]
    environment: str = Field(
        "production", validation_alias=AliasChoices("MOT_CUA_ENV", "environment"),
        description="'development' (make run) registers the development portal.",
    )

    portal_secrets: SecretStr = Field(
        SecretStr(""), description="INTAKE_PORTAL_SECRETS: 'portal-a:secret1,secret2;"
        "portal-b:secret3' (or INTAKE_PORTAL_SECRETS_FILE)."
    )
    portal_clock_skew_s: int = Field(MAX_CLOCK_SKEW_S, ge=1)
    portal_record_max_age_s: int = Field(
        86_400, ge=1, description="How old a Kafka record's signature may be (it may have "
        "waited out an intake outage); older ones are dead-lettered as replays.")

    document_store: Literal["local", "s3"] = "local"
    document_dir: Path = Path("var/documents")
    s3_bucket: str = ""
    s3_prefix: str = "documents/"
    s3_endpoint_url: str | None = Field(None, description="An S3-compatible server; AWS if unset")
    s3_region: str | None = None
    max_document_bytes: int = Field(
        20 * 1024 * 1024, gt=0, description="The largest document of any procedure: intake "
        "refuses to start when the catalog allows a larger one (the shipped data's drawings, "
        "ban_ve_thiet_ke, are 20 MiB).")
    max_dossier_bytes: int = Field(50 * 1024 * 1024, gt=0)
    max_json_body_bytes: int = Field(
        16 * 1024 * 1024, gt=0, description="A JSON body is parsed whole, its documents a "
        "third larger in base64: past this, a portal sends multipart (streamed to disk).")
    upload_slots_per_portal: int = Field(
        4, ge=1, description="Large uploads one portal may have in flight on one replica; "
        "one more is answered 429 with Retry-After.")
    large_upload_bytes: int = Field(
        1024 * 1024, ge=0, description="A body larger than this (or of unknown length) takes "
        "an upload slot.")
    portal_daily_quota_bytes: int = Field(
        20 * 1024**3, gt=0, description="Bytes of documents one portal may have accepted per "
        "business day (Asia/Ho_Chi_Minh); past it, 429 until midnight.")
    staged_document_grace_s: int = Field(
        3600, ge=60, description="How long a document written for a submission that has not "
        "committed is kept before the sweeper deletes it.")
    sweep_interval_s: float = Field(300, gt=0)

    tracking_rate_limit: str = Field(
        "30/minute", description="Per client, in the 'limits' notation, e.g. '30/minute'; "
        "counted in the database, so shared by every replica.")
    tracking_code_rate_limit: str = Field(
        "20/hour", description="Lookups of one dossier code, whoever makes them: what makes "
        "guessing the phone's last four digits slow from many addresses.")
    trusted_proxies: str = Field(
        "", description="Comma-separated addresses or networks of the proxies in front of "
        "intake: the client is the rightmost X-Forwarded-For hop that is not one of them. "
        "Empty: the header is ignored and the peer address counts.")

    officer_token_secret: SecretStr | None = Field(
        None, description="INTAKE_OFFICER_TOKEN_SECRET (or _FILE): processing's "
        "PROCESSING_TOKEN_SECRET, so that officers' tokens are good here for the verify of a "
        "dossier's timeline; unset: that route answers 503.")

    public_url: str | None = Field(
        None, description="Where citizens reach intake's pages (the receipt's QR code links "
        "there); http://127.0.0.1:<port> when unset.")

    @model_validator(mode="after")
    def _portals_configured(self) -> Self:
        self.portal_keys()  # a malformed value stops the service at start, naming the entry
        for name in ("tracking_rate_limit", "tracking_code_rate_limit"):
            try:
                parse(getattr(self, name))
            except ValueError:
                raise ValueError(f"INTAKE_{name.upper()}: expected e.g. '30/minute'") from None
        if self.document_store == "s3" and not self.s3_bucket:
            raise ValueError("INTAKE_S3_BUCKET is required when INTAKE_DOCUMENT_STORE is s3")
        return self

    def portal_keys(self) -> PortalKeys:
        """The configured portals; the development portal only when nothing is configured in
        development. Anywhere else an empty configuration refuses to start."""
        keys = parse_portal_secrets(self.portal_secrets.get_secret_value())
        if keys:
            return keys
        if self.environment == "development":
            return {DEV_PORTAL[0]: (DEV_PORTAL[1],)}
        raise ValueError(
            "INTAKE_PORTAL_SECRETS is empty: configure each portal as "
            "'<portal id>:<secret>[,<secret>]' (MOT_CUA_ENV=development alone runs without it)"
        )

    def citizen_url(self) -> str:
        return (self.public_url or f"http://127.0.0.1:{self.http_port}").rstrip("/")
