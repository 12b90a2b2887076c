"""Processing's domain: the case and its rules, without I/O.

- ``case.py``: :class:`Case`, every transition a method of it, built from ``state.py`` (what
  it holds), ``officer_actions.py`` (what officers do) and ``reactions.py`` (what happens by
  itself); ``trail.py``: its audit entries; ``result_file.py``: an approval's document.
- ``rules.py``: who may do what, when (the workflow table); ``clock.py``: the SLA clock;
  ``work_items.py``: what a department's topic is told; ``errors.py``: every domain error.

A new officer action touches four places and nothing else: its rule in ``rules.py`` (a
member of ``Action`` and a line of ``RULES``), its transition in ``officer_actions.py``, its
request model in ``services/processing/schemas.py`` (one more member of ``OfficerCommand``),
and its line in ``OFFICER_ACTIONS`` (``services/processing/handlers/officer_actions.py``),
which calls the transition with the request's fields.
"""
