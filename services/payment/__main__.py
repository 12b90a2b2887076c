import sys

from services.payment.bootstrap import SPEC
from services.payment.settings import PaymentSettings
from shared.runtime.service import run

if sys.argv[1:2] == ["reconcile"]:
    from services.payment.reconcile_cli import main

    sys.exit(main(sys.argv[2:], sys.stdout))
if sys.argv[1:2] == ["cancel-receipt"]:
    from services.payment.receipt_cli import main as cancel

    sys.exit(cancel(sys.argv[2:], sys.stdout))
run(SPEC, PaymentSettings())
