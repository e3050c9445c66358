"""The augmentations stay disjoint from the held-out real-shot family (seed.generator.realshot)."""
import torch

from seed.generator import realshot
from training import augment


def brute_skin_distance(rgb: torch.Tensor) -> torch.Tensor:
    """Distance (0..255) from colours [N,3] to a dense sample of the skin region: every segment
    between neighbouring SKIN_TONES at 101 points, each scaled by 26 factors over SKIN_SHADE.
    Never below the exact distance, and above it by at most half a sample cell's diagonal (the
    cells are under 1.2 x 4.4 apart: under 2.5)."""
    tones = torch.tensor(realshot.SKIN_TONES, dtype=torch.float64)
    t = torch.linspace(0, 1, 101, dtype=torch.float64)[:, None, None]
    line = (tones[:-1] + t * (tones[1:] - tones[:-1])).reshape(-1, 3)
    s = torch.linspace(*augment.SKIN_SHADE, 26, dtype=torch.float64)[:, None, None]
    region = (s * line).reshape(-1, 3)
    return torch.cat([torch.cdist(c, region).min(dim=1).values for c in rgb.to(torch.float64).split(500)])


def test_skin_distance_is_exact_against_a_dense_sample_of_the_skin_region():
    g = torch.Generator().manual_seed(4)
    colours = torch.cat([torch.rand(1000, 3, generator=g, dtype=torch.float64) * 255,
                         torch.tensor(realshot.SKIN_TONES, dtype=torch.float64) * 0.9 + 6.0])
    exact, brute = augment.skin_distance(colours), brute_skin_distance(colours)
    assert bool((exact <= brute + 1e-6).all())
    assert float((brute - exact).max()) < 2.5
    # the skin colours the held-out occluders are drawn from are at distance zero
    r = __import__("random").Random(0)
    skins = torch.tensor([realshot.skin_tone(r) for _ in range(200)], dtype=torch.float64)
    assert float(augment.skin_distance(skins).max()) < 1.0
    assert float(augment.skin_distance(skins * augment.SKIN_SHADE[0]).max()) < 1.0


def test_occluder_colours_never_fall_near_the_skin_tones():
    g = torch.Generator().manual_seed(0)
    colours = augment.occluder_colours(3000, torch.device("cpu"), g).view(-1, 3) * 255
    assert float(brute_skin_distance(colours).min()) >= augment.SKIN_MARGIN
    # the rule is not vacuous: uniform colours, as the occluders had before, are often near skin
    uniform = torch.rand(3000, 3, generator=g) * 255
    assert float((brute_skin_distance(uniform) < augment.SKIN_MARGIN).double().mean()) > 0.05
    # colours still cover the cube: every channel reaches both ends
    assert float(colours.min()) < 10 and float(colours.max()) > 245
    fallback = torch.tensor(augment.SAFE_OCCLUDER_COLOURS, dtype=torch.float64)
    assert float(brute_skin_distance(fallback).min()) >= augment.SKIN_MARGIN


def test_augment_draws_its_occluder_colour_from_occluder_colours(monkeypatch):
    calls = []

    def green(b, dev, g=None):
        calls.append(b)
        return torch.tensor([0.0, 1.0, 0.0], device=dev).view(1, 3, 1, 1).expand(b, 3, 1, 1)

    monkeypatch.setattr(augment, "occluder_colours", green)
    x = torch.full((6, 32, 32, 3), 255, dtype=torch.uint8)
    x[:, 6:26, 6:26] = torch.tensor([200, 30, 40], dtype=torch.uint8)
    # strength 1/0.15 makes every step certain, the occluder included
    y = augment.augment(x, torch.Generator().manual_seed(3), strength=1 / 0.15) * augment.STD + augment.MEAN
    assert calls == [6]
    greenish = (y[:, 1] > 0.75) & (y[:, 0] < 0.25) & (y[:, 2] < 0.25)
    assert bool(greenish.flatten(1).any(dim=1).all())


def test_declared_augmentation_families_share_nothing_with_the_held_out_family():
    assert augment.HELDOUT_FAMILY is realshot.HELDOUT_FAMILY
    assert set(augment.AUGMENTATION_FAMILY).isdisjoint(realshot.HELDOUT_FAMILY)
    assert set(realshot.HELDOUT_FAMILY) >= {"perspective", "shading", "motion-blur", "occlusion", "jpeg"}
    assert len(set(augment.AUGMENTATION_FAMILY)) == len(augment.AUGMENTATION_FAMILY) == 7
