"""Misspelt config keys stop ``cgnet-mm train``/``test`` before the run
with one ``error:`` line and exit code 2."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.hooks import EMAHook

from cgnet_mm.tools.config_keys import (ConfigKeyError, accepted_args,
                                        check_config_keys, project_keys)
from cgnet_mm.tools.test import main as run_test_cli
from cgnet_mm.tools.train import main as run_train_cli
from tests.conftest import CONFIGS

CONFIG = osp.join(CONFIGS, 'cgnet_512x1024_60k_cityscapes.py')


def _error_line(capsys, run, argv) -> str:
    with pytest.raises(SystemExit) as exc:
        run(argv)
    assert exc.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize('config', sorted(glob.glob(f'{CONFIGS}/*.py')))
def test_shipped_configs_pass(config):
    check_config_keys(Config.fromfile(config))


def test_hook_typo_caught_before_training(capsys):
    # CheckpointHook keeps unknown keys in **kwargs for save_checkpoint,
    # which fails only at the first save
    line = _error_line(capsys, run_train_cli, [
        CONFIG, '--cfg-options', 'default_hooks.checkpoint.intervall=1'])
    assert line == (
        'error: default_hooks.checkpoint.intervall=1: CheckpointHook has no '
        "argument 'intervall'; did you mean "
        'default_hooks.checkpoint.interval=1?')


def test_top_level_typo_in_cfg_options(capsys):
    line = _error_line(capsys, run_train_cli, [
        CONFIG, '--cfg-options', 'train_cgf.max_iters=2'])
    assert line == (
        "error: --cfg-options train_cgf.max_iters=2: mmengine's Runner and "
        "cgnet_mm never read a top-level 'train_cgf'; did you mean "
        'train_cfg.max_iters=2?')


def test_top_level_typo_in_config_file(tmp_path, capsys):
    child = tmp_path / 'child.py'
    child.write_text(f'_base_ = [{CONFIG!r}]\n'
                     'train_cgf = dict(max_iters=2)\n')
    line = _error_line(capsys, run_test_cli, [str(child), 'x.pth'])
    assert line == ("error: train_cgf={'max_iters': 2}: nothing reads a "
                    "top-level 'train_cgf'; did you mean train_cfg? "
                    '(rename it in the config)')


def test_config_variable_in_cfg_options_changes_nothing():
    cfg = Config.fromfile(CONFIG)
    with pytest.raises(ConfigKeyError, match=r"--cfg-options crop_size="
                       r"\(256, 256\): 'crop_size' is a config variable, "
                       'already copied where the config uses it; set the '
                       'keys that use it instead'):
        check_config_keys(cfg, {'crop_size': (256, 256)})


def test_own_config_variables_are_allowed():
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict({'val_pipeline': [], 'my_scale': 2})
    check_config_keys(cfg)
    assert {'crop_size', 'train_pipeline', 'num_gpus'} <= project_keys()


def test_backbone_typo_names_the_argument(capsys):
    line = _error_line(capsys, run_train_cli, [
        CONFIG, '--cfg-options', 'model.backbone.num_channelz=[8,16,32]'])
    assert line == (
        'error: model.backbone.num_channelz=[8, 16, 32]: CGNet has no '
        "argument 'num_channelz'; did you mean "
        'model.backbone.num_channels=[8, 16, 32]?')


def test_head_kwargs_followed_to_base_decode_head():
    cfg = Config.fromfile(CONFIG)
    # FCNHead(**kwargs) -> BaseDecodeHead: its arguments are accepted ...
    cfg.merge_from_dict({'model.decode_head.dropout_ratio': 0.1,
                         'model.decode_head.ignore_index': 255})
    check_config_keys(cfg)
    # ... and a key neither takes is not
    cfg.merge_from_dict({'model.decode_head.num_clases': 19})
    with pytest.raises(ConfigKeyError, match=r"model\.decode_head\."
                       r"num_clases=19: FCNHead has no argument 'num_clases'"
                       r'; did you mean model\.decode_head\.num_classes=19'):
        check_config_keys(cfg)


def test_loss_typo_under_the_head():
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict({'model.decode_head.loss_decode.loss_weigth': 1.0})
    with pytest.raises(ConfigKeyError, match=r'model\.decode_head\.'
                       r'loss_decode\.loss_weigth=1\.0: CrossEntropyLoss'):
        check_config_keys(cfg)


def test_kwargs_that_go_elsewhere_are_not_judged():
    # EMAHook passes **kwargs to its EMA model class
    assert accepted_args(EMAHook) is None
    cfg = Config.fromfile(CONFIG)
    cfg.custom_hooks = [dict(type='EMAHook', momentum=0.001)]
    check_config_keys(cfg)
