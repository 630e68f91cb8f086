"""Training throughput: mmseg's CGNet eager vs cgnet_mm eager vs cgnet_mm
with the fast-training switch, each in three process settings: glibc's
default allocator; the allocator keeping freed memory; and that plus
subnormal floats flushed to zero (the whole environment ``--fast`` sets),
in one run.

The settings are per process (:mod:`cgnet_mm.utils.malloc`; the flush is
per thread and copied by the threads a thread starts, so it is set before
torch's thread pool exists), so the run starts one worker process per
setting; the parent drives them in
interleaved rounds (each round times every path of one process, then of
the other), so a shared machine's drift hits all alike; medians reported.
In each process, each path is the config's model and optimizer driven
through mmengine's own ``model.train_step(data, optim_wrapper)``, the call
the Runner's loop makes; the fast path is prepared as ``fast_train=True``
prepares it (channels-last model and inputs, the feature extractor and head
compiled, the training images decoded once per loader worker). All use
cgnet_mm's CrossEntropyLoss: mmseg 1.2.2's class-weighted cross-entropy
with ``avg_non_ignore`` raises on CamVid's void pixels, and the loss is a
negligible share of a step.

Two measurements per path and round:
- ``step``: seconds per step on one fixed batch (no data loading);
- ``loader``: images per second with the real data loader (the config's
  workers and augmentation; for the fast path, with its decode cache)
  feeding the step. Each path has its own loader, whose workers are
  stopped (SIGSTOP) while other paths are timed, so no loader works in
  another path's time; its prefetch queue is full at the start and end of
  each timing, so the workers produce in it as many batches as are used.

The baseline is mmseg eager with the default allocator, as users run it.

``--checkpoint`` loads a training checkpoint's weights into every path
first. Initial weights hold no subnormal floats; the weights of a run in
progress do, and they are what makes the flush matter (docs/training.md).

    python -m benchmarks.train_speed --out benchmarks/train_speed.json \
        --update-readme docs/training.md
"""
import argparse
import copy
import json
import os
import os.path as osp
import signal
import statistics
import subprocess
import sys
import time

import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner
from mmseg.registry import MODELS
from mmseg.utils import register_all_modules

from cgnet_mm.engine import (compile_for_training, enable_fast_training,
                             flush_denormals, to_channels_last)
from cgnet_mm.datasets import check_data
from cgnet_mm.utils import CheckError
from cgnet_mm.utils.report import machine_info, write_report
from cgnet_mm.utils.config import leaf_datasets
from cgnet_mm.utils.checkpoint import safe_load
from cgnet_mm.utils.malloc import keep_freed_memory

from .common import REPO

PATHS = ('mmseg_eager', 'cgnet_mm_eager', 'cgnet_mm_fast')
SETTINGS = ('default', 'kept', 'kept+flush')
BASELINE = ('mmseg_eager', 'default')


def build_path(cfg: Config, name: str, weights=None):
    """(step function, loader iterator) of one path; ``weights``: a
    state dict to start from instead of the initial weights."""
    cfg = copy.deepcopy(cfg)
    if name.endswith('fast'):
        enable_fast_training(cfg, cuda=False)  # the loader's decode cache
    model_cfg = cfg.model
    if name.startswith('mmseg'):
        model_cfg.backbone.type = 'CGNet'
    torch.manual_seed(0)
    model = revert_sync_batchnorm(MODELS.build(model_cfg))
    model.init_weights()
    if weights is not None:
        model.load_state_dict(weights)
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    if name.endswith('fast'):
        to_channels_last(model)
        compile_for_training(model, backend='inductor')
    loader = iter(Runner.build_dataloader(cfg.train_dataloader, seed=0))
    return (lambda data: model.train_step(data, optim_wrapper)), loader


def signal_workers(loader, sig) -> None:
    """Stops or continues a DataLoader iterator's worker processes (torch's
    ``_MultiProcessingDataLoaderIter._workers``; none with 0 workers)."""
    for worker in getattr(loader, '_workers', []):
        os.kill(worker.pid, sig)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def serve(args) -> None:
    """Worker process: builds the paths under one process setting, then
    answers each 'round' line on stdin with one JSON line of timings."""
    protocol = os.fdopen(os.dup(1), 'w')  # mmengine's logs go to stderr
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    for wanted, setter in (('flush', flush_denormals),
                           ('kept', keep_freed_memory)):
        why_not = setter() if wanted in args.serve else None
        if why_not:
            sys.exit(f'error: {why_not}')
    register_all_modules(init_default_scope=True)  # the configs' 'mmseg'
    torch.set_num_threads(args.threads)
    cfg = load_config(args)
    weights = safe_load(args.checkpoint)['state_dict'] \
        if args.checkpoint else None
    paths = {name: build_path(cfg, name, weights) for name in args.paths}
    try:
        fixed = next(next(iter(paths.values()))[1])
        for name, (step, loader) in paths.items():  # warm-up; compiles
            start = time.perf_counter()
            for _ in range(args.warmup):
                step(fixed)
            step(next(loader))
            signal_workers(loader, signal.SIGSTOP)
            print(f'[train_speed] {args.serve}, {name}: warm-up '
                  f'{time.perf_counter() - start:.1f} s', file=sys.stderr,
                  flush=True)
        print(json.dumps(dict(ready=True, batch=len(fixed['inputs']))),
              file=protocol, flush=True)
        for _ in sys.stdin:
            result = {}
            for name, (step, loader) in paths.items():
                s = timed(lambda: [step(fixed) for _ in range(args.steps)])
                signal_workers(loader, signal.SIGCONT)
                ls = timed(lambda: [step(next(loader))
                                    for _ in range(args.steps)])
                signal_workers(loader, signal.SIGSTOP)
                result[name] = (s / args.steps, ls / args.steps)
            print(json.dumps(result), file=protocol, flush=True)
    finally:  # stopped workers would never take the loader's shutdown
        for _, loader in paths.values():
            signal_workers(loader, signal.SIGCONT)


def load_config(args) -> Config:
    cfg = Config.fromfile(args.config)
    for ds in leaf_datasets(cfg.train_dataloader):
        ds.data_root = args.data_root
    check_data(cfg, ('train_dataloader', ))
    cfg.train_dataloader.num_workers = args.workers
    cfg.train_dataloader.persistent_workers = args.workers > 0
    return cfg


def reply(proc: subprocess.Popen, setting: str) -> dict:
    """The next JSON line a worker process writes; exits if it died."""
    line = proc.stdout.readline()
    if not line:
        raise SystemExit(f'error: the {setting} worker exited '
                         f'({proc.wait()}); see above')
    return json.loads(line)


def run(args, argv) -> dict:
    cfg = load_config(args)  # fails here, before any worker starts
    argv = [sys.executable, '-m', 'benchmarks.train_speed'] + list(argv)
    # the workers import this package from the repository, whatever the cwd
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [REPO, os.environ.get('PYTHONPATH')])))
    procs = {}
    try:
        for setting in SETTINGS:  # one at a time: warm-ups compile
            proc = subprocess.Popen(argv + ['--serve', setting], env=env,
                                    stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, text=True)
            procs[setting] = proc
            batch = reply(proc, setting)['batch']
        times = {(p, m): ([], []) for m in SETTINGS for p in args.paths}
        for r in range(args.rounds):
            for setting, proc in procs.items():
                proc.stdin.write('round\n')
                proc.stdin.flush()
                for name, (s, ls) in reply(proc, setting).items():
                    times[name, setting][0].append(s)
                    times[name, setting][1].append(ls)
            print(f'[train_speed] round {r + 1}/{args.rounds}: ' + ', '.join(
                f'{n}/{m} {t[0][-1]:.2f}/{t[1][-1]:.2f} s'
                for (n, m), t in times.items()), file=sys.stderr, flush=True)
    finally:
        for proc in procs.values():
            proc.stdin.close()
            proc.wait()
    base = tuple(statistics.median(t) for t in times[BASELINE])
    results = []
    for (name, setting), (step_s, loader_s) in times.items():
        s, ls = statistics.median(step_s), statistics.median(loader_s)
        results.append(dict(
            path=name, setting=setting, step_s=round(s, 4),
            steps_per_s=round(1 / s, 4), loader_step_s=round(ls, 4),
            images_per_s=round(batch / ls, 3), ratio=round(base[0] / s, 3),
            loader_ratio=round(base[1] / ls, 3),
            rounds_step_s=[round(t, 4) for t in step_s],
            rounds_loader_step_s=[round(t, 4) for t in loader_s]))
    crop = tuple(next(t for t in cfg.train_pipeline
                      if t['type'] == 'RandomCrop')['crop_size'])
    return dict(machine=machine_info(args.threads), config=osp.relpath(
        args.config, REPO), batch=batch, crop=list(crop),
        workers=args.workers, steps_per_round=args.steps, rounds=args.rounds,
        weights=args.checkpoint or 'initial',
        baseline=dict(path=BASELINE[0], setting=BASELINE[1]),
        results=results)


def markdown(report: dict) -> str:
    m = report['machine']
    crop = 'x'.join(map(str, report['crop']))
    weights = report.get('weights', 'initial')
    weights = 'initial (seed 0)' if weights == 'initial' else \
        f'`{osp.basename(weights)}` (a run in progress)'
    best = max(report['results'], key=lambda r: r['loader_ratio'])
    lines = [
        f'Measured by `benchmarks/train_speed.py` on {m["cpu"]} '
        f'({m["cores"]} cores, {m["threads"]} torch threads, '
        f'{"GPU " + m["gpu"] if m["gpu"] else "no GPU"}), torch {m["torch"]}; '
        f'`{report["config"]}`, batch {report["batch"]}, {crop} crops, '
        f'median of {report["rounds"]} interleaved rounds of '
        f'{report["steps_per_round"]} steps; "with loader" feeds the step '
        f'from its own data loader ({report["workers"]} workers); weights: '
        f'{weights}. Process "default": glibc\'s allocator as it comes; '
        '"kept": glibc keeps freed memory; "kept+flush": that and subnormal '
        'floats flushed to zero (both as `--fast` sets them). Ratios against '
        'mmseg eager in the default process.', '',
        '| path | process | s/step | x mmseg | s/step with loader | '
        'images/s with loader | x mmseg with loader |',
        '|' + ' --- |' * 7
    ]
    for r in report['results']:
        lines.append(
            f'| {r["path"]} | {r["setting"]} | {r["step_s"]:.3f} | '
            f'{r["ratio"]:.2f} | {r["loader_step_s"]:.3f} | '
            f'{r["images_per_s"]:.2f} | {r["loader_ratio"]:.2f} |')
    lines += ['', f'Fastest with the loader: {best["path"]} '
              f'({best["setting"]}), **{best["loader_ratio"]:.2f}x** '
              'mmseg\'s images/s.']
    return '\n'.join(lines) + '\n'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=osp.join(
        REPO, 'configs', 'cgnet_360x360_47k_camvid_trainval.py'))
    parser.add_argument('--data-root', default=osp.join(
        osp.dirname(REPO), 'shared', 'data', 'camvid'),
        help='CamVid root (default: ../shared/data/camvid)')
    parser.add_argument('--paths', nargs='+', choices=PATHS, default=PATHS)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--workers', type=int, default=2,
                        help='data loader workers (the config uses 2)')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--steps', type=int, default=4,
                        help='steps per path per round and measurement')
    parser.add_argument('--checkpoint', help='start every path from this '
                        'training checkpoint\'s weights (default: initial '
                        'weights, seed 0)')
    parser.add_argument('--out', default='benchmarks/train_speed.json')
    parser.add_argument('--update-readme', metavar='README',
                        help='rewrite its train_speed block with the table '
                        '(docs/training.md)')
    parser.add_argument('--serve', choices=SETTINGS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.warmup, args.rounds, args.steps) < 1:
        parser.error('--warmup, --rounds and --steps must be >= 1')
    if BASELINE[0] not in args.paths:
        parser.error(f'--paths must include the baseline {BASELINE[0]}')
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    try:
        if args.serve:
            return serve(args)
        report = run(args, argv)
    except CheckError as err:
        raise SystemExit(f'error: {err}')
    write_report(report, markdown(report), args.out, args.update_readme,
                 block='train_speed')


if __name__ == '__main__':
    main()
