"""What pip and mim see: the wheel's contents and mim's package path."""
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from cgnet_mm.utils.zoo import load_index
from tests.helpers import REPO


def _tracked_copy(dest):
    """The repository's tracked files (symlinks kept), so that no stale
    build/ folder of the working tree leaks into the wheel."""
    try:
        files = subprocess.run(['git', '-C', REPO, 'ls-files', '-z'],
                               check=True, capture_output=True,
                               text=True).stdout.split('\0')
    except (OSError, subprocess.CalledProcessError):
        pytest.skip('not a git checkout: cannot list the tracked files')
    for name in filter(None, files):
        src, dst = osp.join(REPO, name), dest / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if osp.islink(src):
            os.symlink(os.readlink(src), dst)
        else:
            shutil.copy2(src, dst)
    return dest


@pytest.mark.slow
def test_wheel_ships_package_configs_and_tools_only(tmp_path):
    source = _tracked_copy(tmp_path / 'src')
    subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '--no-deps',
         '--no-build-isolation', '-q', '-w', str(tmp_path), str(source)],
        check=True, capture_output=True)
    (wheel, ) = tmp_path.glob('cgnet_mm-*.whl')
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split('/')[0] for n in names}
    assert tops == {'cgnet_mm', wheel.name.split('-py')[0] + '.dist-info'}
    for shipped in ('cgnet_mm/.mim/configs/cgnet_512x1024_60k_cityscapes.py',
                    'cgnet_mm/.mim/configs/cgnet_680x680_60k_cityscapes.py',
                    'cgnet_mm/.mim/configs/_base_/models/cgnet_m3n21.py',
                    'cgnet_mm/.mim/configs/_base_/default_runtime.py',
                    'cgnet_mm/.mim/tools/train.py',
                    'cgnet_mm/.mim/tools/test.py',
                    'cgnet_mm/.mim/tools/convert.py',
                    'cgnet_mm/.mim/tools/download.py',
                    'cgnet_mm/.mim/tools/benchmark.py',
                    'cgnet_mm/.mim/model-index.yml',
                    'cgnet_mm/.mim/configs/cgnet/metafile.yaml',
                    'cgnet_mm/.mim/configs/cgnet_360x360_4k_camvid_cpu.py',
                    'cgnet_mm/.mim/tools/demo.py',
                    'cgnet_mm/.mim/tools/export.py',
                    'cgnet_mm/assets/camvid_demo.jpg'):
        assert shipped in names
    # only weights a user would choose ship (the zoo entries with a local
    # file), each <= 3 MB, in a wheel of <= 15 MB
    shipped = {f'cgnet_mm/{e["Weights"]}' for e in load_index().values()
               if '://' not in e.get('Weights', '://')}
    archive = zipfile.ZipFile(wheel)
    weights = {n for n in names if n.startswith('cgnet_mm/weights/')}
    assert weights == shipped and len(shipped) == 2
    assert max(archive.getinfo(n).file_size for n in weights) <= 3 * 2**20
    assert osp.getsize(wheel) <= 15 * 2**20


def test_mim_search_lists_the_zoo():
    search = pytest.importorskip('mim.commands.search')
    info = search.get_model_info('cgnet_mm', to_dict=True)
    assert set(info) == set(load_index())


def test_mim_finds_tools_and_configs():
    mim_utils = pytest.importorskip('mim.utils')
    root = mim_utils.get_installed_path('cgnet_mm')
    assert osp.isfile(osp.join(root, '.mim', 'tools', 'train.py'))
    assert osp.isfile(osp.join(root, '.mim', 'configs',
                               'cgnet_512x1024_60k_cityscapes.py'))


@pytest.mark.slow  # two interpreters importing every tool
def test_console_script_and_mim_run(tmp_path):
    bindir = osp.dirname(sys.executable)
    out = subprocess.run([osp.join(bindir, 'cgnet-mm'), 'convert', '-h'],
                         capture_output=True, text=True, check=True).stdout
    assert '--from {original,cgrseg,sgcpnet}' in out
    mim = osp.join(bindir, 'mim')
    if not osp.exists(mim):
        pytest.skip(f'{mim} not installed')
    proc = subprocess.run([mim, 'run', 'cgnet_mm', 'convert', '--from',
                           'original', str(tmp_path / 'missing.pth'),
                           str(tmp_path / 'out.pth')],
                          capture_output=True, text=True)
    assert re.search(r"error: checkpoint '.*missing\.pth' does not exist",
                     proc.stdout + proc.stderr)
    assert not (tmp_path / 'out.pth').exists()
