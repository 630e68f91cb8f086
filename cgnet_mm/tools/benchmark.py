"""Measure the results table: parameters, FLOPs, peak inference memory,
latency/fps (CPU, and CUDA when present), mIoU and mIoU(ms+flip).

Costs need only a config; the mIoU columns also need ``--checkpoint`` and
``--data-root`` (any dataset size). Writes JSON and a Markdown table, and can
rewrite the table between ``<!-- benchmark:start -->`` and
``<!-- benchmark:end -->`` in a README.
"""
import argparse
import multiprocessing
import os.path as osp
import re
import statistics
import tempfile
import time
from typing import Dict, List, Optional, Sequence

from rich.console import Console
from rich.progress import track

from cgnet_mm.utils import CheckError, cli
from cgnet_mm.utils.atomic import check_writable


def _proc_status_mib(field: str) -> float:
    """VmRSS / VmHWM of this process. (getrusage's ru_maxrss would not do:
    a spawned child inherits its parent's high-water mark across exec.)"""
    with open('/proc/self/status') as f:
        kib = re.search(rf'^{field}:\s+(\d+) kB', f.read(), re.M).group(1)
    return int(kib) / 1024


def _metas(shape):
    return [dict(img_shape=shape, ori_shape=shape, pad_shape=shape)]


def _peak_memory_child(config: str, shape, device: str, queue) -> None:
    # torch and the model code are imported on use: keeps `--help` fast
    import torch

    from cgnet_mm.apis import build_segmentor
    from cgnet_mm.utils.config import load_config
    model = build_segmentor(load_config(config)).to(device)
    x = torch.rand(1, 3, *shape, device=device) * 255
    with torch.no_grad():
        if device == 'cuda':
            base = torch.cuda.memory_allocated()
            model.encode_decode(x, _metas(shape))
            queue.put((torch.cuda.max_memory_allocated() - base) / 2**20)
            return
        base = _proc_status_mib('VmRSS')
        model.encode_decode(x, _metas(shape))
    queue.put(_proc_status_mib('VmHWM') - base)


def peak_memory_mib(config: str, shape, device: str) -> float:
    """Peak memory one batch-1 inference adds, measured in a fresh process
    so nothing earlier sets the high-water mark: allocator peak on CUDA,
    resident-set growth on CPU."""
    ctx = multiprocessing.get_context('spawn')
    queue = ctx.Queue()
    proc = ctx.Process(target=_peak_memory_child,
                       args=(config, shape, device, queue))
    proc.start()
    proc.join()
    if proc.exitcode != 0:
        raise RuntimeError(f'memory probe for {config} failed '
                           f'(exit code {proc.exitcode})')
    return queue.get()


def latency_ms(model, shape, device: str, warmup: int, repeat: int) -> float:
    """Median wall time of a batch-1 forward (logits at input size)."""
    import torch
    x = torch.rand(1, 3, *shape, device=device) * 255
    times = []
    with torch.no_grad():
        for i in track(range(warmup + repeat), transient=True,
                       console=Console(stderr=True),
                       description=f'latency {device} {shape[0]}x{shape[1]}'):
            if device == 'cuda':
                torch.cuda.synchronize()
            start = time.perf_counter()
            model.encode_decode(x, _metas(shape))
            if device == 'cuda':
                torch.cuda.synchronize()
            if i >= warmup:
                times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def evaluate(config: str, checkpoint: str, data_root: str, tta: bool):
    """mIoU of ``checkpoint`` on the config's test split under
    ``data_root`` (ms+flip when ``tta``), via mmengine's test loop."""
    from mmengine.runner import Runner

    from cgnet_mm.tools.test import build_test_config, parse_args
    with tempfile.TemporaryDirectory() as work:
        args = parse_args([config, checkpoint, '--work-dir', work] +
                          (['--tta'] if tta else []) + [
                              '--cfg-options',
                              f'test_dataloader.dataset.data_root={data_root}',
                              'test_dataloader.num_workers=0',
                              'test_dataloader.persistent_workers=False',
                              # mmengine reuses a Visualizer by this name (a
                              # timestamp), with its deleted work dir, when
                              # two evaluations start in the same second
                              f'experiment_name={osp.basename(work)}'
                          ])
        metrics = Runner.from_cfg(build_test_config(args)).test()
    return float(metrics['mIoU'])


def benchmark_config(config: str, checkpoint: Optional[str] = None,
                     data_root: Optional[str] = None, shape=None,
                     warmup: int = 3, repeat: int = 10) -> Dict:
    import torch
    from mmengine.analysis import get_model_complexity_info

    from cgnet_mm.apis import build_segmentor
    from cgnet_mm.utils.config import load_config
    from cgnet_mm.utils.report import config_test_size
    cfg = load_config(config)
    shape = tuple(shape) if shape else config_test_size(cfg)
    model = build_segmentor(cfg)
    row = dict(config=osp.basename(config), input_size=list(shape))
    # FLOPs first, for every config alike: its large traced forward grows the
    # process heap, after which CPU inference measured ~2.5x faster than in a
    # fresh process (glibc allocator state), so configs are timed alike
    info = get_model_complexity_info(model, input_shape=(3, *shape),
                                     show_table=False, show_arch=False)
    row.update(params=int(info['params']), flops=int(info['flops']))
    devices = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])
    for device in devices:
        model.to(device)
        row[f'mem_mib_{device}'] = round(
            peak_memory_mib(config, shape, device), 1)
        ms = latency_ms(model, shape, device, warmup, repeat)
        row[f'latency_ms_{device}'] = round(ms, 2)
        row[f'fps_{device}'] = round(1000 / ms, 2)
    model.to('cpu')
    if checkpoint and data_root:
        row['mIoU'] = evaluate(config, checkpoint, data_root, tta=False)
        row['mIoU_ms_flip'] = evaluate(config, checkpoint, data_root, True)
    return row


def markdown(report: Dict) -> str:
    m = report['machine']
    gpu = f', GPU {m["gpu"]}' if m['gpu'] else ', no GPU'
    lines = [
        f'Measured by `cgnet-mm benchmark` on {m["cpu"]} ({m["cores"]} '
        f'cores, {m["threads"]} torch threads{gpu}), torch {m["torch"]}; '
        'batch 1, median after warm-up.', '',
        '| Config | Input | Params | FLOPs | Mem (MiB) | Inf time (ms) | '
        'fps | mIoU | mIoU(ms+flip) |', '|' + ' --- |' * 9
    ]
    dev = 'cuda' if m['gpu'] else 'cpu'
    for r in report['results']:
        miou = r.get('mIoU')
        lines.append(
            f'| {r["config"][:-3]} | {r["input_size"][0]}x'
            f'{r["input_size"][1]} | {r["params"] / 1e6:.3f} M | '
            f'{r["flops"] / 1e9:.2f} G | {r[f"mem_mib_{dev}"]:.0f} | '
            f'{r[f"latency_ms_{dev}"]:.1f} | {r[f"fps_{dev}"]:.2f} | ' +
            (f'{miou:.2f} | {r["mIoU_ms_flip"]:.2f} |'
             if miou is not None else '- | - |'))
    return '\n'.join(lines) + '\n'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='cgnet-mm benchmark', description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+', metavar='CONFIG')
    parser.add_argument('--checkpoint', nargs='+', default=[],
                        help='one per config, for the mIoU columns')
    parser.add_argument('--data-root', help='dataset for the mIoU columns')
    parser.add_argument('--shape', nargs=2, type=int, metavar=('H', 'W'),
                        help='input size (default: the config test size)')
    parser.add_argument('--threads', type=int,
                        help="torch CPU threads (default: torch's own, "
                        'torch.get_num_threads())')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--repeat', type=int, default=10)
    parser.add_argument('--out', default='benchmarks/results.json',
                        help='JSON file; the Markdown table goes beside it')
    parser.add_argument('--update-readme', metavar='README',
                        help='rewrite the table block in this file')
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> Dict:
    if args.checkpoint and len(args.checkpoint) != len(args.configs):
        raise CheckError(f'{len(args.checkpoint)} checkpoints for '
                         f'{len(args.configs)} configs; give one per config')
    if args.checkpoint and not args.data_root:
        raise CheckError('--checkpoint needs --data-root for the mIoU columns')
    if args.warmup < 0 or args.repeat < 1:
        raise CheckError('--warmup must be >= 0 and --repeat >= 1')
    if args.data_root and not osp.isdir(args.data_root):
        raise CheckError(f'data root {args.data_root!r} does not exist')
    check_writable(args.out)
    if args.update_readme and not osp.isfile(args.update_readme):
        raise CheckError(f'--update-readme {args.update_readme!r}: no such '
                         'file')
    import torch

    from cgnet_mm.utils.report import machine_info, write_report
    threads = (torch.get_num_threads() if args.threads is None
               else args.threads)
    torch.set_num_threads(threads)
    results: List[Dict] = []
    for i, config in enumerate(args.configs):
        print(f'[{i + 1}/{len(args.configs)}] {config}', flush=True)
        ckpt = args.checkpoint[i] if args.checkpoint else None
        results.append(benchmark_config(config, ckpt, args.data_root,
                                        args.shape, args.warmup, args.repeat))
    report = dict(machine=machine_info(threads), results=results)
    write_report(report, markdown(report), args.out, args.update_readme)
    return report


@cli
def main(argv: Optional[Sequence[str]] = None) -> None:
    run(parse_args(argv))


if __name__ == '__main__':
    main()
