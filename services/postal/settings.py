from __future__ import annotations

from typing import Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.runtime import effects
from shared.runtime.settings import SERVICE_PORTS, ServiceSettings, settings_config

# The development carrier's credentials and webhook token (the sandbox's); never production.
DEV_CARRIER = ("motcua-dev-ghn-token", "885")
DEV_WEBHOOK_TOKEN = "dev-ghn-hook-7c1f0e9a3b6d4f2e8a5c"  # noqa: S105 (the sandbox's, public)


class PostalSettings(ServiceSettings, effects.EffectSettings):
    """``POSTAL_MAX_ATTEMPTS``, ``POSTAL_RECHECK_S`` … govern the shipments and requests."""

    model_config: SettingsConfigDict = settings_config("postal")  # type: ignore[misc]

    service_name: str = "postal"
    http_port: int = SERVICE_PORTS["postal"]
    environment: str = Field(
        "production", validation_alias=AliasChoices("MOT_CUA_ENV", "environment"),
        description="'development' (make run) uses the sandbox carrier's credentials.")
    carrier_url: str = Field(
        "http://127.0.0.1:8100/carrier/shiip/public-api",
        validation_alias=AliasChoices("CARRIER_API_URL"),
        description="Base URL of the carrier's GHN v2 API (the sandbox in development, "
                    "https://online-gateway.ghn.vn/shiip/public-api in production).")
    carrier_name: str = Field("GHN", description="The carrier's name in events and the path "
                                                 "of its webhook (lower-cased).")
    carrier_token: SecretStr | None = Field(None, description="GHN's shop Token header.")
    carrier_shop_id: str | None = Field(None, description="GHN's ShopId header.")
    carrier_timeout_s: float = 10.0
    webhook_token: SecretStr | None = Field(
        None, description="The secret path segment of the carrier's webhook URL "
                          "(<public url>/v1/carriers/<carrier>/webhooks/<token>): GHN does "
                          "not sign its webhooks, so the URL is the secret. At least 24 "
                          "characters; rotate by changing it here and at the carrier.")
    poll_after_s: float = Field(
        6 * 3600, gt=0, description="A shipment with no update for this long is asked "
                                    "about at the carrier's detail endpoint.")
    poll_every_s: float = Field(60, gt=0, description="How often the poll looks.")

    @model_validator(mode="after")
    def _carrier_configured(self) -> Self:
        self.carrier_credentials()
        if len(self.hook_token()) < 24:
            raise ValueError("POSTAL_WEBHOOK_TOKEN must have at least 24 characters")
        return self

    def carrier_credentials(self) -> tuple[str, str]:
        if self.carrier_token and self.carrier_shop_id:
            return self.carrier_token.get_secret_value(), self.carrier_shop_id
        if self.environment == "development":
            return DEV_CARRIER
        raise ValueError("POSTAL_CARRIER_TOKEN and POSTAL_CARRIER_SHOP_ID are required "
                         "(MOT_CUA_ENV=development alone uses the sandbox's)")

    def hook_token(self) -> str:
        if self.webhook_token:
            return self.webhook_token.get_secret_value()
        if self.environment == "development":
            return DEV_WEBHOOK_TOKEN
        raise ValueError("POSTAL_WEBHOOK_TOKEN is required (MOT_CUA_ENV=development alone "
                         "uses the sandbox's)")
