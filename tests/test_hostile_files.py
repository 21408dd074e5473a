"""Hostile files must fail cleanly in bounded memory: each load runs in a child process whose
address space may grow by at most HEADROOM_MB beyond what the imports took (RLIMIT_AS), and the
child must report a clean library error, never a MemoryError, a traceback or a crash.

Also here: a download shorter than its Content-Length, and stale save temporaries.
"""

from __future__ import annotations

import gzip
import http.server
import json
import os
import struct
import subprocess
import sys
import threading
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn.data import download as dl

REPO = os.path.dirname(os.path.dirname(os.path.abspath(tg.__file__)))
HEADROOM_MB = 256
BIG = 384 << 20  # what the hostile files claim or inflate to: more than the headroom

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc are Linux features"
)

_CHILD = r"""
import json, resource, sys
import tinygrad_cnn as tg
from tinygrad_cnn.data.datasets import read_idx

def vm_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024

limit = vm_bytes() + int(sys.argv[3]) * (1 << 20)
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
reader = {"checkpoint": tg.load, "idx": read_idx}[sys.argv[1]]
try:
    reader(sys.argv[2])
    outcome = {"error": None}
except Exception as e:
    outcome = {"error": type(e).__name__, "message": str(e)}
    outcome["value_error"] = isinstance(e, ValueError)
outcome["rss_growth_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024
print(json.dumps(outcome))
"""


def _load_in_child(kind: str, path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": REPO, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, kind, str(path), str(HEADROOM_MB)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, f"child failed (status {out.returncode}): {out.stderr[-2000:]}"
    return json.loads(out.stdout.strip().splitlines()[-1])


def _assert_clean_refusal(result: dict, *needles: str) -> None:
    assert result["error"] is not None, "the hostile file loaded"
    assert result["value_error"], result
    assert result["error"] != "MemoryError" and "MemoryError" not in result["message"], result
    for n in needles:
        assert n in result["message"], (n, result["message"])
    assert result["rss_growth_mb"] < HEADROOM_MB, result


# -- checkpoints -----------------------------------------------------------------------------
def _meta() -> bytes:
    meta = {"format": "tinygrad_cnn.checkpoint", "version": 1, "arrays": ["arr_0"]}
    meta["tree"] = {"dict": [["w", {"array": "arr_0"}]]}
    buf = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    return _npy_bytes(buf)


def _npy_header(shape: tuple[int, ...], dtype: str) -> bytes:
    import io

    f = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        f, {"descr": dtype, "fortran_order": False, "shape": shape}
    )
    return f.getvalue()


def _npy_bytes(arr: np.ndarray) -> bytes:
    import io

    f = io.BytesIO()
    np.lib.format.write_array(f, arr, allow_pickle=False)
    return f.getvalue()


def _forge_sizes(data: bytes, member: str, size: int) -> bytes:
    """Rewrite one member's sizes in its central-directory entry (a 32-bit, non-zip64 zip)."""
    out = bytearray(data)
    pos = out.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = struct.unpack_from("<H", out, pos + 28)[0]
        name = bytes(out[pos + 46 : pos + 46 + name_len]).decode()
        if name == member:
            struct.pack_into("<II", out, pos + 20, size, size)
            return bytes(out)
        pos = out.find(b"PK\x01\x02", pos + 4)
    raise AssertionError(f"{member} not found")


def test_checkpoint_declaring_a_huge_member_is_refused_before_allocating(tmp_path):
    header = _npy_header((BIG // 4,), "<f4")
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("__meta__.npy", _meta())
        zf.writestr("arr_0.npy", header)
    path.write_bytes(_forge_sizes(path.read_bytes(), "arr_0.npy", len(header) + BIG))
    assert path.stat().st_size < 2000
    _assert_clean_refusal(_load_in_child("checkpoint", path), "huge.npz", "arr_0.npy", "bytes")


def _deflated_zeros(n: int) -> tuple[bytes, int]:
    """A raw deflate stream of n zero bytes (made chunk by chunk) and its CRC-32."""
    comp = zlib.compressobj(1, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    parts, crc = [], 0
    for _ in range(n // len(chunk)):
        parts.append(comp.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    parts.append(comp.flush())
    return b"".join(parts), crc


def test_checkpoint_with_a_compressed_member_is_refused(tmp_path):
    header = _npy_header((BIG // 4,), "<f4")
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("__meta__.npy", _meta(), compress_type=zipfile.ZIP_STORED)
        with zf.open("arr_0.npy", "w") as m:
            m.write(header)
            chunk = bytes(1 << 20)
            for _ in range(BIG // len(chunk)):
                m.write(chunk)
    assert path.stat().st_size < 4 << 20  # ~1.7 MB on disk, 384 MB inflated
    _assert_clean_refusal(_load_in_child("checkpoint", path), "bomb.npz", "arr_0.npy", "compressed")


def test_save_never_writes_compressed_members(tmp_path):
    tg.save({"w": tg.zeros(1000)}, tmp_path / "c.npz")
    with zipfile.ZipFile(tmp_path / "c.npz") as zf:
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_STORED}


# -- IDX files ---------------------------------------------------------------------------------
def _gzip_with_trailing_zeros(path: Path, head: bytes, n: int) -> None:
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(head)
        chunk = bytes(1 << 20)
        for _ in range(n // len(chunk)):
            f.write(chunk)


def test_gzip_idx_is_not_inflated_past_its_declared_size(tmp_path):
    # a valid 10-label header followed by 384 MB of zeros
    path = tmp_path / "labels-idx1-ubyte.gz"
    _gzip_with_trailing_zeros(path, bytes([0, 0, 8, 1, 0, 0, 0, 10]), BIG)
    assert path.stat().st_size < 4 << 20
    _assert_clean_refusal(_load_in_child("idx", path), "labels-idx1-ubyte.gz", "more than")


def test_gzip_idx_declaring_more_than_it_can_hold_is_refused_at_once(tmp_path):
    path = tmp_path / "images-idx3-ubyte.gz"
    dims = b"".join(int(d).to_bytes(4, "big") for d in (60000, 4000, 4000))
    with gzip.open(path, "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + dims + bytes(100))
    _assert_clean_refusal(_load_in_child("idx", path), "images-idx3-ubyte.gz", "declares")


# -- stale temporaries -------------------------------------------------------------------------
def test_save_removes_its_own_stale_temporaries_only(tmp_path):
    import fcntl

    stale = tmp_path / ".ckpt.npz.ab12cd_3.tmp"  # left by a killed save (nobody holds its lock)
    stale.write_bytes(b"x" * 1000)
    other = tmp_path / ".other.npz.ab12cd34.tmp"  # another checkpoint's: not ours to judge
    other.write_bytes(b"x")
    unrelated = tmp_path / "ckpt.npz.backup.tmp"
    unrelated.write_bytes(b"x")
    alive = tmp_path / ".ckpt.npz.zz99yy88.tmp"  # a save in progress holds its lock
    alive.write_bytes(b"x")
    with open(alive, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        tg.save({"a": tg.ones(2)}, tmp_path / "ckpt.npz")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(["ckpt.npz", other.name, unrelated.name, alive.name]), left


def test_a_killed_save_leaves_a_temporary_that_the_next_save_removes(tmp_path):
    code = (
        "import os, signal, tinygrad_cnn as tg, tinygrad_cnn.serialization as s\n"
        "def die(*a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "s._write_archive = die\n"
        f"tg.save({{'a': tg.ones(3)}}, {str(tmp_path / 'ckpt.npz')!r})\n"
    )
    env = {**os.environ, "PYTHONPATH": REPO, "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, timeout=60)
    assert proc.returncode == -9
    assert [p.name.endswith(".tmp") for p in tmp_path.iterdir()] == [True]
    tg.save({"a": tg.ones(3)}, tmp_path / "ckpt.npz")
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]


# -- downloads ---------------------------------------------------------------------------------
class _ShortBodyHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"x" * 600)  # then the connection closes: 400 bytes missing

    def log_message(self, *args):
        pass


def test_download_shorter_than_content_length_is_refused(tmp_path, monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _ShortBodyHandler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/blob.bin"
    try:
        with pytest.raises(dl.DownloadError) as info:
            dl.download_file(url, tmp_path / "out" / "blob.bin", timeout=10)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
    assert url in str(info.value)
    assert os.listdir(tmp_path / "out") == []
