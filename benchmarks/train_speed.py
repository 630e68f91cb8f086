"""Training throughput: mmseg's CGNet eager vs cgnet_mm eager vs cgnet_mm
with the fast-training switch, in one run.

Each path is the config's model and optimizer driven through mmengine's own
``model.train_step(data, optim_wrapper)``, the call the Runner's loop makes;
the fast path is prepared as ``fast_train=True``'s FastTrainHook prepares
it (channels-last model and inputs, the feature extractor and head
compiled). All
three use cgnet_mm's CrossEntropyLoss: mmseg 1.2.2's class-weighted
cross-entropy with ``avg_non_ignore`` raises on CamVid's void pixels, and
the loss is a negligible share of a step.

Two measurements per path, in interleaved rounds (each round times every
path in turn, so a shared machine's drift hits all alike; medians
reported):
- ``step``: seconds per step on one fixed batch (no data loading);
- ``loader``: images per second with the config's real data loader
  (its workers, its augmentation) feeding the step: one loader shared by
  all paths, so each sees the same background load.

    python benchmarks/train_speed.py --out benchmarks/train_speed.json \
        --update-readme README.md
"""
import argparse
import os.path as osp
import statistics
import time

import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner

from cgnet_mm.engine import compile_for_training, to_channels_last
from cgnet_mm.tools.benchmark import machine_info, write_report
from cgnet_mm.tools.checks import CheckError, check_data, leaf_datasets

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PATHS = ('mmseg_eager', 'cgnet_mm_eager', 'cgnet_mm_fast')


def build_path(cfg: Config, name: str):
    """(model, optim_wrapper, step function) of one path."""
    from mmseg.registry import MODELS
    model_cfg = cfg.model.copy()
    if name.startswith('mmseg'):
        model_cfg.backbone.type = 'CGNet'
    torch.manual_seed(0)
    model = revert_sync_batchnorm(MODELS.build(model_cfg))
    model.init_weights()
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    if name.endswith('fast'):
        to_channels_last(model)
        compile_for_training(model, backend='inductor')
    return lambda data: model.train_step(data, optim_wrapper)


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def run(args) -> dict:
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)  # the configs' 'mmseg'
    cfg = Config.fromfile(args.config)
    for ds in leaf_datasets(cfg.train_dataloader):
        ds.data_root = args.data_root
    check_data(cfg, ('train_dataloader', ))
    cfg.train_dataloader.num_workers = args.workers
    cfg.train_dataloader.persistent_workers = args.workers > 0
    torch.set_num_threads(args.threads)
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    batches = iter(loader)
    fixed = next(batches)
    batch = len(fixed['inputs'])
    steps = {name: build_path(cfg, name) for name in args.paths}
    for name, step in steps.items():  # warm-up; compiles the fast path
        start = time.perf_counter()
        for _ in range(args.warmup):
            step(fixed)
        print(f'[train_speed] {name}: warm-up {time.perf_counter() - start:.1f}'
              ' s', flush=True)
    step_s = {name: [] for name in steps}
    loader_s = {name: [] for name in steps}
    for r in range(args.rounds):
        for name, step in steps.items():
            step_s[name].append(timed(
                lambda: [step(fixed) for _ in range(args.steps)]) / args.steps)
        for name, step in steps.items():
            loader_s[name].append(timed(
                lambda: [step(next(batches)) for _ in range(args.steps)]) /
                args.steps)
        print(f'[train_speed] round {r + 1}/{args.rounds}: ' + ', '.join(
            f'{n} {step_s[n][-1]:.2f}/{loader_s[n][-1]:.2f} s' for n in steps),
              flush=True)
    base = args.paths[0]
    results = []
    for name in steps:
        s, ls = statistics.median(step_s[name]), statistics.median(
            loader_s[name])
        results.append(dict(
            path=name, step_s=round(s, 4), steps_per_s=round(1 / s, 4),
            loader_step_s=round(ls, 4), images_per_s=round(batch / ls, 3),
            ratio=round(statistics.median(step_s[base]) / s, 3),
            loader_ratio=round(statistics.median(loader_s[base]) / ls, 3),
            rounds_step_s=[round(t, 4) for t in step_s[name]],
            rounds_loader_step_s=[round(t, 4) for t in loader_s[name]]))
    crop = tuple(next(t for t in cfg.train_pipeline
                      if t['type'] == 'RandomCrop')['crop_size'])
    return dict(machine=machine_info(args.threads), config=osp.relpath(
        args.config, REPO), batch=batch, crop=list(crop),
        workers=args.workers, steps_per_round=args.steps, rounds=args.rounds,
        baseline=base, results=results)


def markdown(report: dict) -> str:
    m = report['machine']
    crop = 'x'.join(map(str, report['crop']))
    lines = [
        f'Measured by `benchmarks/train_speed.py` on {m["cpu"]} '
        f'({m["cores"]} cores, {m["threads"]} torch threads, '
        f'{"GPU " + m["gpu"] if m["gpu"] else "no GPU"}), torch {m["torch"]}; '
        f'`{report["config"]}`, batch {report["batch"]}, {crop} crops, '
        f'median of {report["rounds"]} interleaved rounds of '
        f'{report["steps_per_round"]} steps; "with loader" feeds the step '
        f'from the config\'s data loader ({report["workers"]} workers).', '',
        '| path | s/step | steps/s | x mmseg | s/step with loader | '
        'images/s with loader | x mmseg with loader |',
        '|' + ' --- |' * 7
    ]
    for r in report['results']:
        lines.append(
            f'| {r["path"]} | {r["step_s"]:.3f} | {r["steps_per_s"]:.3f} | '
            f'{r["ratio"]:.2f} | {r["loader_step_s"]:.3f} | '
            f'{r["images_per_s"]:.2f} | {r["loader_ratio"]:.2f} |')
    return '\n'.join(lines) + '\n'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=osp.join(
        REPO, 'configs', 'cgnet_360x360_4k_camvid_cpu.py'))
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
                        help='steps per path per round')
    parser.add_argument('--out', default='benchmarks/train_speed.json')
    parser.add_argument('--update-readme', metavar='README')
    args = parser.parse_args(argv)
    if min(args.warmup, args.rounds, args.steps) < 1:
        parser.error('--warmup, --rounds and --steps must be >= 1')
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        report = run(args)
    except CheckError as err:
        raise SystemExit(f'error: {err}')
    write_report(report, markdown(report), args.out, args.update_readme,
                 block='train_speed')


if __name__ == '__main__':
    main()
