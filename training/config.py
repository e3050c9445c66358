"""Hyper-parameters of the training pipeline, per profile."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Config:
    profile: str = "full"
    seed: int = 1234
    size: int = 32
    max_length: int = 32
    vocab_size: int = 3000
    # text transformer
    d_model: int = 128
    layers: int = 2
    heads: int = 4
    ff: int = 256
    dropout: float = 0.0  # dropout's random masks cost a fifth of a CPU step; the corpus is large enough without
    # stage (b): masked-language-model pre-training
    mlm_epochs: int = 1
    mlm_batch: int = 256
    mlm_lr: float = 1e-3
    mlm_samples: int = 80000  # texts per MLM epoch (0: the whole corpus)
    tokenizer_samples: int = 150000
    # stage (c): contrastive alignment of text and image towers
    clip_epochs: int = 7
    clip_batch: int = 256
    clip_lr: float = 2e-3
    image_width: int = 32  # channels of the first convolutions (the CNN is 1x-1x-2x-2x-4x-4x this)
    augment_strength: float = 0.5  # scales the probability of each photo-style augmentation
    # in-batch products that have every attribute a text names are not its negatives
    attribute_negatives: bool = True
    instance_weight: float = 0.5
    # instance loss between a photo-style view and: "clean", its clean render embedded without
    # gradient (one backward pass per image); "view", a second photo-style view (two)
    instance_target: str = "view"
    attribute_weight: float = 1.0  # auxiliary attribute classifiers on the image embedding
    # per attribute (default 1.0): category is the attribute the image tower confuses most
    attribute_loss_weights: dict = field(default_factory=lambda: {"category": 3.0})
    text_attribute_weight: float = 1.0  # the same classifiers on the text embedding (attributes it names)
    # stage (d): triplet fine-tuning of the query side against frozen gallery embeddings
    triplet_epochs: int = 2
    triplet_batch: int = 256
    triplet_lr: float = 3e-4
    triplet_margin: float = 0.2
    triplet_negatives: int = 8
    triplet_hard_negatives: int = 4  # same colour, other category, for product-text anchors
    triplet_max_examples: int = 60000  # click-log and query examples kept (0: all)
    # GRU baseline (aligned to the frozen gallery, then the same triplet fine-tuning)
    gru_epochs: int = 3
    gru_triplet_epochs: int = 1
    gru_hidden: int = 192
    gru_lr: float = 2e-3
    # fusion network (composed queries), towers frozen
    fusion_epochs: int = 2
    fusion_batch: int = 512
    fusion_lr: float = 1e-3
    fusion_samples: int = 200000  # triplets drawn per epoch (0: all)
    # data loading
    workers: int = 0
    max_styles: int = 0  # 0: every train style
    time_budget: float = 0.0  # seconds for the whole run (0: no limit)
    time_reserve: float = 120.0  # kept for validation (25,000 validation products, about a minute) and export
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def for_profile(profile: str) -> Config:
    if profile == "full":
        return Config(profile="full")
    if profile == "smoke":
        return Config(profile="smoke", vocab_size=800, d_model=64, ff=128, layers=1, gru_hidden=48,
                      mlm_epochs=1, clip_epochs=1, triplet_epochs=1, gru_epochs=1, gru_triplet_epochs=1,
                      fusion_epochs=1, mlm_samples=256, triplet_max_examples=192, fusion_samples=0,
                      clip_batch=64, mlm_batch=64, triplet_batch=64, fusion_batch=64)
    raise ValueError(f"unknown training profile {profile!r}: use 'full' or 'smoke'")
