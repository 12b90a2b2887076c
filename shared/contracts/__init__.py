"""The published contracts: events and their envelope, topics, dossier statuses, and the
literal types every service shares. The AsyncAPI document is generated from here."""
