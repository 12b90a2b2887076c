"""The knobs of a service's side effects, the same in every service that has any, under the
service's prefix (``PAYMENT_MAX_ATTEMPTS``, ``POSTAL_RECHECK_S`` …)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings

from shared.runtime.effects.declaration import Retry


class EffectSettings(BaseSettings):
    """Mixed into a service's settings: ``class PaymentSettings(ServiceSettings,
    EffectSettings)``."""

    max_attempts: int = Field(10, ge=1, description="Failed attempts before an effect is "
                                                    "given up (its failure event sent).")
    backoff_s: float = Field(2.0, gt=0, description="Wait after the first failed attempt; "
                                                    "doubles with each one.")
    backoff_cap_s: float = Field(300.0, gt=0, description="The longest wait between attempts.")
    recheck_s: float = Field(60.0, gt=0, description="How soon to ask again about what the "
                                                     "provider said is pending.")
    pending_limit_s: float = Field(86_400.0, gt=0, description="How long an effect may stay "
                                                               "pending before it is given up.")

    def retry(self) -> Retry:
        return Retry(max_attempts=self.max_attempts, backoff_s=self.backoff_s,
                     backoff_cap_s=self.backoff_cap_s, recheck_s=self.recheck_s,
                     pending_limit=timedelta(seconds=self.pending_limit_s))
