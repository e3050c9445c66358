"""Deterministic generator of the seed catalogue (products, renders and evaluation sets)."""

GENERATOR_VERSION = "2.0.0"
SEED = 20240611
