"""The portal SDK: how a portal signs its requests and records, and a client that does it."""
