"""Attention, embeddings and distances: behaviour, errors and (where PyTorch is installed)
forward values, input gradients and state dicts against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import nn


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def test_sdpa_causal_mask_hides_later_keys():
    q = k = tg.Tensor(_x(1, 3, 4))
    v = tg.Tensor(np.eye(3)[None])
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True).numpy()[0]
    assert out[0].tolist() == [1.0, 0.0, 0.0]  # the first query sees only the first key
    assert np.all(np.triu(out, 1) == 0)


def test_sdpa_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention: query \(2, 3\)"):
        F.scaled_dot_product_attention(tg.ones(2, 3), tg.ones(2, 4), tg.ones(2, 4))
    with pytest.raises(ValueError, match="attn_mask of shape"):
        F.scaled_dot_product_attention(tg.ones(2, 3), tg.ones(4, 3), tg.ones(4, 1), tg.ones(3, 3))


def test_multihead_attention_state_dict_and_shapes():
    mha = nn.MultiheadAttention(8, 2, kdim=4, vdim=6, batch_first=True)
    assert list(mha.state_dict()) == [
        "q_proj_weight",
        "k_proj_weight",
        "v_proj_weight",
        "in_proj_bias",
        "out_proj.weight",
        "out_proj.bias",
    ]
    out, w = mha(tg.ones(2, 5, 8), tg.ones(2, 7, 4), tg.ones(2, 7, 6), need_weights=True)
    assert out.shape == (2, 5, 8) and w.shape == (2, 5, 7)
    _, w = mha(tg.ones(2, 5, 8), tg.ones(2, 7, 4), tg.ones(2, 7, 6), need_weights=False)
    assert w is None
    with pytest.raises(ValueError, match="embed_dim \\(6\\) must be a positive multiple"):
        nn.MultiheadAttention(6, 4)
    with pytest.raises(ValueError, match="do not fit embed_dim=8"):
        mha(tg.ones(2, 5, 7), tg.ones(2, 7, 4), tg.ones(2, 7, 6))


def test_a_transformer_block_trains_next_to_a_cnn():
    tg.manual_seed(0)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 8, 3, padding=1)
            self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
            self.norm = nn.LayerNorm(8)
            self.head = nn.Linear(8, 2)

        def forward(self, x):
            tokens = self.conv(x).flatten(2).transpose(1, 2)  # (N, H*W, C)
            mixed, _ = self.attn(tokens, tokens, tokens)
            return self.head(self.norm(tokens + mixed).mean(1))

    model = Block()
    x = tg.Tensor(_x(8, 1, 4, 4), dtype="float32")
    y = tg.Tensor(np.arange(8) % 2)
    opt = tg.optim.Adam(model.parameters(), lr=0.01)
    first = None
    for _ in range(20):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < first
    assert all(p.grad is not None for p in model.parameters())


def test_embedding_padding_row_gets_no_gradient_and_one_hot_checks():
    emb = nn.Embedding(4, 2, padding_idx=1)
    emb(tg.Tensor([[1, 2, 1]])).sum().backward()
    assert emb.weight.grad[1].tolist() == [0.0, 0.0]
    assert emb.weight.grad[2].tolist() == [1.0, 1.0]
    with pytest.raises(IndexError, match="embedding: index out of range"):
        emb(tg.Tensor([4]))
    with pytest.raises(TypeError, match="embedding: input must hold integers"):
        emb(tg.Tensor([1.0]))
    with pytest.raises(ValueError, match="one_hot: class values must be smaller than num_classes"):
        F.one_hot(tg.Tensor([3]), 3)


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed: live comparison skipped")


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"batch_first": True},
        {"kdim": 5, "vdim": 3},
        {"add_bias_kv": True, "add_zero_attn": True},
        {"bias": False},
    ],
)
def test_multihead_attention_matches_pytorch(kw):
    torch = _torch()
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(8, 2, **kw).double()
    ours = nn.MultiheadAttention(8, 2, **kw).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    kd, vd = kw.get("kdim", 8), kw.get("vdim", 8)
    lead = (3, 4) if kw.get("batch_first") else (4, 3)
    src = (3, 5) if kw.get("batch_first") else (5, 3)
    q, k, v = _x(*lead, 8, seed=1), _x(*src, kd, seed=2), _x(*src, vd, seed=3)
    kpm = np.random.default_rng(4).random((3, 5)) > 0.7
    kpm[:, 0] = False
    am = np.triu(np.ones((4, 5), bool), 1)
    tq = torch.tensor(q, requires_grad=True)
    oq = tg.Tensor(q, requires_grad=True)
    t_out, t_w = theirs(
        tq,
        torch.tensor(k),
        torch.tensor(v),
        key_padding_mask=torch.tensor(kpm),
        attn_mask=torch.tensor(am),
    )
    o_out, o_w = ours(
        oq, tg.Tensor(k), tg.Tensor(v), key_padding_mask=tg.Tensor(kpm), attn_mask=tg.Tensor(am)
    )
    np.testing.assert_allclose(o_out.numpy(), t_out.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(o_w.numpy(), t_w.detach().numpy(), atol=1e-12)
    (t_out * t_out).sum().backward()
    (o_out * o_out).sum().backward()
    np.testing.assert_allclose(oq.grad.numpy(), tq.grad.numpy(), atol=1e-10)


def test_functional_lookups_and_distances_match_pytorch():
    torch = _torch()
    tf = torch.nn.functional
    x1, x2 = _x(3, 4, seed=1), _x(1, 4, seed=2)
    T, TT = tg.Tensor, torch.tensor
    pairs = [
        (F.cosine_similarity(T(x1), T(x2), dim=0), tf.cosine_similarity(TT(x1), TT(x2), dim=0)),
        (F.pairwise_distance(T(x1), T(x2), p=3.0), tf.pairwise_distance(TT(x1), TT(x2), p=3.0)),
        (F.pdist(T(x1), p=1.0), tf.pdist(TT(x1), p=1.0)),
        (F.one_hot(T(np.array([[1, 0], [3, 2]]))), tf.one_hot(TT(np.array([[1, 0], [3, 2]])))),
    ]
    q, k, v = _x(2, 3, 4, 8), _x(2, 3, 5, 8, seed=1), _x(2, 3, 5, 6, seed=2)
    m = np.random.default_rng(3).random((4, 5)) > 0.3
    m[:, 0] = True
    pairs.append(
        (
            F.scaled_dot_product_attention(T(q), T(k), T(v), attn_mask=T(m), scale=0.3),
            tf.scaled_dot_product_attention(TT(q), TT(k), TT(v), attn_mask=TT(m), scale=0.3),
        )
    )
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-12)
    idx = np.array([[0, 2, 5], [2, 2, 1]])
    te = torch.nn.Embedding(6, 3, max_norm=1.0).double()
    oe = nn.Embedding(6, 3, max_norm=1.0).double()
    oe.load_state_dict({k: v.numpy() for k, v in te.state_dict().items()})
    np.testing.assert_allclose(oe(T(idx)).numpy(), te(TT(idx)).detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(oe.weight.numpy(), te.weight.detach().numpy(), atol=1e-12)
