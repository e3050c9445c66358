"""Deterministic generator of the seed catalogue (products, renders and evaluation sets)."""

GENERATOR_VERSION = "1.0.0"
SEED = 20240611
