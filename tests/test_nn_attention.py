"""Attention, embeddings and distances: behaviour, errors, and forward values, input gradients and
state dicts against PyTorch (live where installed, else its recorded answers)."""

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


def _torch_mha(kw, q, k, v, kpm, am):
    """PyTorch's MultiheadAttention (seeded init): its state dict, output, weights, d/dq."""

    def compute(torch):
        torch.manual_seed(0)
        theirs = torch.nn.MultiheadAttention(8, 2, **kw).double()
        sd = {name: t.numpy() for name, t in theirs.state_dict().items()}
        tq = torch.tensor(q, requires_grad=True)
        t_out, t_w = theirs(
            tq,
            torch.tensor(k),
            torch.tensor(v),
            key_padding_mask=torch.tensor(kpm),
            attn_mask=torch.tensor(am),
        )
        (t_out * t_out).sum().backward()
        return sd, t_out.detach().numpy(), t_w.detach().numpy(), tq.grad.numpy()

    return compute


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
def test_multihead_attention_matches_pytorch(kw, torch_answer):
    kd, vd = kw.get("kdim", 8), kw.get("vdim", 8)
    lead = (3, 4) if kw.get("batch_first") else (4, 3)
    src = (3, 5) if kw.get("batch_first") else (5, 3)
    q, k, v = _x(*lead, 8, seed=1), _x(*src, kd, seed=2), _x(*src, vd, seed=3)
    kpm = np.random.default_rng(4).random((3, 5)) > 0.7
    kpm[:, 0] = False
    am = np.triu(np.ones((4, 5), bool), 1)
    sd, t_out, t_w, t_grad = torch_answer(_torch_mha(kw, q, k, v, kpm, am), kw, q, k, v, kpm, am)
    ours = nn.MultiheadAttention(8, 2, **kw).double()
    assert list(ours.state_dict()) == list(sd)
    ours.load_state_dict(sd)
    oq = tg.Tensor(q, requires_grad=True)
    o_out, o_w = ours(
        oq, tg.Tensor(k), tg.Tensor(v), key_padding_mask=tg.Tensor(kpm), attn_mask=tg.Tensor(am)
    )
    np.testing.assert_allclose(o_out.numpy(), t_out, atol=1e-12)
    np.testing.assert_allclose(o_w.numpy(), t_w, atol=1e-12)
    (o_out * o_out).sum().backward()
    np.testing.assert_allclose(oq.grad.numpy(), t_grad, atol=1e-10)


def _lookup_inputs():
    x1, x2 = _x(3, 4, seed=1), _x(1, 4, seed=2)
    q, k, v = _x(2, 3, 4, 8), _x(2, 3, 5, 8, seed=1), _x(2, 3, 5, 6, seed=2)
    m = np.random.default_rng(3).random((4, 5)) > 0.3
    m[:, 0] = True
    return x1, x2, np.array([[1, 0], [3, 2]]), (q, k, v, m), np.array([[0, 2, 5], [2, 2, 1]])


def _lookups(lib, x1, x2, classes, qkvm):
    """cosine_similarity, pairwise_distance, pdist, one_hot and sdpa outputs of `lib`'s F."""
    f, T = (F, tg.Tensor) if lib is tg else (lib.nn.functional, lib.tensor)
    q, k, v, m = (T(a) for a in qkvm)
    outs = [
        f.cosine_similarity(T(x1), T(x2), dim=0),
        f.pairwise_distance(T(x1), T(x2), p=3.0),
        f.pdist(T(x1), p=1.0),
        f.one_hot(T(classes)),
        f.scaled_dot_product_attention(q, k, v, attn_mask=m, scale=0.3),
    ]
    return [o.numpy() for o in outs]


def _torch_lookups(x1, x2, classes, qkvm, idx):
    def compute(torch):
        torch.manual_seed(0)
        te = torch.nn.Embedding(6, 3, max_norm=1.0).double()
        sd = {name: t.numpy().copy() for name, t in te.state_dict().items()}
        out = te(torch.tensor(idx)).detach().numpy()
        return _lookups(torch, x1, x2, classes, qkvm), sd, out, te.weight.detach().numpy()

    return compute


def test_functional_lookups_and_distances_match_pytorch(torch_answer):
    x1, x2, classes, qkvm, idx = _lookup_inputs()
    refs, sd, t_emb, t_weight = torch_answer(
        _torch_lookups(x1, x2, classes, qkvm, idx), x1, x2, classes, qkvm, idx
    )
    for ours, theirs in zip(_lookups(tg, x1, x2, classes, qkvm), refs, strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)
    oe = nn.Embedding(6, 3, max_norm=1.0).double()
    oe.load_state_dict(sd)
    np.testing.assert_allclose(oe(tg.Tensor(idx)).numpy(), t_emb, atol=1e-12)
    np.testing.assert_allclose(oe.weight.numpy(), t_weight, atol=1e-12)
