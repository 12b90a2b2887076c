"""Payment's use cases: ``events`` (what the dossier's events do to its fee), ``citizen``
(the link that starts an attempt, the return page), ``ipn`` (the gateway's word), and
``settling`` (what that word writes, for the IPN and the querydr checks alike)."""
