"""Development sandboxes of the gateways Một Cửa talks to: payment, carrier, SMS.

They speak the same HTTP contract as the adapters in the services expect from a real
provider, keep what they receive in memory, and answer at once: the payment gateway pays,
the carrier delivers. Never deploy them to production.
"""
