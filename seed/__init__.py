"""Seed catalogue and evaluation sets derived from Fashion-MNIST."""
