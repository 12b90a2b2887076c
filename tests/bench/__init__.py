"""The national-day benchmark: ``python -m tests.bench --dossiers N`` (``make bench``)."""
