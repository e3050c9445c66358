import torch

from training.train import described


def test_a_text_describes_the_products_that_have_every_attribute_it_names():
    labels = {"category": torch.tensor([0, 0, 0, 1]), "color": torch.tensor([5, 5, 6, 5]),
              "colorFamily": torch.tensor([2, 2, 2, 2])}
    groups = torch.tensor([0, 1, 2, 3])  # four different texts
    stating = [("category", "color"), ("category",), ("category", "colorFamily"), ("category", "color")]
    got = described(groups, stating, labels)
    want = torch.tensor([
        [1, 1, 0, 0],  # "red shirt": products 0 and 1 are red shirts
        [1, 1, 1, 0],  # "shirt": every shirt
        [1, 1, 1, 0],  # "reddish shirt": every shirt of the family
        [0, 0, 0, 1],  # "red coat": only itself
    ], dtype=torch.bool)
    assert torch.equal(got, want)
    # identical texts stay non-negatives of each other whatever they name
    same_text = described(torch.tensor([0, 1, 2, 0]), stating, labels)
    assert same_text[0, 3] and same_text[3, 0]


def test_stated_values_decide_for_query_anchors_and_an_empty_statement_describes_nothing():
    labels = {"category": torch.tensor([0, 0, 1]), "color": torch.tensor([5, 6, 5])}
    named = {"category": torch.tensor([0, -1, 0]), "color": torch.tensor([6, -1, -1])}
    stating = [("category", "color"), (), ("category",)]
    got = described(torch.tensor([0, 1, 2]), stating, labels, named)
    want = torch.tensor([  # the diagonal is always true: a text is identical to itself
        [1, 1, 0],  # states a category-0 product in colour 6: product 1, not product 0
        [0, 1, 0],  # states nothing checkable: only its own row
        [1, 1, 1],  # states category 0: products 0 and 1
    ], dtype=torch.bool)
    assert torch.equal(got, want)
