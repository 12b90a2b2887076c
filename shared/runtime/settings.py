"""Settings common to every service, read from environment variables only.

Each service subclasses :class:`ServiceSettings` with its own prefix (``INTAKE_``,
``PROCESSING_`` …) for what is its own, while the infrastructure addresses are shared
and unprefixed (``KAFKA_BOOTSTRAP_SERVERS``, ``DATABASE_URL``), so one environment can
configure the whole system. Only a service's composition root instantiates them.

Secrets are :class:`pydantic.SecretStr` (they print as ``**********``, in logs and reprs
alike), and each may come from a file instead, as Docker and Kubernetes mount secrets:
``<NAME>_FILE`` names the file holding ``<NAME>``'s value (``PROCESSING_TOKEN_SECRET_FILE=
/run/secrets/token``), the convention of the official images. The variable itself wins
when both are set; a named file that cannot be read stops the service, naming the variable.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit, urlunsplit

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

SERVICE_PORTS = {
    "intake": 8001,
    "processing": 8002,
    "payment": 8003,
    "postal": 8004,
    "notification": 8005,
    "reporting": 8006,
}


def _shared(name: str) -> AliasChoices:
    return AliasChoices(name)


def _is_secret(field: FieldInfo) -> bool:
    return field.annotation is SecretStr or SecretStr in get_args(field.annotation)


class SecretFilesSource(EnvSettingsSource):
    """The value of a secret field from the file its ``<NAME>_FILE`` variable names, for
    each name the environment source would read it under (prefix and aliases alike)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        key, complex_ = field_name, False
        if not _is_secret(field):
            return None, key, complex_
        for key, env_name, complex_ in self._extract_field_info(field, field_name):
            path = self.env_vars.get(f"{env_name}_file")
            if path:
                try:
                    return Path(path).read_text("utf-8").strip(), key, complex_
                except OSError as error:
                    raise ValueError(f"{env_name.upper()}_FILE: cannot read {path!r} "
                                     f"({type(error).__name__})") from None
        return None, key, complex_

    def _load_env_vars(self) -> dict[str, str | None]:
        return {k.lower(): v for k, v in os.environ.items() if k.upper().endswith("_FILE")}


class ServiceSettings(BaseSettings):
    """Infrastructure settings; every field is documented in README's operator section."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The variables first, then the files their ``_FILE`` variables name."""
        return (init_settings, env_settings, SecretFilesSource(settings_cls), dotenv_settings,
                file_secret_settings)

    service_name: str = "service"

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", validation_alias=_shared("KAFKA_BOOTSTRAP_SERVERS")
    )
    kafka_enable_idempotence: bool = Field(
        False,
        validation_alias=_shared("KAFKA_ENABLE_IDEMPOTENCE"),
        description="Tansu rejects aiokafka's InitProducerId; turn on against Apache Kafka.",
    )
    kafka_session_timeout_ms: int = Field(
        10_000, validation_alias=_shared("KAFKA_SESSION_TIMEOUT_MS"), ge=1_000, le=300_000,
        description="A consumer's session (aiokafka's session_timeout_ms; heartbeats every "
                    "third of it): a member that stops heartbeating leaves its group after "
                    "it. The embedded Tansu also holds every join for half of it, so make "
                    "run uses 6000, Apache Kafka's own minimum (docs/deploy.md).")
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", validation_alias=_shared("KAFKA_SECURITY_PROTOCOL"),
        description="SASL_SSL against the locked-down broker of docker-compose.yml "
                    "(docs/deploy.md); PLAINTEXT for the embedded broker of make run.")
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        "SCRAM-SHA-512", validation_alias=_shared("KAFKA_SASL_MECHANISM"))
    kafka_sasl_username: str = Field(
        "", validation_alias=_shared("KAFKA_SASL_USERNAME"),
        description="The service's principal (deploy/kafka/acls.py), e.g. 'intake'.")
    kafka_sasl_password: SecretStr = Field(
        SecretStr(""), validation_alias=_shared("KAFKA_SASL_PASSWORD"),
        description="Or KAFKA_SASL_PASSWORD_FILE, as compose and Kubernetes mount it.")
    kafka_ssl_cafile: Path | None = Field(
        None, validation_alias=_shared("KAFKA_SSL_CAFILE"),
        description="The CA that signed the broker's certificate; the system's CAs if unset.")
    topic_partitions: int = Field(6, validation_alias=_shared("TOPIC_PARTITIONS"), ge=1)
    topic_replication_factor: int = Field(
        1, validation_alias=_shared("TOPIC_REPLICATION_FACTOR"), ge=1
    )
    database_url: str = Field(
        "postgresql://postgres@127.0.0.1:5432/postgres",
        validation_alias=_shared("DATABASE_URL"),
        description="The PostgreSQL server; each service uses its own database on it.",
    )
    database_name: str | None = Field(
        None, description="Defaults to mot_cua_<service>; set <SERVICE>_DATABASE_NAME to change."
    )
    database_direct_url: str | None = Field(
        None, validation_alias=_shared("DATABASE_DIRECT_URL"),
        description="The same server reached without a pooler, for the few session-scoped "
                    "connections (the outbox relay's lease, the LISTEN connection, the "
                    "migrations): DATABASE_URL when unset (make run).")
    database_pooler: Literal["none", "session", "transaction"] = Field(
        "none", validation_alias=_shared("DATABASE_POOLER"),
        description="What DATABASE_URL goes through. 'transaction' (PgBouncer's transaction "
                    "pooling) turns asyncpg's statement cache off and needs "
                    "DATABASE_DIRECT_URL (docs/deploy.md).")
    db_pool_min: int = 1
    db_pool_max: int = 10
    db_statement_cache_size: int = Field(
        100, validation_alias=_shared("DB_STATEMENT_CACHE_SIZE"), ge=0,
        description="asyncpg's prepared-statement cache per connection; forced to 0 by "
                    "DATABASE_POOLER=transaction, where a connection's statements do not "
                    "follow it from one server connection to the next.")
    db_pool_reset: bool = Field(
        False, validation_alias=_shared("DB_POOL_RESET"),
        description="Run asyncpg's reset query (RESET ALL, UNLISTEN *, advisory unlock) on "
                    "every release of a pooled connection. Off: pooled connections carry "
                    "transaction-scoped work only (session work has connections of its own), "
                    "so there is nothing to reset and each release saves a round trip.")
    kafka_create_topics: bool = Field(
        True, validation_alias=_shared("KAFKA_CREATE_TOPICS"),
        description="Create missing topics at start-up. Off where a provisioning step owns "
                    "topics and the service's principal may not create them (compose, k8s).")

    http_host: str = "127.0.0.1"
    http_port: int = 0

    log_format: Literal["auto", "json", "console"] = Field(
        "auto", validation_alias=_shared("LOG_FORMAT")
    )
    log_level: str = Field("INFO", validation_alias=_shared("LOG_LEVEL"))

    calendar_warning_days: int = Field(
        90, validation_alias=_shared("CALENDAR_WARNING_DAYS"), ge=1, le=731,
        description="Warn when a holiday period this many days ahead has no confirmed "
                    "announcement (shared.reference.calendar).")
    calendar_check_interval_s: float = Field(
        3600.0, validation_alias=_shared("CALENDAR_CHECK_INTERVAL_S"), gt=0,
        description="How often the calendar warning is re-checked; it is logged once a day.")

    consumer_max_attempts: int = Field(
        5, validation_alias=_shared("CONSUMER_MAX_ATTEMPTS"), ge=1,
        description="Attempts of a handler before the message goes to <topic>.dlq.",
    )
    consumer_retry_backoff_s: float = Field(
        0.2, validation_alias=_shared("CONSUMER_RETRY_BACKOFF_S"), ge=0
    )
    consumer_alone_concurrency: int = Field(
        4, ge=1, description="Records of different keys handled (and retried) alone at once, "
        "so that one record's retries do not hold back the others; a key stays in order.")
    consumer_fetch_wait_ms: int = Field(
        500, ge=1, le=10_000,
        description="How long the broker may hold an empty fetch of this service's consumer "
                    "(aiokafka's fetch_max_wait_ms). Lower answers sooner on a broker that "
                    "holds an empty fetch even when records arrive (Tansu), for more idle "
                    "fetches; Apache Kafka answers as soon as records arrive either way.",
    )
    event_topic_retention_ms: int = Field(
        -1, validation_alias=_shared("EVENT_TOPIC_RETENTION_MS"), ge=-1,
        description="Retention of the event topics when a service creates them (-1: every "
                    "event kept, so reporting can rebuild from them; docs/reporting.md).")
    outbox_batch_size: int = Field(500, validation_alias=_shared("OUTBOX_BATCH_SIZE"), ge=1)
    outbox_poll_interval_s: float = Field(
        1.0, validation_alias=_shared("OUTBOX_POLL_INTERVAL_S"), gt=0
    )

    otel_exporter_otlp_endpoint: str | None = Field(
        None, validation_alias=_shared("OTEL_EXPORTER_OTLP_ENDPOINT"),
        description="An OpenTelemetry collector's OTLP/HTTP base URL (http://host:4318): "
                    "spans are exported there. Unset (the default, in `make run` too), "
                    "traces stay in the process: their ids are still in every log line.")
    metrics_interval_s: float = Field(
        5.0, validation_alias=_shared("METRICS_INTERVAL_S"), gt=0,
        description="How often gauges read from the database (outbox backlog and age, "
                    "processing's dossiers per SLA state) are refreshed.")

    @property
    def kafka_security(self) -> dict[str, Any]:
        """The security arguments of every aiokafka client (producer, consumer, admin)."""
        return kafka_security(self.kafka_security_protocol, self.kafka_sasl_mechanism,
                              self.kafka_sasl_username, self.kafka_sasl_password,
                              self.kafka_ssl_cafile)

    @model_validator(mode="after")
    def _direct_url_behind_a_transaction_pooler(self) -> ServiceSettings:
        if self.database_pooler == "transaction" and not self.database_direct_url:
            raise ValueError(
                "DATABASE_POOLER=transaction needs DATABASE_DIRECT_URL: the relay's lease and "
                "the LISTEN connection are session state a transaction pooler does not keep")
        return self

    @property
    def service_database_url(self) -> str:
        """The service's own database on the configured server (through the pooler if any)."""
        return with_database(self.database_url, self.service_database_name)

    @property
    def service_database_direct_url(self) -> str:
        """The service's own database, reached without a pooler: session-scoped work only."""
        return with_database(self.database_direct_url or self.database_url,
                             self.service_database_name)

    @property
    def pool_options(self) -> dict[str, Any]:
        """:func:`shared.runtime.db.create_pool`'s keyword arguments for these settings."""
        cache = 0 if self.database_pooler == "transaction" else self.db_statement_cache_size
        return {"min_size": self.db_pool_min, "max_size": self.db_pool_max,
                "statement_cache_size": cache, "reset": self.db_pool_reset}

    @property
    def service_database_name(self) -> str:
        return self.database_name or f"mot_cua_{self.service_name}"


def kafka_security(protocol: str, mechanism: str = "SCRAM-SHA-512", username: str = "",
                   password: SecretStr | str = "", cafile: Path | str | None = None
                   ) -> dict[str, Any]:
    """aiokafka's keyword arguments for ``protocol``: nothing more for PLAINTEXT; an SSL
    context verifying the broker (against ``cafile`` if given) for SSL and SASL_SSL; the SASL
    login for SASL_*. A SASL protocol without a username is refused here, not at the broker."""
    args: dict[str, Any] = {"security_protocol": protocol}
    if protocol in {"SSL", "SASL_SSL"}:
        from aiokafka.helpers import create_ssl_context

        args["ssl_context"] = create_ssl_context(cafile=str(cafile) if cafile else None)
    if protocol.startswith("SASL_"):
        secret = password.get_secret_value() if isinstance(password, SecretStr) else password
        if not username or not secret:
            raise ValueError(f"KAFKA_SECURITY_PROTOCOL={protocol} needs KAFKA_SASL_USERNAME "
                             "and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE)")
        args |= {"sasl_mechanism": mechanism, "sasl_plain_username": username,
                 "sasl_plain_password": secret}
    return args


def with_database(url: str, database: str) -> str:
    """Return ``url`` pointing at ``database`` on the same server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def settings_config(service: str) -> SettingsConfigDict:
    """The configuration of a service's settings class: ``<SERVICE>_`` prefix."""
    return SettingsConfigDict(
        env_prefix=f"{service.upper()}_", extra="ignore", populate_by_name=True
    )
