"""summary(): the text table, and the HTML/Markdown tables notebooks show."""

from __future__ import annotations

import tinygrad_cnn as tg
from tinygrad_cnn import models, nn


def test_summary_counts_params_and_flops_of_nd_layers():
    model = nn.Sequential(nn.Conv1d(2, 4, 3), nn.ReLU(), nn.MaxPool1d(2), nn.Flatten())
    s = tg.summary(model, (2, 10))
    assert s.total_params == 4 * 2 * 3 + 4
    conv_flops = 2 * (4 * 8) * 2 * 3 + 4 * 8
    assert s.flops == conv_flops + 4 * 8 + 4 * 4 * 2
    assert [r["type"] for r in s.rows] == ["Conv1d", "ReLU", "MaxPool1d", "Flatten"]


def test_summary_shows_as_tables_in_notebooks():
    s = tg.summary(models.LeNet5(), (1, 28, 28))
    md = s._repr_markdown_()
    assert md.startswith("| Layer | Type | Output shape | Params |")
    assert "| conv1 | Conv2d | (N, 6, 24, 24) | 156 |" in md
    assert "- **Total params:** 44,426" in md
    html = s._repr_html_()
    assert html.count("<tr>") == len(s.rows) + 1 and "<td>conv1</td>" in html
    assert "Total params: 44,426" in str(s)
