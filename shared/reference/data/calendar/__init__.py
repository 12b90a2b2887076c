"""Package data: shared/reference/data/calendar (a package so that wheels ship its YAML files)."""
