"""Package data: shared/data/calendar (a package so that wheels ship its YAML files)."""
