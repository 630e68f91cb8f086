"""Plot a training run's loss and validation mIoU (PNG) from the scalars
mmengine writes to ``<work_dir>/<timestamp>/vis_data/scalars.json``.

Runs that were resumed have one timestamped folder per session; all of
them are read and merged by iteration.
"""
import argparse
import glob
import json
import os.path as osp
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from cgnet_mm.utils import UserError, cli
from cgnet_mm.utils.atomic import atomic_path, check_writable


class LogError(UserError, FileNotFoundError):
    """No training log, or no values in it yet."""


def read_scalars(work_dir: str) -> Dict[str, Dict[int, float]]:
    """{'loss': {iter: value}, 'mIoU': {iter: value}} over every session."""
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                      'scalars.json')))
    if not files:
        raise LogError(
            f'no */vis_data/scalars.json under {work_dir!r}: is it the '
            '--work-dir of a training run?')
    series: Dict[str, Dict[int, float]] = {'loss': {}, 'mIoU': {}}
    for path in files:
        for key, step, value in _points(path, tuple(series)):
            series[key][step] = value
    return series


def _points(path: str, keys: Tuple[str, ...]) -> Iterator[tuple]:
    """(key, step, value) for each of ``keys`` in a scalars.json, one JSON
    record a line. An unfinished last line (no newline: a running job is
    writing it) is skipped; a line that is not a JSON object, or a ``key``
    without a numeric step and value, is refused."""
    with open(path) as f:
        for number, line in enumerate(f, 1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                if not line.endswith('\n'):
                    return
                record = None
            if not isinstance(record, dict):
                raise LogError(
                    f'{path}, line {number} is not a JSON object '
                    f'({line.strip()[:40]!r}): scalars.json holds one JSON '
                    'record a line; is it a file mmengine wrote?')
            for key in keys:
                if key not in record:
                    continue
                step, value = record.get('step'), record[key]
                if not isinstance(step, int) or \
                        not isinstance(value, (int, float)):
                    found = ', '.join(f'{k}={record[k]!r}' if k in record
                                      else f'no {k}' for k in (key, 'step'))
                    raise LogError(
                        f'{path}, line {number}: {key} and step should be '
                        f'numbers, found {found}; is it a scalars.json '
                        "written by mmengine's LocalVisBackend?")
                yield key, step, value


def plot(series: Dict[str, Dict[int, float]], out: str,
         title: Optional[str] = None) -> str:
    # imported on use: keeps `--help` fast. A bare Figure draws with Agg and
    # leaves pyplot's global backend and figure list alone
    from matplotlib.figure import Figure
    panels: List[str] = [k for k in ('loss', 'mIoU') if series[k]]
    if not panels:
        raise LogError('the scalars logs hold no loss or mIoU yet')
    fig = Figure(figsize=(5 * len(panels), 3.6))
    axes = fig.subplots(1, len(panels), squeeze=False)
    for ax, key in zip(axes[0], panels):
        steps = sorted(series[key])
        ax.plot(steps, [series[key][s] for s in steps],
                marker='o' if key == 'mIoU' else None, lw=1.2)
        ax.set_xlabel('iteration')
        ax.set_ylabel('training loss' if key == 'loss' else 'val mIoU (%)')
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(out) as temp:
        fig.savefig(temp, dpi=110)
    return out


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='cgnet-mm plot-log', description=__doc__.splitlines()[0])
    parser.add_argument('work_dir')
    parser.add_argument('--out', help='PNG (default: <work_dir>/curve.png)')
    parser.add_argument('--title')
    return parser.parse_args(argv)


@cli
def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    series = read_scalars(args.work_dir)
    out = args.out or osp.join(args.work_dir, 'curve.png')
    check_writable(out)
    plot(series, out, args.title)
    print(f'wrote {out} ({len(series["loss"])} loss points, '
          f'{len(series["mIoU"])} mIoU points)')


if __name__ == '__main__':
    main()
