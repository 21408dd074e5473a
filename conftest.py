"""Names every doctest can use without importing: np, tg, F (tinygrad_cnn.nn.functional), nn."""

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    doctest_namespace.update(np=np, tg=tg, F=F, nn=nn)
    tg.manual_seed(0)


# tests/data holds committed fixtures and the scripts that made them (one needs PyTorch): not tests
collect_ignore = ["tests/data"]
