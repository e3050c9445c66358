import numpy as np
import torch

from training.metrics import mean_r10_r50, precision_at, recall_at, top_k


def test_top_k_ranks_by_dot_product_in_chunks_and_leaves_out_the_excluded_row():
    gallery = torch.eye(4)
    queries = torch.tensor([[1.0, 0.5, 0.2, 0.0], [0.0, 0.1, 0.9, 1.0], [0.3, 0.2, 0.1, 0.0]])
    assert top_k(queries, gallery, 2, chunk=2).tolist() == [[0, 1], [3, 2], [0, 1]]
    assert top_k(queries, gallery, 2, exclude=torch.tensor([0, -1, 1]), chunk=1).tolist() == [[1, 2], [3, 2], [0, 2]]
    assert top_k(queries, gallery, 10).shape == (3, 4)


def test_precision_and_recall_follow_the_typescript_definitions():
    top = np.array([[0, 1, 2, 3], [4, 5, 6, 7]])
    rel = [{0, 2, 9}, {7}]
    assert precision_at(top, rel, 4) == (2 / 4 + 1 / 4) / 2
    assert recall_at(top, rel, 2) == (1 / 3 + 0) / 2
    assert recall_at(top, rel, 4) == (2 / 3 + 1) / 2
    assert np.isnan(recall_at(top[:0], [], 4))
    ranked = np.arange(60)[None, :]
    assert mean_r10_r50(ranked, [{5, 30}]) == 50.0 * (0.5 + 1.0)
