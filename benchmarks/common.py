"""What the benchmark scripts share: the repository root, ``HxW`` sizes,
the pinned allocator, the CPU's vector extensions, why OpenVINO cannot
run, and the interleaved timing of several inference paths."""
import os.path as osp
import statistics
import sys
import time

import torch

from cgnet_mm.deploy import openvino_export
from cgnet_mm.utils.malloc import keep_freed_memory

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_size(text: str) -> tuple:
    """``'360x480'`` -> ``(360, 480)`` (height, width)."""
    return tuple(int(v) for v in text.split('x'))


def pin_malloc() -> None:
    """Keep freed memory in the heap (:mod:`cgnet_mm.utils.malloc`); exits
    with the reason where the C library does not allow it."""
    why_not = keep_freed_memory()
    if why_not:
        sys.exit(f'error: {why_not}; run with --malloc default')


def cpu_flags() -> list:
    """The vector extensions that matter for int8 and bf16 kernels, as
    /proc/cpuinfo lists them ([] where it cannot be read)."""
    try:
        with open('/proc/cpuinfo') as f:
            flags = next(line for line in f if line.startswith('flags'))
    except (OSError, StopIteration):
        return []
    wanted = ('avx2', 'avx512f', 'avx512_vnni', 'avx512_bf16', 'amx_int8',
              'amx_bf16')
    return [flag for flag in wanted if f' {flag}' in flags]


def openvino_skip_reason():
    """Why the OpenVINO paths cannot run here, or None."""
    missing = openvino_export.missing_packages()
    return f'{", ".join(missing)} not installed: pip install ' \
        "'cgnet_mm[openvino]'" if missing else None


def time_paths(paths: dict, x: torch.Tensor, warmup: int, repeat: int):
    """(median ms per path, seconds of each path's first call): ``warmup``
    calls per path, then ``repeat`` rounds that call every path once in
    turn, so a shared machine's drift hits all paths alike."""
    first, times = {}, {name: [] for name in paths}
    with torch.no_grad():
        for name, fn in paths.items():
            start = time.perf_counter()
            fn(x)
            first[name] = time.perf_counter() - start
            for _ in range(warmup - 1):
                fn(x)
        for _ in range(repeat):
            for name, fn in paths.items():
                start = time.perf_counter()
                fn(x)
                times[name].append((time.perf_counter() - start) * 1000)
    return {n: statistics.median(t) for n, t in times.items()}, first
