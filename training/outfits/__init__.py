"""Outfit compatibility: per-item attribute features, a set model scoring whole outfits, and its
semi-supervised training (labelled outfits, then self-training on the unlabelled pool)."""
