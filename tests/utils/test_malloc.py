"""keep_freed_memory(): glibc then serves a large buffer from the heap and
keeps it after free, where by default it maps and unmaps it."""
import platform
import subprocess
import sys

import pytest

from cgnet_mm.utils import malloc

# mallinfo2() (glibc >= 2.33): how much malloc(64 MiB) adds to mmap'ed blocks
# (hblkhd) and to the heap (arena), and what the heap keeps after free.
PROBE = """
import ctypes, sys
from cgnet_mm.utils.malloc import keep_freed_memory
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        'arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks',
        'fsmblks', 'uordblks', 'fordblks', 'keepcost')]
libc = ctypes.CDLL('libc.so.6')
libc.mallinfo2.restype = Info
libc.malloc.restype = ctypes.c_void_p
if sys.argv[1] == 'kept':
    assert keep_freed_memory() is None
before = libc.mallinfo2()
buf = libc.malloc(64 << 20)
during = libc.mallinfo2()
libc.free(ctypes.c_void_p(buf))
after = libc.mallinfo2()
print((during.hblkhd - before.hblkhd) >> 20,
      (during.arena - before.arena) >> 20, (after.arena - before.arena) >> 20)
"""


def _probe(setting):
    out = subprocess.run([sys.executable, '-c', PROBE, setting], check=True,
                         capture_output=True, text=True).stdout
    return [int(v) for v in out.split()]


@pytest.mark.slow  # two interpreters importing cgnet_mm
@pytest.mark.skipif(platform.libc_ver()[0] != 'glibc'
                    or platform.libc_ver()[1] < '2.33',
                    reason='mallinfo2 needs glibc >= 2.33')
def test_kept_allocator_serves_and_keeps_large_buffers_in_the_heap():
    mapped, heap_during, _ = _probe('default')
    assert mapped >= 64 and heap_during < 32  # glibc's default: mmap
    mapped, heap_during, heap_after = _probe('kept')
    # from the heap (the arena may hold a few free MiB already), not trimmed
    assert mapped == 0 and heap_during >= 32 and heap_after == heap_during


def test_not_glibc_says_so_and_changes_nothing(monkeypatch):
    monkeypatch.setattr(malloc.platform, 'libc_ver', lambda: ('', ''))
    called = []
    monkeypatch.setattr(malloc.ctypes, 'CDLL', called.append)
    why = malloc.keep_freed_memory()
    assert why is not None and 'needs glibc on Linux' in why
    assert called == []
