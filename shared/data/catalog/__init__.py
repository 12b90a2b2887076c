"""Package data: shared/data/catalog (a package so that wheels ship its YAML files)."""
