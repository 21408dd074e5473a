"""tinygrad_cnn.viz: DOT structure, determinism, scale, rendering through dot, plots, CLI."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import textwrap
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.viz import DotNotFoundError, draw_graph, install_hint, render, to_dot, trace
from tinygrad_cnn.viz.dot import _STYLE

NODE_RE = re.compile(r'^\s*n(\d+) \[label="((?:[^"\\]|\\.)*)"(.*)\]$')
EDGE_RE = re.compile(r"^\s*n(\d+) -> n(\d+)(?: \[(.*)\])?$")
CLUSTER_RE = re.compile(r'^\s*graph \[label="((?:[^"\\]|\\.)*)" style="rounded,dashed"')
HAS_DOT = shutil.which("dot") is not None
PARAM_FILL = _STYLE["parameter"][2]
OP_FILL = _STYLE["op"][2]
INPUT_FILL = _STYLE["input"][2]
OUTPUT_FILL = _STYLE["output"][2]
BAD_FILL = "#ff7070"


def parse(text: str) -> tuple[dict[int, tuple[str, str]], list[tuple[int, int, str]], list[str]]:
    """(nodes id -> (label with real newlines, attrs), edges (src, dst, attrs), cluster labels)."""
    assert text.startswith("digraph tinygrad_cnn {\n") and text.endswith("}\n")
    nodes, edges, clusters = {}, [], []
    for line in text.splitlines():
        if m := NODE_RE.match(line):
            nodes[int(m[1])] = (m[2].replace("\\n", "\n"), m[3])
        elif m := EDGE_RE.match(line):
            edges.append((int(m[1]), int(m[2]), m[3] or ""))
        elif m := CLUSTER_RE.match(line):
            clusters.append(m[1].replace("\\n", " "))  # wrapped lines joined
    assert text.count("{") == text.count("}")
    return nodes, edges, clusters


def by_title(nodes: dict) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for k, (label, _) in nodes.items():
        out.setdefault(label.split("\n")[0], []).append(k)
    return out


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(6 * 2 * 2, 3)

    def forward(self, x):
        x = self.pool(self.relu(self.conv1(x)))
        return self.fc(x.flatten(1))


def net_and_output(seed: int = 0):
    tg.manual_seed(seed)
    m = Net()
    x = tg.Tensor(np.random.default_rng(seed).standard_normal((2, 1, 8, 8)).astype(np.float32))
    return m, x, m(x.requires_grad_())


# -- DOT structure -----------------------------------------------------------------------------
def test_known_small_graph_nodes_edges_labels():
    x = tg.Tensor([1.0, -2.0, 3.0], requires_grad=True)
    w = tg.Tensor([0.5, 0.5, 0.5], requires_grad=True)
    y = ((x * w).sum() + 1.0).exp()
    nodes, edges, clusters = parse(to_dot(y, params={"x": x, "w": w}))
    labels = [nodes[k][0] for k in sorted(nodes)]
    assert labels[3].split("\n")[0] == "Sum"  # its settings line is the op's own extra_repr
    labels[3] = "Sum"
    # post-order: inputs before the ops that use them, numbered 0..n-1
    assert labels == [
        "x\n(3,) float32",
        "w\n(3,) float32",
        "Mul",
        "Sum",
        "1",
        "Add",
        "Exp",
        "output\n() float32\n= " + format(float(y.item()), ".4g"),
    ]
    assert [(s, d) for s, d, _ in edges] == [(0, 2), (1, 2), (2, 3), (3, 5), (4, 5), (5, 6), (6, 7)]
    assert [a for *_, a in edges] == [f'label="{x}"' for x in ["(3,)"] * 3 + ["()"] * 4]
    assert clusters == []
    assert f'fillcolor="{PARAM_FILL}"' in nodes[0][1] and f'fillcolor="{OP_FILL}"' in nodes[2][1]
    assert f'fillcolor="{OUTPUT_FILL}"' in nodes[7][1]


def test_shared_input_gets_one_node_and_one_edge_per_use():
    x = tg.Tensor([2.0], requires_grad=True)
    nodes, edges, _ = parse(to_dot(x * x))
    assert len(nodes) == 3  # x, Mul, output
    assert [(s, d) for s, d, _ in edges] == [(0, 1), (0, 1), (1, 2)]
    assert nodes[0][0].startswith("tensor\n(1,)")  # unnamed leaf that requires grad
    assert f'fillcolor="{PARAM_FILL}"' in nodes[0][1]


def test_module_clusters_names_settings_and_colours():
    m, x, out = net_and_output()
    nodes, edges, clusters = parse(to_dot(out, params=m))
    assert sorted(clusters) == sorted(
        f"{name}: {m.get_submodule(name)!r}" for name in ("conv1", "relu", "pool", "fc")
    )
    assert "conv1: Conv2d(1, 6, kernel_size=(5, 5)" in clusters[0]
    titles = by_title(nodes)
    for name, shape in [
        ("conv1.weight", "(6, 1, 5, 5)"),
        ("conv1.bias", "(6,)"),
        ("fc.weight", "(3, 24)"),
        ("fc.bias", "(3,)"),
    ]:
        (k,) = titles[name]
        assert nodes[k][0] == f"{name}\n{shape} float32"
        assert f'fillcolor="{PARAM_FILL}"' in nodes[k][1]
    (k_in,) = titles["input"]
    assert nodes[k_in][0] == "input\n(2, 1, 8, 8) float32"
    assert f'fillcolor="{INPUT_FILL}"' in nodes[k_in][1]
    # composite ops are one node each, named as written, with their non-default settings
    (k_pool,) = titles["max_pool2d"]
    assert nodes[k_pool][0] == "max_pool2d\nkernel_size=2, stride=2"
    (k_conv,) = titles["conv2d"]
    assert nodes[k_conv][0] == "conv2d"
    assert [a for s, d, a in edges if d == k_conv] == [
        'label="(2, 1, 8, 8)"',
        'label="(6, 1, 5, 5)"',
        'label="(6,)"',
    ]
    assert [a for s, _, a in edges if s == k_conv] == ['label="(2, 6, 4, 4)"']
    (k_out,) = titles["output"]
    assert nodes[k_out][0] == "output\n(2, 3) float32"
    # every edge carries the shape flowing along it: the input's edge is the image batch
    assert [a for s, _, a in edges if s == k_in] == ['label="(2, 1, 8, 8)"']
    assert all(s in nodes and d in nodes for s, d, _ in edges)
    assert sorted(nodes) == list(range(len(nodes)))
    # each parameter sits inside its module's cluster
    text = to_dot(out, params=m)
    conv_block = text.split('label="conv1: ')[1].split("\t}")[0]
    assert "conv1.weight" in conv_block and "fc.weight" not in conv_block


def test_module_paths_inferred_without_params():
    m, _, out = net_and_output()
    assert to_dot(out) == to_dot(out, params=m)


def test_nested_clusters_follow_module_paths():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Sequential(nn.Linear(3, 3), nn.ReLU()), nn.Linear(3, 2))
    out = model(tg.ones(1, 3))
    text = to_dot(out, params=model)
    _, _, clusters = parse(text)
    assert [c.split(":")[0] for c in clusters] == ["0", "0.0", "0.1", "1"]
    # 0.0 and 0.1 are drawn inside 0
    outer = text.split('label="0: Sequential"')[1]
    assert outer.index('label="0.0: ') < outer.index('label="1: ')
    assert "subgraph" not in to_dot(out, params=model, group_modules=False)


def test_params_dict_and_bad_params():
    x = tg.Tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="params must be a Module or a dict"):
        to_dot(x * 2, params=[x])
    with pytest.raises(TypeError, match="roots must be Tensors"):
        to_dot(np.ones(2))
    with pytest.raises(ValueError, match="direction"):
        to_dot(x * 2, direction="sideways")


def test_nan_and_inf_are_red():
    x = tg.Tensor([1.0, float("nan")], requires_grad=True)
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    nodes, edges, _ = parse(to_dot((x * w).sum(), params={"x": x, "w": w}))
    titles = by_title(nodes)
    red = {k for k, (_, a) in nodes.items() if f'fillcolor="{BAD_FILL}"' in a}
    assert red == {titles["x"][0], titles["Mul"][0], titles["Sum"][0], titles["output"][0]}
    assert "contains NaN" in nodes[titles["x"][0]][0]
    assert "contains NaN" not in nodes[titles["w"][0]][0]
    red_edges = [(s, d) for s, d, a in edges if 'color="#cc0000"' in a]
    assert red_edges == [
        (titles["x"][0], titles["Mul"][0]),
        (titles["Mul"][0], titles["Sum"][0]),
        (titles["Sum"][0], titles["output"][0]),
    ]
    y = tg.Tensor([0.0, 1.0], requires_grad=True)
    with np.errstate(divide="ignore"):
        logy = y.log()
    nodes, _, _ = parse(to_dot(logy))
    assert "output contains Inf" in nodes[by_title(nodes)["Log"][0]][0]


def test_show_grad_shows_shape_and_norm():
    w = tg.Tensor([3.0, 4.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    nodes, _, _ = parse(to_dot(loss, params={"w": w}, show_grad=True))
    assert nodes[0][0] == "w\n(2,) float32\ngrad (2,) norm=10"  # |(6, 8)| = 10
    nodes, _, _ = parse(to_dot(loss, params={"w": w}))
    assert "grad" not in nodes[0][0]


def test_show_saved_lists_kept_tensors_and_freed_state():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = y.sum()
    nodes, _, _ = parse(to_dot(z, show_saved=True))
    exp_label = nodes[by_title(nodes)["Exp"][0]][0]
    assert "saved" in exp_label
    z.backward()
    nodes, _, _ = parse(to_dot(z, show_saved=True))
    assert "saved: freed by backward()" in nodes[by_title(nodes)["Exp"][0]][0]
    assert "saved" not in to_dot(z)


def test_show_data_summarises_values():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    nodes, _, _ = parse(to_dot(x * 3, params={"x": x}, show_data=True))
    assert nodes[0][0] == "x\n(2,) float32\n[1, 2]"
    assert nodes[3][0] == "output\n(2,) float32\n[3, 6]"


def test_backward_direction_reverses_edges_and_skips_non_grad_inputs():
    x = tg.Tensor([1.0, 2.0])  # no grad: no gradient flows to it
    w = tg.Tensor([0.5, 0.5], requires_grad=True)
    loss = (x * w).sum()
    nodes, edges, _ = parse(to_dot(loss, params={"w": w}, direction="backward"))
    titles = by_title(nodes)
    assert sorted(titles) == ["MulBackward", "SumBackward", "grad of output", "w (grad)"]
    assert [(s, d) for s, d, _ in edges] == [
        (titles["MulBackward"][0], titles["w (grad)"][0]),
        (titles["SumBackward"][0], titles["MulBackward"][0]),
        (titles["grad of output"][0], titles["SumBackward"][0]),
    ]


def test_collapse_folds_modules_with_in_and_out_shapes():
    m, _, out = net_and_output()
    nodes, edges, clusters = parse(to_dot(out, params=m, collapse=0))
    titles = by_title(nodes)
    assert clusters == []
    mods = {k: v for k, v in nodes.items() if "shape=box3d" in v[1]}
    assert sorted(v[0].split(":")[0] for v in mods.values()) == ["conv1", "fc", "pool", "relu"]
    (conv,) = [v[0] for v in mods.values() if v[0].startswith("conv1")]
    assert conv == (
        "conv1: Conv2d(1, 6, kernel_size=(5, 5),\nstride=(1, 1))\n"
        "in: (2, 1, 8, 8)\nout: (2, 6, 4, 4)"
    )
    assert not any("weight" in t for t in titles)
    # a chain: input -> conv1 -> relu -> pool -> flatten (a Reshape) -> fc -> output
    assert len(nodes) == 7 and len(edges) == 6
    full = parse(to_dot(out, params=m))[0]
    assert len(full) > len(nodes)


def test_collapse_folds_repeated_identical_blocks_into_x_n():
    class Tower(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Linear(2, 4)
            self.blocks = nn.Sequential(
                *[nn.Sequential(nn.Linear(4, 4), nn.Tanh()) for _ in range(3)]
            )
            self.head = nn.Linear(4, 1)

        def forward(self, x):
            return self.head(self.blocks(self.stem(x)))

    tg.manual_seed(0)
    t = Tower()
    out = t(tg.ones(5, 2))
    nodes, edges, clusters = parse(to_dot(out, params=t, collapse=1))
    labels = [v[0] for v in nodes.values()]
    folded = [lab for lab in labels if " x 3" in lab]
    assert folded == ["blocks.0 .. blocks.2: Sequential x 3\nin: (5, 4)\nout: (5, 4)"]
    assert clusters == [
        "stem: Linear(in_features=2, out_features=4, bias=True)",
        "blocks: Sequential",
        "head: Linear(in_features=4, out_features=1, bias=True)",
    ]
    # input, stem (weight, bias, op), the folded blocks, head (weight, bias, op), output
    assert len(nodes) == 9 and len(edges) == 8
    (k,) = [k for k, v in nodes.items() if " x 3" in v[0]]
    assert sorted((s, d) for s, d, _ in edges if k in (s, d)) == [(3, k), (k, 7)]
    nodes0, _, _ = parse(to_dot(out, params=t, collapse=0))
    assert sorted(v[0].split(":")[0] for v in nodes0.values() if "box3d" in v[1]) == [
        "blocks",
        "head",
        "stem",
    ]


def test_truncation_warns_and_marks_the_cut():
    x = tg.Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(50):
        y = y.tanh()
    with pytest.warns(UserWarning, match="max_nodes=10"):
        text = to_dot(y, max_nodes=10)
    nodes, edges, _ = parse(text)
    assert len(nodes) == 12  # 10 ops + the truncated marker + the output
    assert any("truncated" in lab for lab, _ in nodes.values())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(parse(to_dot(y, max_nodes=None))[0]) == 52


# -- determinism and scale ---------------------------------------------------------------------
def test_deterministic_within_a_process():
    m, _, out = net_and_output()
    a = to_dot(out, params=m, show_saved=True)
    b = to_dot(out, params=m, show_saved=True)
    m2, _, out2 = net_and_output()  # a fresh model and graph at other addresses
    c = to_dot(out2, params=m2, show_saved=True)
    assert a == b == c
    assert not re.search(r"0x[0-9a-f]{6,}", a)


SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np, tinygrad_cnn as tg
    from tinygrad_cnn import nn
    from tinygrad_cnn.viz import to_dot
    tg.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 2))
    x = tg.Tensor(np.ones((1, 1, 4, 4), np.float32), requires_grad=True)
    _ = [tg.ones(3) for _ in range(int(sys.argv[1]))]  # shift memory addresses
    sys.stdout.write(to_dot(m(x), params=m, show_grad=True, show_saved=True))
    """
)


def test_deterministic_across_processes():
    env = dict(os.environ, PYTHONHASHSEED="random")
    outs = [
        subprocess.run(
            [sys.executable, "-c", SCRIPT, str(n)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=60,
        ).stdout
        for n in (0, 37)
    ]
    assert outs[0] == outs[1]
    assert len(parse(outs[0])[0]) > 8


def test_twenty_thousand_node_graph():
    x = tg.Tensor(np.ones(4, np.float32), requires_grad=True)
    y = x
    for _ in range(10000):
        y = y * 1.0001  # each step: one op node and one constant leaf node
    g = trace(y, max_nodes=None)
    assert len(g.nodes) == 20002 and len(g.edges) == 20001
    text = to_dot(y, max_nodes=None)
    assert text.count(" -> ") == 20001
    assert sys.getrecursionlimit() < 20000  # the walk cannot have been recursive


# -- rendering ---------------------------------------------------------------------------------
@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_render_svg_through_dot(tmp_path):
    m, _, out = net_and_output()
    text = to_dot(out, params=m)
    n_nodes = len(parse(text)[0])
    path = render(text, tmp_path / "net.svg")
    assert path == tmp_path / "net.svg"
    assert (tmp_path / "net.gv").read_text() == text
    root = ET.parse(path).getroot()
    ns = {"svg": "http://www.w3.org/2000/svg"}
    groups = root.findall(".//svg:g", ns)
    assert sum(g.get("class") == "node" for g in groups) == n_nodes
    assert sum(g.get("class") == "cluster" for g in groups) == 4
    titles = {
        t.text for g in groups if g.get("class") == "node" for t in g.findall("svg:title", ns)
    }
    assert titles == {f"n{i}" for i in range(n_nodes)}


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_digraph_render_and_png(tmp_path):
    pytest.importorskip("graphviz")
    import graphviz

    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    g = draw_graph((x * 2).sum(), params={"x": x})
    assert isinstance(g, graphviz.Digraph)
    assert g.source == to_dot((x * 2).sum(), params={"x": x})
    out = g.render(str(tmp_path / "g.png"))
    assert out == str(tmp_path / "g.png")
    data = (tmp_path / "g.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert "image/svg+xml" in g._repr_mimebundle_()
    with pytest.raises(ValueError, match="ends in .svg but format is 'png'"):
        g.render(str(tmp_path / "g.svg"), format="png")


def test_missing_dot_names_install_command_and_writes_source(tmp_path, monkeypatch):
    empty = tmp_path / "empty_bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("dot") is None
    x = tg.Tensor([1.0], requires_grad=True)
    text = to_dot(x * 2)
    with pytest.raises(DotNotFoundError) as info:
        render(text, tmp_path / "out" / "graph.svg")
    msg = str(info.value)
    assert install_hint() in msg and "dot" in msg and "graph.gv" in msg
    assert (tmp_path / "out" / "graph.gv").read_text() == text
    assert not (tmp_path / "out" / "graph.svg").exists()
    assert isinstance(info.value, FileNotFoundError)
    # writing only the DOT source never needs the binary
    assert render(text, tmp_path / "only.gv").read_text() == text
    pytest.importorskip("graphviz")
    with pytest.raises(DotNotFoundError, match="graphviz"):
        draw_graph(x * 2).render(str(tmp_path / "d.pdf"))
    assert (tmp_path / "d.gv").exists()


def test_install_hint_per_platform(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert install_hint() == "brew install graphviz"
    monkeypatch.setattr(sys, "platform", "win32")
    assert "winget install graphviz" in install_hint()


# -- plots -------------------------------------------------------------------------------------
def _png_shape(path) -> tuple[int, ...]:
    import matplotlib.image as mpimg

    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    return mpimg.imread(path).shape


def test_plot_filters_colour_and_grey(tmp_path):
    pytest.importorskip("matplotlib")
    from tinygrad_cnn.viz import plot_filters

    rng = np.random.default_rng(0)
    fig = plot_filters(rng.normal(size=(6, 3, 5, 5)), tmp_path / "rgb.png")
    assert _png_shape(tmp_path / "rgb.png") == (280, 360, 4)  # 2 x 3 grid of 1.1-inch cells
    img = fig.axes[0].images[0].get_array()
    assert img.shape == (5, 5, 3)  # drawn in colour
    assert [ax.get_title() for ax in fig.axes] == ["0", "1", "2", "3", "4", "5"]  # indices
    tg.manual_seed(0)
    m, _, _ = net_and_output()
    fig = plot_filters(m, tmp_path / "grey.png")  # a model: its first conv, 6 x 1 x 5 x 5
    # six filters and a colour bar giving the weight values on one shared scale
    assert len(fig.axes) == 7 and fig.axes[0].images[0].get_array().shape == (5, 5)
    assert fig.axes[-1].get_ylabel() == "weight"
    limit = float(np.abs(m.conv1.weight.numpy()).max())
    assert fig.axes[3].images[0].get_clim() == pytest.approx((-limit, limit))
    assert _png_shape(tmp_path / "grey.png") == (280, 430, 4)
    fig = plot_filters(tg.randn(4, 2, 3, 3))
    assert len(fig.axes) == 9  # a row per output channel, a column per input channel, a bar
    assert fig.axes[1].get_title() == "0,1"
    with pytest.raises(ValueError, match=r"shape \(3, 3\)"):
        plot_filters(np.ones((3, 3)))


def test_plot_feature_maps(tmp_path):
    pytest.importorskip("matplotlib")
    from tinygrad_cnn.viz import plot_feature_maps

    m, x, _ = net_and_output()
    m.train()
    fig = plot_feature_maps(m, x[0].detach(), "conv1", tmp_path / "maps.png")
    # the input image beside its six maps (indexed), and a colour bar
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:7] == ["input (1, 8, 8)", "0", "1", "2", "3", "4", "5"] and len(titles) == 8
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), x.data[0, 0])
    w = m.conv1.weight.data[0, 0]
    expect = sum(x.data[0, 0, i : i + 4, j : j + 4] * w[i, j] for i in range(5) for j in range(5))
    np.testing.assert_allclose(
        fig.axes[1].images[0].get_array(), expect + m.conv1.bias.data[0], rtol=1e-4, atol=1e-5
    )
    assert _png_shape(tmp_path / "maps.png") == (280, 540, 4)  # input + 2 x 3 grid + bar
    assert m.training  # restored after the eval-mode pass
    assert not m.conv1._forward_hooks  # the hook is removed
    with pytest.raises(ValueError, match="no layer 'conv9'"):
        plot_feature_maps(m, x[0].detach(), "conv9")


def test_plot_history_accepts_both_layouts(tmp_path):
    pytest.importorskip("matplotlib")
    from tinygrad_cnn.viz import plot_history

    rows = [
        {
            "epoch": e,
            "train_loss": 1 / e,
            "test_loss": 1.2 / e,
            "train_acc": 1 - 0.5 / e,
            "test_acc": 1 - 0.6 / e,
        }
        for e in (1, 2, 3)
    ]
    cols = {k: [r[k] for r in rows] for k in rows[0]}
    f1 = plot_history(rows, tmp_path / "h1.png")
    f2 = plot_history(cols, tmp_path / "h2.png")
    assert [ax.get_title() for ax in f1.axes] == ["loss", "accuracy"]
    for a1, a2 in zip(f1.axes, f2.axes):
        d1 = [(ln.get_label(), list(ln.get_xdata()), list(ln.get_ydata())) for ln in a1.lines]
        d2 = [(ln.get_label(), list(ln.get_xdata()), list(ln.get_ydata())) for ln in a2.lines]
        assert d1 == d2
    assert [ln.get_label() for ln in f1.axes[0].lines] == ["train_loss", "test_loss"]
    f1.canvas.draw()  # epochs are whole numbers: no 1.5 on the axis
    ticks = [t for t in f1.axes[0].get_xticks() if 1 <= t <= len(rows)]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert f1.axes[0].lines[1].get_ydata()[2] == pytest.approx(0.4)
    assert _png_shape(tmp_path / "h1.png") == (360, 1000, 4)
    assert (tmp_path / "h1.png").read_bytes() == (tmp_path / "h2.png").read_bytes()
    with pytest.raises(ValueError, match="no loss or accuracy"):
        plot_history({"lr": [0.1, 0.01]})
    with pytest.raises(TypeError, match="list of per-epoch dicts"):
        plot_history(3)
    assert math.isnan(plot_history([{"loss": 1.0}, {"loss": None}]).axes[0].lines[0].get_ydata()[1])


# -- command line ------------------------------------------------------------------------------
def test_cli_graph_writes_dot_and_svg(tmp_path, capsys):
    from tinygrad_cnn.cli import main

    gv = tmp_path / "lenet.gv"
    assert main(["graph", "--out", str(gv)]) == 0
    nodes, edges, clusters = parse(gv.read_text())
    names = {lab.split("\n")[0] for lab, _ in nodes.values()}
    assert {"conv1.weight", "fc3.bias", "input", "output"} <= names
    assert "conv1: Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))" in clusters
    assert nodes[by_title(nodes)["input"][0]][0] == "input\n(1, 1, 28, 28) float32"
    assert main(["graph", "--out", str(tmp_path / "c.gv"), "--collapse", "0"]) == 0
    assert len(parse((tmp_path / "c.gv").read_text())[0]) == 14  # 12 layers, input, output
    assert (
        main(
            [
                "graph",
                "--out",
                str(tmp_path / "b.gv"),
                "--backward",
                "--show-grad",
                "--input-shape",
                "2,1,28,28",
            ]
        )
        == 0
    )
    text = (tmp_path / "b.gv").read_text()
    assert "ReluBackward" in text and "grad of output" in text
    assert "fc3.weight (grad)\\n(10, 84) float32\\ngrad (10, 84) norm=" in text
    if HAS_DOT:
        svg = tmp_path / "g.svg"
        assert main(["graph", "--out", str(svg)]) == 0
        ET.parse(svg)
        assert not (tmp_path / "g.gv").exists()  # the source is kept only when asked
    assert "wrote" in capsys.readouterr().out


def test_cli_graph_checkpoint_and_errors(tmp_path, monkeypatch, capsys):
    from tinygrad_cnn.cli import main
    from tinygrad_cnn.models import get_model

    tg.manual_seed(1)
    state = get_model("lenet5").state_dict()
    state["fc3.bias"].data[...] = np.nan  # a broken trained model: its output is drawn red
    tg.save({"model": state}, tmp_path / "ckpt.npz")
    assert (
        main(["graph", "--checkpoint", str(tmp_path / "ckpt.npz"), "--out", str(tmp_path / "k.gv")])
        == 0
    )
    nodes, _, _ = parse((tmp_path / "k.gv").read_text())
    titles = by_title(nodes)
    assert BAD_FILL in nodes[titles["fc3.bias"][0]][1] and BAD_FILL in nodes[titles["output"][0]][1]
    assert BAD_FILL not in nodes[titles["fc3.weight"][0]][1]
    assert main(["graph", "--checkpoint", str(tmp_path / "missing.npz")]) == 2
    assert main(["graph", "--input-shape", "1,x,3", "--out", str(tmp_path / "e.gv")]) == 2
    assert "--input-shape" in capsys.readouterr().err
    empty = tmp_path / "empty_bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert main(["graph", "--out", str(tmp_path / "nodot.svg")]) == 2
    err = capsys.readouterr().err
    assert install_hint() in err and (tmp_path / "nodot.gv").exists()


def test_draw_graph_without_graphviz_package_names_the_fix(monkeypatch):
    import tinygrad_cnn.viz.dot as dot_mod

    monkeypatch.setattr(dot_mod, "_digraph_cls", None)
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz -> ImportError
    x = tg.Tensor([1.0], requires_grad=True)
    with pytest.raises(ImportError, match=r"tinygrad-cnn\[viz\]"):
        draw_graph(x * 2)
    assert "Mul" in to_dot(x * 2)  # the DOT text needs no package


# -- composite ops, buffers, the input image (issue 18) -------------------------------------
class BNNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 2, 3)
        self.bn1 = nn.BatchNorm2d(2)
        self.fc = nn.Linear(2 * 6 * 6, 3)

    def forward(self, x):
        return self.fc(self.bn1(self.conv1(x)).relu().flatten(1))


def bn_loss():
    tg.manual_seed(0)
    m = BNNet().eval()
    x = tg.Tensor(np.random.default_rng(0).standard_normal((2, 1, 8, 8)).astype(np.float32))
    return m, x, tg.nn.functional.cross_entropy(m(x), tg.Tensor([1, 2]))


def test_composite_ops_are_one_node_each_and_expand_opens_them():
    m, _, loss = bn_loss()
    nodes, edges, _ = parse(to_dot(loss, params=m))
    titles = by_title(nodes)
    for name in ("conv2d", "batch_norm", "linear", "cross_entropy"):
        assert len(titles[name]) == 1, name
    assert not {"Im2Col", "ColumnMatMul", "Permute", "LogSoftmax", "NLL"} & set(titles)
    # NCHW shapes on the composite ops' edges: the conv2d result goes into batch_norm
    (conv,), (bn,) = titles["conv2d"], titles["batch_norm"]
    assert [a for s, d, a in edges if (s, d) == (conv, bn)] == ['label="(2, 2, 6, 6)"']
    opened = by_title(parse(to_dot(loss, params=m, expand=True))[0])
    assert "Conv" in opened and "LogSoftmax" in opened and "conv2d" not in opened
    assert len(opened) > len(titles)
    with pytest.raises(ValueError, match="expand must be"):
        to_dot(loss, expand=-1)


def test_input_is_the_image_once_whether_expanded_or_not():
    m, _, loss = bn_loss()
    for expand in (False, True):
        text = to_dot(loss, params=m, expand=expand)
        nodes = parse(text)[0]
        images = [lab for lab, _ in nodes.values() if lab.startswith("input\n(2, 1, 8")]
        assert images == ["input\n(2, 1, 8, 8) float32"], expand
        assert "(9, 72)" not in by_title(nodes)  # never the unrecorded im2col matrix as a node
        (targets,) = [k for k, (lab, _) in nodes.items() if lab == "input\n(2,) int64"]
        (user,) = [d for s, d, _ in parse(text)[1] if s == targets]  # into cross_entropy / NLL
        assert nodes[user][0].split("\n")[0] == ("NLL" if expand else "cross_entropy")


def test_buffers_are_named_inside_their_module():
    m, _, loss = bn_loss()
    for expand in (False, True):
        text = to_dot(loss, params=m, expand=expand)
        block = text.split('label="bn1: ')[1].split("\t}")[0]
        for name in ("bn1.running_mean", "bn1.running_var"):
            assert f'label="{name}\\n(2,) float32"' in block, (expand, name)
        assert f'fillcolor="{_STYLE["buffer"][2]}"' in block
        anonymous = [lab for lab, _ in parse(text)[0].values() if lab.startswith("input")]
        # the image and the targets, never an anonymous reshaped running statistic
        assert set(anonymous) <= {"input\n(2, 1, 8, 8) float32", "input\n(2,) int64"}


def test_show_grad_with_collapse_lists_parameter_gradient_norms():
    m, _, loss = bn_loss()
    loss.backward()
    nodes = parse(to_dot(loss, params=m, collapse=0, show_grad=True))[0]
    (fc,) = [lab for lab, _ in nodes.values() if lab.startswith("fc: ")]
    norm = float(np.linalg.norm(m.fc.weight.grad.numpy()))
    assert f"weight grad norm={norm:.4g}" in fc and "bias grad norm=" in fc
    plain = parse(to_dot(loss, params=m, collapse=0))[0]
    assert not any("grad norm" in lab for lab, _ in plain.values())


def test_cli_and_python_api_draw_the_same_graph(tmp_path):
    from tinygrad_cnn.cli import main
    from tinygrad_cnn.models import get_model

    assert main(["graph", "--out", str(tmp_path / "cli.gv")]) == 0
    tg.manual_seed(0)
    model = get_model("lenet5").eval()
    x = tg.Tensor(np.random.default_rng(0).standard_normal((1, 1, 28, 28)).astype(np.float32))
    api = to_dot(model(x), params=model)
    assert (tmp_path / "cli.gv").read_text() == api


def test_cli_collapsed_show_grad_and_a_readable_left_to_right_lenet(tmp_path):
    from tinygrad_cnn.cli import main

    gv = tmp_path / "c.gv"
    assert main(["graph", "--collapse", "0", "--show-grad", "--out", str(gv)]) == 0
    (conv1,) = [lab for lab, _ in parse(gv.read_text())[0].values() if lab.startswith("conv1:")]
    assert re.search(r"\nweight grad norm=[0-9.e-]+\nbias grad norm=", conv1)
    if HAS_DOT:  # the LR layout of LeNet-5 was 6076 px (4557 pt) wide with primitives
        svg = tmp_path / "lr.svg"
        assert main(["graph", "--rankdir", "LR", "--out", str(svg)]) == 0
        width = float(ET.parse(svg).getroot().get("width").removesuffix("pt"))
        assert width < 3000, width
