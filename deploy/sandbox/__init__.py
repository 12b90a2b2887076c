"""Development sandboxes of the gateways Một Cửa talks to: VNPay, carrier, SMS.

They speak the same HTTP contract as the adapters in the services expect from a real
provider and keep what they receive in memory. The VNPay sandbox shows a bank page on which
the citizen chooses what happens (see :mod:`deploy.sandbox.vnpay`); the carrier delivers. A
test can script the carrier's and SMS gateway's answers for one reference (pending, failed,
an error, a timeout): see :mod:`deploy.sandbox.script` and each sandbox's docstring. Never
deploy them to production.
"""
