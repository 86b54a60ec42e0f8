"""Curation: raw sources -> raw snapshot -> clean -> dedup -> tuples -> dataset folder -> Hub."""
