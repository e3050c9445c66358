import torch

from training.losses import AttributeHeads, LogitScale, info_nce, mask_tokens, triplet_loss
from training.models import DIM, FusionCombiner, ImageCNN, TextGRU, TextTransformer
from training import augment


def _unit(x):
    return torch.allclose(x.norm(dim=1), torch.ones(len(x)), atol=1e-5)


def test_text_towers_shapes_unit_norm_and_padding_invariance():
    torch.manual_seed(0)
    for model in (TextTransformer(100, d=32, ff=64, layers=1), TextGRU(100, d=32, hidden=32)):
        model.eval()
        ids = torch.tensor([[2, 10, 11, 3, 0, 0], [2, 12, 13, 14, 15, 3]])
        mask = (ids != 0).long()
        out = model(ids, mask)
        assert out.shape == (2, DIM) and _unit(out)
        alone = model(ids[:1, :4], mask[:1, :4])
        assert torch.allclose(alone, out[:1], atol=1e-5)


def test_image_tower_and_fusion_shapes_and_norms():
    img = ImageCNN().eval()
    out = img(torch.randn(3, 3, 32, 32))
    assert out.shape == (3, DIM) and _unit(out)
    fus = FusionCombiner().eval()
    a = torch.nn.functional.normalize(torch.randn(4, DIM), dim=1)
    b = torch.nn.functional.normalize(torch.randn(4, DIM), dim=1)
    y = fus(a, b)
    assert y.shape == (4, DIM) and _unit(y)


def test_augment_keeps_shape_range_and_changes_pixels():
    x = torch.full((4, 32, 32, 3), 255, dtype=torch.uint8)
    x[:, 8:24, 8:24] = torch.tensor([200, 30, 40], dtype=torch.uint8)
    y = augment.augment(x, torch.Generator().manual_seed(1))
    assert y.shape == (4, 3, 32, 32)
    assert y.min() >= -1.0001 and y.max() <= 1.0001
    assert not torch.allclose(y, augment.preprocess(x))
    assert torch.allclose(augment.preprocess(x)[0, :, 0, 0], torch.ones(3))


def test_mask_tokens_never_masks_special_or_padding():
    ids = torch.tensor([[2, 10, 11, 12, 3, 0, 0]] * 50)
    mask = (ids != 0).long()
    inp, labels = mask_tokens(ids, mask, mask_id=4, vocab_size=100, n_special=5, prob=0.5,
                              generator=torch.Generator().manual_seed(0))
    assert (labels[:, [0, 4, 5, 6]] == -100).all()
    chosen = labels != -100
    assert chosen.any() and (labels[chosen] == ids[chosen]).all()
    assert (inp[:, [0, 4, 5, 6]] == ids[:, [0, 4, 5, 6]]).all()


def test_info_nce_prefers_aligned_pairs_and_ignores_same_group():
    torch.manual_seed(0)
    a = torch.nn.functional.normalize(torch.randn(8, DIM), dim=1)
    s = LogitScale()()
    aligned = info_nce(a, a, s)
    shuffled = info_nce(a, a.roll(1, 0), s)
    assert aligned < shuffled
    dup = torch.cat([a[:4], a[:4]])
    groups = torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    assert info_nce(dup, dup, s, groups) < info_nce(dup, dup, s)


def test_triplet_loss_zero_when_margin_met_and_positive_otherwise():
    e = torch.eye(DIM)[:4]
    negs = torch.eye(DIM)[4:12].reshape(4, 2, DIM)
    valid = torch.ones(4, 2, dtype=torch.bool)
    assert triplet_loss(e, e, negs, valid, margin=0.2).item() == 0.0
    hard = triplet_loss(e, e, e[:, None, :].expand(4, 2, DIM), valid, margin=0.2).item()
    assert abs(hard - 0.2) < 1e-6
    assert triplet_loss(e, e, e[:, None, :].expand(4, 2, DIM), torch.zeros(4, 2, dtype=torch.bool), margin=0.2).item() == 0.0


def test_mlm_logits_at_chosen_positions_equal_the_full_logits_there():
    torch.manual_seed(0)
    model = TextTransformer(100, d=32, ff=64, layers=1).eval()
    ids = torch.randint(5, 100, (3, 7))
    mask = torch.ones_like(ids)
    chosen = torch.rand(3, 7) < 0.4
    chosen[0, 0] = True
    full = model.mlm_logits(ids, mask)
    assert full.shape == (3, 7, 100)
    assert torch.allclose(model.mlm_logits(ids, mask, chosen), full[chosen], atol=1e-5)


def test_attribute_heads_learn_labels_and_ignore_unknown_rows():
    torch.manual_seed(0)
    heads = AttributeHeads({"category": 3, "color": 4}, DIM)
    emb = torch.nn.functional.normalize(torch.randn(6, DIM), dim=1)
    labels = {"category": torch.tensor([0, 1, 2, 0, 1, 2]), "color": torch.tensor([0, 1, 2, 3, 0, 1])}
    known = {"category": torch.ones(6, dtype=torch.bool), "color": torch.tensor([True, True, True, False, False, False])}
    loss = heads(emb, labels, known)
    other = {"category": labels["category"], "color": torch.tensor([0, 1, 2, 1, 3, 2])}
    assert torch.allclose(loss, heads(emb, other, known))  # rows without a known colour do not count
    assert not torch.allclose(heads(emb, labels), heads(emb, other))
    # embeddings at their class prototypes score lower than embeddings at another class's
    at = {k: torch.nn.functional.normalize(w, dim=1) for k, w in heads.prototypes.items()}
    near = torch.nn.functional.normalize(at["category"][labels["category"]] + at["color"][labels["color"]], dim=1)
    far = torch.nn.functional.normalize(at["category"][(labels["category"] + 1) % 3]
                                        + at["color"][(labels["color"] + 1) % 4], dim=1)
    assert heads(near, labels) < heads(far, labels)


def test_attribute_heads_weight_each_attribute_and_reject_unknown_ones():
    torch.manual_seed(0)
    emb = torch.nn.functional.normalize(torch.randn(6, DIM), dim=1)
    labels = {"category": torch.tensor([0, 1, 2, 0, 1, 2]), "color": torch.tensor([0, 1, 2, 3, 0, 1])}
    plain = AttributeHeads({"category": 3, "color": 4}, DIM)
    heavy = AttributeHeads({"category": 3, "color": 4}, DIM, weights={"category": 3.0})
    heavy.load_state_dict(plain.state_dict())
    only = {k: AttributeHeads({k: n}, DIM) for k, n in (("category", 3), ("color", 4))}
    for k, h in only.items():
        h.prototypes[k].data.copy_(plain.prototypes[k].data)
    cat, col = (only[k](emb, {k: labels[k]}) for k in ("category", "color"))
    assert torch.allclose(plain(emb, labels), (cat + col) / 2)
    assert torch.allclose(heavy(emb, labels), (3 * cat + col) / 2)
    try:
        AttributeHeads({"category": 3}, DIM, weights={"colour": 2.0})
    except ValueError as e:
        assert "colour" in str(e)
    else:
        raise AssertionError("an unknown attribute weight must be refused")


def test_info_nce_takes_a_matrix_of_pairs_that_are_not_negatives():
    torch.manual_seed(0)
    a = torch.nn.functional.normalize(torch.randn(6, DIM), dim=1)
    s = LogitScale()()
    groups = torch.tensor([0, 1, 0, 2, 1, 3])
    assert torch.allclose(info_nce(a, a.flip(0), s, groups), info_nce(a, a.flip(0), s, groups[:, None] == groups[None, :]))
    none = torch.eye(6, dtype=torch.bool)
    assert torch.allclose(info_nce(a, a.flip(0), s, none), info_nce(a, a.flip(0), s))
