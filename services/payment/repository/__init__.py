"""Payment's SQL, as named queries: ``fees`` (the procedure of each dossier, its fee and the
fee's refund), ``orders`` (the attempts to pay it, their querydr checks)."""
