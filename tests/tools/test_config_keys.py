"""Misspelt config keys stop ``cgnet-mm train``/``test`` before the run
with one ``error:`` line and exit code 2."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.hooks import EMAHook

from cgnet_mm.utils.config_keys import (ConfigKeyError, accepted_args,
                                        check_config_keys, project_keys)
from cgnet_mm.tools.test import main as run_test_cli
from cgnet_mm.tools.train import main as run_train_cli
from tests.helpers import CONFIGS

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


def _child(tmp_path, body: str, base: str = CONFIG) -> Config:
    child = tmp_path / 'child.py'
    child.write_text(f'_base_ = [{base!r}]\n{body}\n')
    return Config.fromfile(str(child))


@pytest.mark.parametrize('body,replacement', [
    ("optimizer = dict(type='SGD', lr=0.01)", r'optim_wrapper\.optimizer'),
    ('optimizer_config = dict(grad_clip=None)', 'optim_wrapper'),
    ("runner = dict(type='IterBasedRunner', max_iters=2)",
     r"train_cfg: train_cfg = dict\(type='IterBasedTrainLoop'"),
    ("lr_config = dict(policy='poly', power=0.9)", 'param_scheduler'),
    ('checkpoint_config = dict(interval=2)', r'default_hooks\.checkpoint'),
    ('log_config = dict(interval=1)', r'default_hooks\.logger'),
    ("evaluation = dict(interval=2, metric='mIoU')",
     r'val_evaluator .* train_cfg\.val_interval'),
    ("workflow = [('train', 1)]", 'train_cfg and val_cfg'),
    ('data = dict(samples_per_gpu=2)',
     'train_dataloader, val_dataloader and test_dataloader'),
    ('seed = 42', r'randomness\.seed'),
    ('max_iters = 2', r'train_cfg\.max_iters'),
])
def test_mmseg_0x_key_names_its_replacement(tmp_path, body, replacement):
    key = body.split(' =')[0]
    with pytest.raises(ConfigKeyError, match=rf"^{key}=.*: '{key}' is an "
                       'MMSegmentation 0.x key that 1.x never reads; use '
                       f'{replacement}'):
        check_config_keys(_child(tmp_path, body))


def test_mmseg_0x_key_in_cfg_options(capsys):
    line = _error_line(capsys, run_train_cli, [
        CONFIG, '--cfg-options', 'optimizer.lr=0.01'])
    assert line == (
        "error: --cfg-options optimizer.lr=0.01: 'optimizer' is an "
        'MMSegmentation 0.x key that 1.x never reads; did you mean '
        'optim_wrapper.optimizer.lr=0.01?')


def test_0x_named_variables_copied_to_their_place_pass(tmp_path):
    # the shipped schedules' `optimizer` goes stale when a child changes
    # the learning rate; a variable copied where 1.x reads it is fine
    check_config_keys(_child(tmp_path, (
        'optim_wrapper = dict(optimizer=dict(lr=0.01))\n'
        'max_iters = 2\n'
        'train_cfg = dict(max_iters=max_iters)')))


def test_child_data_root_that_reaches_no_dataset(tmp_path):
    with pytest.raises(ConfigKeyError, match=(
            r"^data_root='/d/cs' reaches no dataset: the base config built "
            r"its datasets with data_root='data/cityscapes/' before this "
            r'config set it .*; pass --cfg-options '
            r'train_dataloader\.dataset\.data_root=/d/cs '
            r'val_dataloader\.dataset\.data_root=/d/cs '
            r'test_dataloader\.dataset\.data_root=/d/cs, or set data_root')):
        check_config_keys(_child(tmp_path, "data_root = '/d/cs'"))


def test_child_data_root_through_concat_dataset(tmp_path):
    base = osp.join(CONFIGS, 'cgnet_360x360_47k_camvid_trainval.py')
    with pytest.raises(ConfigKeyError, match=(
            r'--cfg-options train_dataloader\.dataset\.datasets\.0\.'
            r'data_root=/d/cv train_dataloader\.dataset\.datasets\.1\.'
            r'data_root=/d/cv ')):
        check_config_keys(_child(tmp_path, "data_root = '/d/cv'", base))


def test_child_data_root_used_by_a_dataset_passes(tmp_path):
    check_config_keys(_child(tmp_path, (
        "data_root = '/d/cs'\n"
        'train_dataloader = dict(dataset=dict(data_root=data_root))')))


@pytest.mark.parametrize('key,value,match', [
    ('train_cfg.max_iters', '6', r"train_cfg\.max_iters='6' is a str; it "
     r'must be an int: write train_cfg\.max_iters=6$'),
    ('train_cfg.val_interval', '2', r"train_cfg\.val_interval='2' is a str"),
    ('optim_wrapper.optimizer.lr', '1e-3', r"optim_wrapper\.optimizer\.lr="
     r"'1e-3' is a str; it must be a number: write "
     r'optim_wrapper\.optimizer\.lr=1e-3$'),
    ('model.decode_head.num_classes', '11',
     r"model\.decode_head\.num_classes='11' is a str; it must be an int"),
    ('default_hooks.checkpoint.interval', '3',
     r"default_hooks\.checkpoint\.interval='3' is a str"),
    ('train_dataloader.batch_size', 8.0, r'train_dataloader\.batch_size=8\.0 '
     r'is a float; it must be an int: write train_dataloader\.batch_size=8$'),
    ('train_dataloader.num_workers', 'two',
     r"train_dataloader\.num_workers='two' is a str; it must be an int$"),
    ('param_scheduler.0.power', '0.9',
     r"param_scheduler\[0\]\.power='0\.9' is a str; it must be a number"),
    ('param_scheduler.0.eta_min', '0',
     r"param_scheduler\[0\]\.eta_min='0' is a str; it must be a number or "
     'None'),
    ('param_scheduler.0.begin', 0.5,
     r'param_scheduler\[0\]\.begin=0\.5 is a float; it must be an int$'),
    ('param_scheduler.0.end', '6', r"param_scheduler\[0\]\.end='6' is a str"),
])
def test_wrong_value_type_fails_before_training(key, value, match):
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict({key: value})
    with pytest.raises(ConfigKeyError, match=match):
        check_config_keys(cfg)


def test_quoted_number_in_config_file_on_the_cli(tmp_path, capsys):
    child = tmp_path / 'child.py'
    child.write_text(f'_base_ = [{CONFIG!r}]\n'
                     "train_cfg = dict(max_iters='6')\n")
    line = _error_line(capsys, run_test_cli, [str(child), 'x.pth'])
    assert line == ("error: train_cfg.max_iters='6' is a str; it must be an "
                    'int: write train_cfg.max_iters=6')


@pytest.mark.parametrize('key,value,match', [
    ('optim_wrapper.optimizer.weight_decai', 0.1,
     r"optim_wrapper\.optimizer\.weight_decai=0\.1: Adam has no argument "
     r"'weight_decai'; did you mean optim_wrapper\.optimizer\.weight_decay"),
    ('train_dataloader.dataset.data_prefx', 'x',
     r"train_dataloader\.dataset\.data_prefx='x': CityscapesDataset has no "
     r"argument 'data_prefx'; did you mean train_dataloader\.dataset\."
     r'data_prefix'),
    ('param_scheduler.0.powr', 1.0,
     r"param_scheduler\[0\]\.powr=1\.0: PolyLR has no argument 'powr'; did "
     r'you mean param_scheduler\[0\]\.power=1\.0\?'),
])
def test_optimizer_dataset_scheduler_typos(key, value, match):
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict({key: value})
    with pytest.raises(ConfigKeyError, match=match):
        check_config_keys(cfg)


def test_dataset_typo_inside_concat_dataset():
    cfg = Config.fromfile(
        osp.join(CONFIGS, 'cgnet_360x360_47k_camvid_trainval.py'))
    cfg.merge_from_dict({'train_dataloader.dataset.datasets.1.img_sufix': 'x'})
    with pytest.raises(ConfigKeyError, match=(
            r"train_dataloader\.dataset\.datasets\[1\]\.img_sufix='x': "
            r"CamVidDataset has no argument 'img_sufix'")):
        check_config_keys(cfg)


def test_scheduler_builder_keys_are_accepted():
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict({'param_scheduler.0.convert_to_iter_based': True})
    check_config_keys(cfg)
