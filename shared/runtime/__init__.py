"""The runtime platform every service runs on: settings, logging, the database and its
migrations, the broker, consumers, the unit of work with its outbox and inbox, the relay, the
side-effect loop, and the service skeleton that assembles them."""
