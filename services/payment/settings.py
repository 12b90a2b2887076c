from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from shared.runtime import effects
from shared.runtime.settings import SERVICE_PORTS, ServiceSettings, settings_config


class PaymentSettings(ServiceSettings, effects.EffectSettings):
    """``PAYMENT_MAX_ATTEMPTS``, ``PAYMENT_RECHECK_S`` … govern charges and refunds alike."""

    model_config: SettingsConfigDict = settings_config("payment")  # type: ignore[misc]

    service_name: str = "payment"
    http_port: int = SERVICE_PORTS["payment"]
    gateway_url: str = Field(
        "http://127.0.0.1:8100/payment",
        validation_alias=AliasChoices("PAYMENT_GATEWAY_URL"),
        description="Base URL of the payment gateway (the sandbox in development).",
    )
    gateway_timeout_s: float = 10.0
