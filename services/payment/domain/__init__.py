"""Payment's rules, no I/O: ``fees`` (one fee per dossier, and whether it goes back when the
dossier ends), ``orders`` (the citizen's attempts to pay it and what the gateway's word does),
``codes`` (the gateway's answers, in English for operators and Vietnamese for citizens)."""
