"""``cgnet-mm <tool> --help`` answers at once: the CLI imports torch, mmseg,
cv2 and matplotlib only when a subcommand runs. Checked by the modules a
``--help`` leaves imported, and by its CPU time (not wall time, which a
busy machine stretches)."""
import resource
import subprocess
import sys

import pytest

from cgnet_mm.tools.cli import COMMANDS
from tests.helpers import REPO

HEAVY = ('torch', 'mmseg', 'mmcv', 'cv2', 'matplotlib')
# prints the heavy modules that `cgnet-mm TOOL --help` imported
HELP = ('import sys\n'
        'from cgnet_mm.tools.cli import main\n'
        'try:\n'
        '    main([sys.argv[1], "--help"])\n'
        'except SystemExit as err:\n'
        '    assert err.code == 0, err.code\n'
        f'print(sorted(set({HEAVY!r}) & set(sys.modules)))\n')


@pytest.mark.parametrize('tool', sorted(COMMANDS))
def test_help_imports_nothing_heavy_and_takes_under_a_cpu_second(tool):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([sys.executable, '-c', HELP, tool], cwd=REPO,
                         check=True, capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    usage, heavy = out.rstrip().rsplit('\n', 1)
    assert usage.startswith(f'usage: cgnet-mm {tool} ')
    assert heavy == '[]'
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime -
                                                before.ru_stime)
    assert cpu < 1.0, f'`cgnet-mm {tool} --help` took {cpu:.2f} s of CPU'
