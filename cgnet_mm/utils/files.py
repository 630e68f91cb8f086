"""File identity for per-process memos: what a file was read as, so that a
hash, a checkpoint or a check result is reused only while the file is
unchanged."""
import os
import os.path as osp
from typing import Tuple


def file_stamp(path: str) -> Tuple[str, int, int]:
    """``(real path, size, mtime_ns)`` of ``path``: equal for two names of
    one file (links), different once the file is rewritten."""
    stat = os.stat(path)
    return osp.realpath(path), stat.st_size, stat.st_mtime_ns
