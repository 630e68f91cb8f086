"""Tools writing one output each, stopped half-way: ``python -m
tests.utils.slow_writer`` imports the tools once, then for each line
``KIND TARGET SOURCE`` (JSON) on stdin forks a writer, prints ``PID <pid>``
and waits until that writer ends (the test kills it), then prints
``ENDED <pid>``. The writer starts only once ``PID`` is printed: writer and
server share stdout, and a fast writer's ``HALF`` printed before it was
skipped by the test, which then waited for a ``HALF`` that never came.

The library call that writes the bytes (cv2.imwrite, torch.save,
shutil.copyfile, shutil.move, the download's fetch, matplotlib's savefig, the atomic module's
os.write) is replaced by one that writes its file, cuts it to half, prints
``HALF`` and waits to be killed, so the parent sees the state a SIGKILL
mid-write leaves.

:func:`killed_after_renames` runs a writer that kills itself right after
a given rename, for writes of several files that must switch together.
"""
import functools
import json
import os
import os.path as osp
import signal
import sys
import time
from typing import Callable


def wait_to_be_killed() -> None:
    """Sleeps until the test kills this writer; a writer nobody kills
    exits rather than write on."""
    time.sleep(600)
    os._exit(3)


def half_then_wait(path: str) -> None:
    with open(path, 'r+b') as f:
        f.truncate(os.path.getsize(path) // 2)
    print('HALF', flush=True)
    wait_to_be_killed()


def stall_after(owner, name: str, path_arg: int) -> None:
    """``owner.name`` writes as before, then :func:`half_then_wait`."""
    real = getattr(owner, name)

    @functools.wraps(real)
    def slow(*args, **kwargs):
        result = real(*args, **kwargs)
        half_then_wait(args[path_arg])
        return result

    setattr(owner, name, slow)


def stall_os_write() -> None:
    """The atomic module's writes stop after half the bytes."""
    from cgnet_mm.utils import atomic

    class SlowOs:
        def __getattr__(self, name):
            return getattr(os, name)

        @staticmethod
        def write(fd, data):
            os.write(fd, bytes(data[:len(data) // 2]))
            print('HALF', flush=True)
            wait_to_be_killed()

    atomic.os = SlowOs()


def main(kind: str, target: str, source: str) -> None:
    if kind == 'demo':
        import cv2

        from cgnet_mm.tools import demo
        stall_after(cv2, 'imwrite', 0)
        demo.main(['--out', target])
    elif kind == 'convert':
        import torch

        from cgnet_mm.tools import convert
        stall_after(torch, 'save', 1)
        convert.main(['--from', 'original', source, target])
    elif kind == 'copy':  # download of weights shipped in the package
        import shutil

        from cgnet_mm.tools import download
        stall_after(shutil, 'copyfile', 1)
        download.main([source, '--dest', osp.dirname(target)])
    elif kind == 'download':
        from cgnet_mm.utils import zoo
        stall_after(zoo, '_fetch', 1)
        zoo.download(source, target)
    elif kind == 'export':  # ONNX, checked, then moved into place
        import shutil

        from cgnet_mm.tools import export
        stall_after(shutil, 'move', 1)
        config, checkpoint = json.loads(source)
        export.main([config, checkpoint, '--out', target, '--shape', '64',
                     '64'])
    elif kind == 'publish':
        from cgnet_mm.tools import publish
        stall_os_write()
        publish.main([source, target[:-len('-00000000.pth')]])
    elif kind == 'benchmark':
        from cgnet_mm.utils.report import write_report
        stall_os_write()
        write_report(json.loads(source), 'table\n', target)
    elif kind == 'readme':
        from cgnet_mm.utils.report import update_readme
        stall_os_write()
        update_readme(target, 'new table\n')
    elif kind == 'plot':
        from matplotlib.figure import Figure

        from cgnet_mm.tools import plot_log
        stall_after(Figure, 'savefig', 1)
        plot_log.main([source, '--out', target])
    else:
        raise SystemExit(f'unknown kind {kind!r}')


def killed_after_renames(renames: int, write: Callable[[], None]) -> bool:
    """Runs ``write`` in a forked child that SIGKILLs itself right after its
    ``renames``-th ``os.replace`` (0: right before the first); returns
    whether it was killed (False: it did fewer renames and ended)."""
    pid = os.fork()
    if pid == 0:
        try:
            real, done = os.replace, []

            def replace(*args, **kwargs):
                if renames == 0:
                    os.kill(os.getpid(), signal.SIGKILL)
                real(*args, **kwargs)
                done.append(args)
                if len(done) == renames:
                    os.kill(os.getpid(), signal.SIGKILL)

            os.replace = replace
            write()
            os._exit(0)
        finally:
            os._exit(1)
    status = os.waitpid(pid, 0)[1]
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
        return True
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, \
        f'the writer failed (wait status {status})'
    return False


def serve() -> None:
    # imported once, here: the tools import their heavy modules on use
    import cgnet_mm.apis  # noqa: F401
    import cgnet_mm.deploy.openvino_export  # noqa: F401
    import cgnet_mm.tools.benchmark  # noqa: F401
    import cgnet_mm.tools.convert  # noqa: F401
    import cgnet_mm.tools.demo  # noqa: F401
    import cgnet_mm.tools.download  # noqa: F401
    import cgnet_mm.tools.plot_log  # noqa: F401
    import cgnet_mm.tools.publish  # noqa: F401
    for job in sys.stdin:
        start, go = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(go)
                os.read(start, 1)  # PID is on stdout: HALF can only follow
                import torch  # no OpenMP pool after fork: it can deadlock
                torch.set_num_threads(1)
                main(*json.loads(job))
            finally:
                os._exit(1)
        os.close(start)
        print(f'PID {pid}', flush=True)
        os.write(go, b'1')
        os.close(go)
        os.waitpid(pid, 0)
        print(f'ENDED {pid}', flush=True)


if __name__ == '__main__':
    serve()
