from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from shared.settings import SERVICE_PORTS, ServiceSettings, settings_config


class IntakeSettings(ServiceSettings):
    model_config: SettingsConfigDict = settings_config("intake")  # type: ignore[misc]

    service_name: str = "intake"
    http_port: int = SERVICE_PORTS["intake"]
    document_dir: Path = Path("var/documents")
    max_document_bytes: int = 10 * 1024 * 1024
    max_dossier_bytes: int = 50 * 1024 * 1024
