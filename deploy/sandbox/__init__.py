"""Development sandboxes of the gateways Một Cửa talks to: payment, carrier, SMS.

They speak the same HTTP contract as the adapters in the services expect from a real
provider, keep what they receive in memory, and answer at once: the payment gateway pays,
the carrier delivers. A test can script other answers for one reference (pending, failed,
an error, a timeout): see :mod:`deploy.sandbox.script` and each sandbox's docstring. Never
deploy them to production.
"""
