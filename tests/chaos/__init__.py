"""Chaos runs: dossiers flow through the whole stack under ``make run`` while parts of it are
killed with SIGKILL; then every dossier must be final and no side effect repeated."""
