"""The named tuples that ops with two results return, gathered as PyTorch's ``torch.return_types``.

>>> import tinygrad_cnn as tg
>>> r = tg.Tensor([[3.0, 1.0, 2.0]]).sort(dim=1)
>>> isinstance(r, tg.return_types.sort), r.indices.tolist()
(True, [[1, 2, 0]])
"""

from __future__ import annotations

from ._tensor_linalg import slogdet_result as slogdet
from ._tensor_order import cummax_result as cummax
from ._tensor_order import cummin_result as cummin
from ._tensor_order import kthvalue_result as kthvalue
from ._tensor_order import median_result as median
from ._tensor_order import mode_result as mode
from ._tensor_order import sort_result as sort
from ._tensor_order import topk_result as topk
from ._tensor_reduce import aminmax_result as aminmax
from ._tensor_reduce import return_types as _reductions

max = _reductions.max  # noqa: A001 (PyTorch's name)
min = _reductions.min  # noqa: A001

__all__ = [
    "aminmax",
    "cummax",
    "cummin",
    "kthvalue",
    "max",
    "median",
    "min",
    "mode",
    "slogdet",
    "sort",
    "topk",
]
