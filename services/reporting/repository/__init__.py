"""Reporting's SQL: the builds and the pointer to the current one (``builds``), and a
build's events and dossier facts (``facts``). Schema names are made here only, from
:func:`builds.new_schema_name`, and checked against a pattern before any SQL uses them."""
