"""Fetch dataset files over HTTP(S), check their SHA-256, and write them atomically.

``RESOURCES`` lists each dataset's canonical files. A mirror only changes where a file comes
from (``mirror + "/" + filename``); the checksums stay the canonical ones, since a mirror serves
the same bytes. Where no SHA-256 is known for certain the entry holds ``None``: the file is then
checked against its published MD5 (when there is one) and its SHA-256 is reported in a warning,
so it can be recorded.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import tempfile
import urllib.parse
import urllib.request
import warnings
from dataclasses import dataclass

__all__ = ["Resource", "RESOURCES", "DownloadError", "download_file", "download_resources"]


@dataclass(frozen=True)
class Resource:
    """One downloadable file: its name, canonical URL, and known checksums (None if unknown)."""

    filename: str
    url: str
    sha256: str | None
    md5: str | None = None


_MNIST = "https://ossci-datasets.s3.amazonaws.com/mnist/"
_FASHION = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"

# NOTE: the MNIST and CIFAR-10 SHA-256 values agree across several independent public projects;
# the MD5 values are the ones published by the dataset authors / torchvision. No SHA-256 for the
# Fashion-MNIST files could be confirmed, so those entries verify by MD5 and report the SHA-256.
RESOURCES: dict[str, list[Resource]] = {
    "mnist": [
        Resource(
            "train-images-idx3-ubyte.gz",
            _MNIST + "train-images-idx3-ubyte.gz",
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        ),
        Resource(
            "train-labels-idx1-ubyte.gz",
            _MNIST + "train-labels-idx1-ubyte.gz",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "d53e105ee54ea40749a09fcbcd1e9432",
        ),
        Resource(
            "t10k-images-idx3-ubyte.gz",
            _MNIST + "t10k-images-idx3-ubyte.gz",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "9fb629c4189551a2d022fa330f9573f3",
        ),
        Resource(
            "t10k-labels-idx1-ubyte.gz",
            _MNIST + "t10k-labels-idx1-ubyte.gz",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            "ec29112dd5afa0611ce80d1b7f02629c",
        ),
    ],
    "fashion-mnist": [
        Resource(
            "train-images-idx3-ubyte.gz",
            _FASHION + "train-images-idx3-ubyte.gz",
            None,
            "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        ),
        Resource(
            "train-labels-idx1-ubyte.gz",
            _FASHION + "train-labels-idx1-ubyte.gz",
            None,
            "25c81989df183df01b3e8a0aad5dffbe",
        ),
        Resource(
            "t10k-images-idx3-ubyte.gz",
            _FASHION + "t10k-images-idx3-ubyte.gz",
            None,
            "bef4ecab320f06d8554ea6380940ec79",
        ),
        Resource(
            "t10k-labels-idx1-ubyte.gz",
            _FASHION + "t10k-labels-idx1-ubyte.gz",
            None,
            "bb300cfdad3c16e7a12a480ee83cd310",
        ),
    ],
    "cifar10": [
        Resource(
            "cifar-10-binary.tar.gz",
            "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
            "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
            "c32a1d4ab5d03f1284b67883e8d87530",
        ),
    ],
}


class DownloadError(OSError):
    """A download failed: network error, bad HTTP status, oversize, or checksum mismatch."""


def _fsync_dir(directory: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fetch(url: str, timeout: float, max_bytes: int | None, sinks: tuple) -> None:
    """Stream ``url`` into each sink's ``update``/``write``; the body must be as long as its
    Content-Length says (a connection cut short is not a complete file)."""
    sha, md, out = sinks
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (scheme checked)
        status = getattr(resp, "status", 200)
        if status != 200:
            raise DownloadError(f"download: {url} answered HTTP {status}")
        declared = resp.headers.get("Content-Length")
        total = 0
        while chunk := resp.read(1 << 20):
            total += len(chunk)
            if max_bytes is not None and total > max_bytes:
                raise DownloadError(
                    f"download: {url} is larger than the expected {max_bytes} bytes"
                )
            sha.update(chunk)
            md.update(chunk)
            out.write(chunk)
    if declared is not None and declared.strip().isdigit() and total != int(declared):
        raise DownloadError(
            f"download: {url} sent {total} bytes but its Content-Length says {int(declared)}; "
            "the connection was cut short, so nothing was saved"
        )


def download_file(
    url: str,
    path: str | os.PathLike,
    sha256: str | None = None,
    md5: str | None = None,
    timeout: float = 60.0,
    max_bytes: int | None = None,
) -> str:
    """Download ``url`` to ``path``; return the file's SHA-256.

    The bytes go to a temporary file beside ``path``; only when the SHA-256 (or, if no SHA-256 is
    given, the MD5) matches is it fsynced and moved into place, so ``path`` never holds a
    partial or unverified file. A mismatch raises ``DownloadError`` and leaves nothing behind,
    as does a body shorter than its Content-Length, a garbled HTTP response, or a connection
    silent for ``timeout`` seconds (each message names the URL). With no checksum at all, a
    warning reports the SHA-256 so it can be recorded.

    >>> from tinygrad_cnn.data.download import download_file
    >>> download_file("ftp://example.com/x", "x")
    Traceback (most recent call last):
    ...
    tinygrad_cnn.data.download.DownloadError: download: only http(s) URLs are supported, ...
    """
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise DownloadError(f"download: only http(s) URLs are supported, got {url!r}")
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    sha, md = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                _fetch(url, timeout, max_bytes, (sha, md, out))
            except DownloadError:
                raise
            except (OSError, http.client.HTTPException) as e:  # refused, garbage, stalled, ...
                what = f"timed out after {timeout} s" if isinstance(e, TimeoutError) else e
                reason = what or type(e).__name__
                raise DownloadError(f"download: could not fetch {url}: {reason}") from e
            got = sha.hexdigest()
            if sha256 is not None and got != sha256.lower():
                raise DownloadError(
                    f"download: SHA-256 mismatch for {url}: expected {sha256.lower()}, got {got}; "
                    f"the file was not saved to {path}"
                )
            if sha256 is None and md5 is not None and md.hexdigest() != md5.lower():
                raise DownloadError(
                    f"download: MD5 mismatch for {url}: expected {md5.lower()}, got "
                    f"{md.hexdigest()}; the file was not saved to {path}"
                )
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the data from other users
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)
    if sha256 is None:
        how = "its MD5 matched the published value" if md5 else "it could not be verified"
        warnings.warn(
            f"download: no known SHA-256 for {os.path.basename(path)} ({how}); its SHA-256 is "
            f"{got}",
            stacklevel=2,
        )
    return got


def download_resources(
    name: str,
    directory: str | os.PathLike,
    filenames: list[str] | None = None,
    mirror: str | None = None,
    timeout: float = 60.0,
) -> list[str]:
    """Download the files of dataset ``name`` (a key of RESOURCES) that ``directory`` lacks.

    ``filenames`` restricts the set; ``mirror`` is a base URL to fetch from instead of the
    canonical one. Returns the paths of the files.
    """
    if name not in RESOURCES:
        raise ValueError(f"download: unknown dataset {name!r}; known: {sorted(RESOURCES)}")
    directory = os.fspath(directory)
    paths = []
    for res in RESOURCES[name]:
        if filenames is not None and res.filename not in filenames:
            continue
        dest = os.path.join(directory, res.filename)
        if not os.path.exists(dest):
            url = res.url if mirror is None else mirror.rstrip("/") + "/" + res.filename
            download_file(url, dest, sha256=res.sha256, md5=res.md5, timeout=timeout)
        paths.append(dest)
    return paths
