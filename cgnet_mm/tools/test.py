"""Evaluate a checkpoint on a config's test set (``mim test cgnet_mm ...``).

Arguments follow MMSegmentation's ``tools/test.py``; ``--tta`` runs the
config's ms+flip ``tta_pipeline``.
"""
import argparse
from typing import Optional, Sequence

from cgnet_mm.tools.args import add_runner_args, check_out_dir, runner_config
from cgnet_mm.utils import CheckError, cli


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='cgnet-mm test', description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file or URL')
    parser.add_argument('--work-dir', help='where the metrics log goes')
    parser.add_argument('--out', help='save predictions (as PNGs) here')
    parser.add_argument('--show-dir', help='save prediction overlays here')
    parser.add_argument('--tta', action='store_true',
                        help='multi-scale + flip test-time augmentation')
    add_runner_args(parser)
    return parser.parse_args(argv)


def build_test_config(args: argparse.Namespace):
    """The checked config the runner will test with."""
    # imported on use (torch, mmengine, mmseg): keeps `--help` fast
    from cgnet_mm.datasets import check_data
    from cgnet_mm.utils.config import check_checkpoint
    cfg = runner_config(args)
    for option, folder in (('--out', args.out),
                           ('--show-dir', args.show_dir)):
        if folder:
            check_out_dir(option, folder)
    check_checkpoint(cfg, args.checkpoint)
    check_data(cfg, ('test_dataloader', ))
    cfg.load_from = args.checkpoint
    if args.tta:
        if 'tta_pipeline' not in cfg or 'tta_model' not in cfg:
            raise CheckError(f'{args.config} defines no tta_pipeline/'
                             'tta_model, so --tta cannot be used with it')
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
    if args.show_dir:
        vis = cfg.default_hooks.visualization
        vis.update(draw=True, interval=1)
        cfg.visualizer['save_dir'] = args.show_dir
    return cfg


@cli
def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    from cgnet_mm.tools.dist import build_runner
    cfg = build_test_config(args)
    build_runner(cfg).test()


if __name__ == '__main__':
    main()
