"""A tiny CGNet on a tiny synthetic Cityscapes set, and the helpers the
train -> SIGKILL -> resume tests share."""
import os
import os.path as osp
import re
import signal
import socket
import subprocess
import time
from typing import Optional

from tests.helpers import CONFIGS, TINY_CITYSCAPES_TEST, tiny_train_config

# What the e2e runs add to tiny_train_config and TINY_CITYSCAPES_TEST:
# cgnet_mm and {imports} imported, the model at the 64x64 crop ({backbone}
# varies per test), validation as the test, checkpoints every 2 iterations,
# the {hooks} and a fixed seed.
E2E_PART = """
custom_imports = dict(imports=['cgnet_mm'{imports}],
                      allow_failed_imports=False)
model = dict(data_preprocessor=dict(size=crop_size),
             backbone=dict({backbone}))
val_dataloader = test_dataloader
train_cfg = dict(max_iters=400, val_interval=1000)
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=100),
                     logger=dict(interval=1))
custom_hooks = {hooks}
randomness = dict(seed=0)
"""


def write_tiny_config(path, root, workers=0, batch=2, imports=(),
                      hooks=(), base: Optional[str] = None) -> str:
    """A Cityscapes config cut to 64x64 crops of the tiny set at ``root``,
    at ``path``, derived from the Cityscapes config ``base`` (default:
    CGNet's recipe, cut to one CG block per stage)."""
    backbone = '' if base else 'num_blocks=(1, 1)'
    base = base or osp.join(CONFIGS, 'cgnet_512x1024_60k_cityscapes.py')
    text = tiny_train_config(base, root, (64, 64), (128, 64), batch,
                             workers) + TINY_CITYSCAPES_TEST + E2E_PART.format(
        backbone=backbone, hooks=[dict(type=hook) for hook in hooks],
        imports=''.join(f', {name!r}' for name in imports))
    with open(path, 'w') as f:
        f.write(text)
    return str(path)


def pointed_iter(pointer) -> int:
    """Iteration of the checkpoint ``last_checkpoint`` names (0: none)."""
    if not pointer.exists():
        return 0
    found = re.search(r'iter_(\d+)\.pth', pointer.read_text())
    return int(found.group(1)) if found else 0


def _descendants(pid: int) -> list:
    """Processes below ``pid``, from /proc (Linux)."""
    children = {}
    for entry in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open(f'/proc/{entry}/stat') as f:
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def kill_job(pid: int) -> None:
    """SIGKILLs ``pid`` and everything below it, process group by process
    group: torch's elastic agent starts every rank in a session of its own,
    so killing the launcher's group alone leaves the ranks training."""
    for proc in [pid, *_descendants(pid)]:
        try:
            os.killpg(os.getpgid(proc), signal.SIGKILL)
        except ProcessLookupError:
            pass


def train_then_kill(cmd, work, cwd, at_least: int, env=None) -> int:
    """Runs ``cmd`` in its own session until ``work/last_checkpoint`` names
    iteration ``at_least`` or later, SIGKILLs the whole job (launcher, ranks,
    dataloader workers) and returns that checkpoint's iteration."""
    log = osp.join(cwd, 'killed_run.log')
    with open(log, 'w') as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, start_new_session=True,
                                stdout=out, stderr=subprocess.STDOUT)
    pointer = work / 'last_checkpoint'  # written after each complete save
    deadline = time.time() + 300
    try:
        while pointed_iter(pointer) < at_least:
            if proc.poll() is not None:
                with open(log) as f:
                    raise AssertionError('training stopped before iteration '
                                         f'{at_least}:\n{f.read()[-3000:]}')
            assert time.time() < deadline, f'no checkpoint {at_least} in 300 s'
            time.sleep(0.1)
    finally:
        kill_job(proc.pid)
        proc.wait()
    return pointed_iter(pointer)


def run_ok(cmd, cwd, env=None) -> str:
    """Runs ``cmd`` to completion; its output, which must end with code 0."""
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]
