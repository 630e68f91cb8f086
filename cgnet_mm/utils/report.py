"""Writing measurement reports: the machine they were taken on, JSON plus a
Markdown table beside it, and the table spliced into a README block
(``<!-- name:start -->`` ... ``<!-- name:end -->``); each file atomically.
Shared by ``cgnet-mm benchmark``, ``cgnet-mm export`` and ``benchmarks/``."""
import json
import os
import os.path as osp
import platform
import re
from typing import Dict, Optional

import torch
from mmengine.config import Config

from .atomic import write_text
from .errors import CheckError


def config_test_size(cfg: Config) -> tuple:
    """(H, W) the config tests at: its test pipeline's Resize scale."""
    for step in cfg.test_dataloader.dataset.pipeline:
        if step.type == 'Resize' and step.get('scale'):
            w, h = step.scale
            return int(h), int(w)
    raise CheckError('the config\'s test pipeline has no Resize with a '
                     'scale; pass --shape H W')


def machine_info(threads: int) -> Dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            cpu = re.search(r'model name\s*:\s*(.+)', f.read()).group(1)
    except (OSError, AttributeError):
        pass
    return dict(cpu=cpu, cores=os.cpu_count(), threads=threads,
                gpu=torch.cuda.get_device_name() if torch.cuda.is_available()
                else None, torch=torch.__version__,
                python=platform.python_version())


def update_readme(path: str, table: str, block: str = 'benchmark') -> None:
    """Replaces the text between ``<!-- {block}:start -->`` and
    ``<!-- {block}:end -->`` in ``path`` with ``table``."""
    start, end = f'<!-- {block}:start -->', f'<!-- {block}:end -->'
    with open(path) as f:
        text = f.read()
    if start not in text or end not in text:
        raise CheckError(f'{path} has no {start} ... {end} block to update')
    head, rest = text.split(start, 1)
    write_text(path, head + start + '\n' + table + end + rest.split(end, 1)[1])


def write_report(report: Dict, table: str, out: str,
                 readme: Optional[str] = None,
                 block: str = 'benchmark') -> None:
    """``report`` as JSON at ``out``, ``table`` beside it (.md), in
    ``readme``'s block when given, and on stdout; each file atomically."""
    write_text(out, json.dumps(report, indent=2))
    write_text(osp.splitext(out)[0] + '.md', table)
    if readme:
        update_readme(readme, table, block)
    print(table)
