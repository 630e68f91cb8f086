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
def test_mim_run_demo_on_a_folder(tmp_path):
    args = ['run', 'cgnet_mm', 'demo', str(tmp_path), '--out',
            str(tmp_path / 'o.png')]
    proc = subprocess.run([MIM, *args], capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, PYTHONPATH=REPO))
    errors = [line for line in proc.stderr.splitlines()
              if line.startswith('error:')]
    assert errors == [f"error: image '{tmp_path}' is a folder; give an "
                      'image file'], proc.stderr[-3000:]
    assert proc.returncode != 0
    assert 'returned non-zero exit status 2' in proc.stderr
    record_bad_input('mim run demo: a folder as the image',
                     ' '.join(['mim', *args]), errors[0], tmp_path)
