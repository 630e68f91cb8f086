"""docs/custom_dataset.md as a user meets it: its commands, read from the
page's bash blocks, run as written from a checkout-like folder holding a
tiny synthetic dataset in the page's layout (only the runs are cut to two
iterations); the code and the error message it quotes match the example
files and the real label check."""
import glob
import importlib
import json
import os
import os.path as osp
import re
import shutil
import sys

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmseg.registry import DATASETS

from cgnet_mm.datasets import DatasetFileError
from tests.e2e.helpers import run_ok
from tests.helpers import REPO

DOC = osp.join(REPO, 'docs', 'custom_dataset.md')
EXAMPLE = osp.join(REPO, 'examples', 'custom_dataset')
CONFIG = 'examples/custom_dataset/cgnet_my_dataset.py'
WORK = 'work_dirs/cgnet_my_dataset'
# the tools the page runs, in its order
TOOLS = ['cgnet-mm class-weights', 'cgnet-mm train', 'cgnet-mm test',
         'cgnet-mm demo', 'mim train', 'mim test']
# appended to the page's train and test commands: two iterations, one
# validation and checkpoint, batch 2, no loader processes
SPEED = {
    'train': ' --cfg-options train_cfg.max_iters=2 train_cfg.val_interval=2'
             ' default_hooks.checkpoint.interval=2'
             ' train_dataloader.batch_size=2 train_dataloader.num_workers=0'
             ' train_dataloader.persistent_workers=False'
             ' val_dataloader.num_workers=0'
             ' val_dataloader.persistent_workers=False',
    'test': ' --cfg-options test_dataloader.num_workers=0'
            ' test_dataloader.persistent_workers=False',
}


def read_doc() -> str:
    with open(DOC) as f:
        return f.read()


def blocks(language: str) -> list:
    """The page's fenced code blocks in ``language``."""
    return re.findall(rf'^```{language}\n(.*?)^```', read_doc(),
                      flags=re.S | re.M)


def doc_commands() -> list:
    """Every command line of the page's bash blocks, in order."""
    return [line.strip() for block in blocks('bash')
            for line in block.splitlines()
            if line.strip() and not line.strip().startswith('#')]


def write_pair(root: str, split: str, stem: str, label: np.ndarray,
               rng) -> None:
    """An image and its label in the page's layout under ``root``."""
    img = rng.integers(0, 256, size=(*label.shape, 3)).astype(np.uint8)
    for kind, name, data in (('images', stem + '.jpg', img),
                             ('labels', stem + '.png', label)):
        os.makedirs(osp.join(root, kind, split), exist_ok=True)
        cv2.imwrite(osp.join(root, kind, split, name), data)


def make_checkout(tmp_path) -> str:
    """A folder standing in for the repository root: a copy of the example
    (the test pastes class weights into it), the configs, and 64x64 images
    in data/my_dataset (4 train, 2 val) with classes 0-2 and an ignored
    (255) top border."""
    shutil.copytree(EXAMPLE, tmp_path / 'examples' / 'custom_dataset')
    os.symlink(osp.join(REPO, 'configs'), tmp_path / 'configs')
    rng = np.random.default_rng(0)
    for split, numbers in (('train', range(1, 5)), ('val', range(5, 7))):
        for i in numbers:
            label = np.kron(rng.integers(0, 3, size=(8, 8)),
                            np.ones((8, 8), dtype=int)).astype(np.uint8)
            label[:4] = 255
            write_pair(str(tmp_path / 'data' / 'my_dataset'), split,
                       f'{i:04d}', label, rng)
    return str(tmp_path)


def paste_weights(config: str, printed: str) -> list:
    """What the page asks after class-weights: its printed list replaces
    ``class_weight=None`` in the config. Returns the weights."""
    found = re.search(r'^class_weight=\[(.*)\]$', printed, flags=re.M)
    assert found, printed[-2000:]
    with open(config) as f:
        text = f.read()
    assert text.count('class_weight=None') == 1
    with open(config, 'w') as f:
        f.write(text.replace('class_weight=None', found.group(0)))
    return [float(w) for w in found.group(1).split(',')]


@pytest.mark.e2e
@pytest.mark.slow
def test_doc_commands_run_as_written(tmp_path):
    root = make_checkout(tmp_path)
    env = dict(os.environ, PWD=root, PATH=osp.dirname(sys.executable) +
               os.pathsep + os.environ['PATH'])
    exports, out = [], {}
    for command in doc_commands():
        if command.startswith('export '):
            exports.append(command)
            continue
        words = command.split()
        tool = ' '.join(words[:2])
        script = '\n'.join(exports + [command + SPEED.get(words[1], '')])
        out[tool] = run_ok(['bash', '-ec', script], root, env)
        if tool == 'cgnet-mm class-weights':
            weights = paste_weights(osp.join(root, CONFIG), out[tool])
    assert list(out) == TOOLS

    assert len(weights) == 3
    trained = Config.fromfile(osp.join(root, WORK, 'cgnet_my_dataset.py'),
                              import_custom_modules=False)
    assert trained.model.decode_head.loss_decode.class_weight == \
        pytest.approx(weights)
    assert osp.isfile(osp.join(root, WORK, 'iter_2.pth'))
    for tool in ('cgnet-mm test', 'mim test'):
        assert re.search(r'mIoU: \d+\.\d+', out[tool]), out[tool][-3000:]
    metrics = glob.glob(osp.join(root, WORK, '*', '*.json'))
    assert len(metrics) == 2
    for path in metrics:
        with open(path) as f:
            assert 'mIoU' in json.load(f)
    overlay = cv2.imread(osp.join(root, 'my_demo.png'))
    assert overlay is not None and overlay.shape == (64, 64, 3)
    assert osp.isfile(osp.join(root, 'my_demo_legend.png'))


def test_doc_code_is_the_example_code():
    with open(osp.join(EXAMPLE, 'my_dataset.py')) as f:
        lines = {line.strip() for line in f}
    with open(osp.join(EXAMPLE, 'cgnet_my_dataset.py')) as f:
        lines |= {line.strip() for line in f}
    quoted = [line.strip() for block in blocks('python')
              for line in block.splitlines() if line.strip()]
    assert quoted
    assert [line for line in quoted if line not in lines] == []


def test_bad_label_value_named_as_the_doc_says(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(EXAMPLE)
    importlib.import_module('my_dataset')
    label = np.zeros((64, 64), dtype=np.uint8)
    label[0, :5] = 7
    write_pair('data/my_dataset', 'train', '0001', label,
               np.random.default_rng(0))
    with pytest.raises(DatasetFileError,
                       match=r"labels/train/0001\.png' holds value 7 \(5 px\)"
                       r'; expected class ids 0-2 or 255 \(ignored\)') as err:
        DATASETS.build(dict(
            type='MyDataset', data_root='data/my_dataset/',
            data_prefix=dict(img_path='images/train',
                             seg_map_path='labels/train')))
    assert f'error: {err.value}\n' in read_doc()
