from services.payment.bootstrap import SPEC
from services.payment.settings import PaymentSettings
from shared.runtime.service import run

run(SPEC, PaymentSettings())
