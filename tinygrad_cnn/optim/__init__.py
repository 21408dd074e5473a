"""Optimizers (SGD, Adam, AdamW, RMSprop) and ``lr_scheduler``, following PyTorch's update rules.

>>> import tinygrad_cnn as tg
>>> model = tg.nn.Linear(3, 1)
>>> opt = tg.optim.Adam(model.parameters(), lr=1e-3)
>>> len(opt.param_groups[0]["params"])
2
"""

from . import lr_scheduler
from .optimizer import Optimizer
from .optimizers import SGD, Adam, AdamW, RMSprop

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]
