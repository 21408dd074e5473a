"""nn.Embedding (a lookup table of trainable rows) and the distance Modules CosineSimilarity
and PairwiseDistance, with PyTorch's arguments, initialisation and state-dict keys.

>>> import tinygrad_cnn as tg
>>> emb = tg.nn.Embedding(10, 3, padding_idx=0)
>>> emb(tg.Tensor([[0, 4]])).shape, emb.weight[0].tolist()
((1, 2, 3), [0.0, 0.0, 0.0])
"""

from __future__ import annotations

from typing import Any

from .. import creation
from ..autograd import no_grad
from ..tensor import Tensor
from . import functional_embed as FE
from . import init
from .module import Module, Parameter


class Embedding(Module):
    """``weight`` (num_embeddings, embedding_dim) ~ N(0, 1); the ``padding_idx`` row starts at
    zero and gets no gradient; ``max_norm`` renormalizes looked-up rows in place.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Embedding(5, 2)
    Embedding(5, 2)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Any = None,
        _freeze: bool = False,
    ) -> None:
        super().__init__()
        for name, v in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"Embedding: {name} must be a positive int, got {v!r}")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx {padding_idx} must be within num_embeddings "
                    f"{num_embeddings}"
                )
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            self.weight = Parameter(creation.zeros(num_embeddings, embedding_dim))
            self.reset_parameters()
        else:
            self.weight = Parameter(Tensor(_weight))
        self.weight.requires_grad_(not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight.data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(
        cls, embeddings: Tensor, freeze: bool = True, padding_idx: int | None = None, **kw: Any
    ) -> Embedding:
        """An Embedding whose weight is ``embeddings`` (frozen by default)."""
        rows, dim = embeddings.shape
        return cls(rows, dim, padding_idx, _weight=embeddings.numpy(), _freeze=freeze, **kw)

    def forward(self, input: Tensor) -> Tensor:
        return FE.embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        return s


class CosineSimilarity(Module):
    """Cosine similarity of two inputs along ``dim``.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.CosineSimilarity(dim=1)(tg.ones(2, 3), tg.ones(2, 3)).tolist()
    [1.0, 1.0]
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return FE.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """p-norm of x1 - x2 + eps over the last dim.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.PairwiseDistance(eps=0.0)(tg.zeros(1, 2), tg.Tensor([[3.0, 4.0]])).tolist()
    [5.0]
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return FE.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
