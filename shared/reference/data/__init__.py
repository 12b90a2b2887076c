"""Package data: shared/data (a package so that wheels ship its YAML files)."""
