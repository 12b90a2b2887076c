"""Package data: shared/reference/data/catalog (a package so that wheels ship its YAML files)."""
