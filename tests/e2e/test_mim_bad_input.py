"""Tools run by mim give the same single ``error:`` line (then mim's own
``CalledProcessError`` naming the child's exit status 2)."""
import os
import os.path as osp
import subprocess
import sys

import pytest

from tests.helpers import REPO, record_bad_input

MIM = osp.join(osp.dirname(sys.executable), 'mim')

pytestmark = pytest.mark.e2e


@pytest.mark.bad_input
@pytest.mark.skipif(not osp.exists(MIM), reason=f'{MIM} not installed')
def test_mim_run_demo_on_a_folder_without_images(tmp_path):
    args = ['run', 'cgnet_mm', 'demo', str(tmp_path), '--out',
            str(tmp_path / 'seg')]
    proc = subprocess.run([MIM, *args], capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, PYTHONPATH=REPO))
    errors = [line for line in proc.stderr.splitlines()
              if line.startswith('error:')]
    assert errors == [f"error: folder '{tmp_path}' holds no images (.png, "
                      '.jpg, .jpeg, .bmp, .tif, .tiff, .webp); give a folder '
                      'of images, a video file or an image'], \
        proc.stderr[-3000:]
    assert proc.returncode != 0
    assert 'returned non-zero exit status 2' in proc.stderr
    record_bad_input('mim run demo: a folder with no images',
                     ' '.join(['mim', *args]), errors[0], tmp_path)
