"""The one place CLI errors become an ``error:`` line and exit status 2."""
import subprocess
import sys

import pytest

from cgnet_mm.tools.cli import main as cgnet_mm_cli
from cgnet_mm.utils import UserError, cli
from tests.helpers import REPO


def test_user_error_is_one_line_and_status_2(capsys):
    @cli
    def main(argv=None):
        raise UserError('class `EncoderDecoder` in mmseg/x.py: class `CGNet` '
                        'in cgnet_mm/y.py: bad value')

    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    assert capsys.readouterr().err == 'error: bad value\n'


def test_other_errors_are_not_hidden():
    @cli
    def main(argv=None):
        raise KeyError('a bug')

    with pytest.raises(KeyError):
        main()


def test_unknown_command(bad_input):
    bad_input('cgnet-mm: an unknown command', cgnet_mm_cli, ['trian'],
              "error: unknown command 'trian'")


@pytest.mark.slow  # an interpreter importing every tool
def test_process_exit_status_is_2(tmp_path):
    proc = subprocess.run(
        [sys.executable, '-m', 'cgnet_mm.tools.cli', 'demo', str(tmp_path)],
        capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == (
        f"error: folder '{tmp_path}' holds no images (.png, .jpg, .jpeg, "
        '.bmp, .tif, .tiff, .webp); give a folder of images, a video file '
        'or an image')
