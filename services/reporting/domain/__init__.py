"""Reporting's rules, no I/O: a dossier's facts folded from its events (``facts``), the
indicators over them (``indicators``, formulas as data in ``indicators_766.yaml``), the periods
they are counted in (``periods``) and the what-if re-run of timelines (``whatif``)."""
