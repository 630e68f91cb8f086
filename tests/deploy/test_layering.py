"""cgnet_mm.deploy sits below cgnet_mm.apis: the API imports the fast
paths, so nothing in the deploy package may import the API back (the
calibration images and the check image once did, inside functions)."""
import subprocess
import sys

from tests.conftest import REPO

CODE = """
import sys
import cgnet_mm.deploy.accuracy
from cgnet_mm.deploy import openvino_export
from cgnet_mm.deploy.fast import calibration_images
from cgnet_mm.deploy.onnx_export import real_looking_input
calibration_images()
real_looking_input((8, 8))
print(sorted(m for m in sys.modules if m.startswith('cgnet_mm.apis')))
"""


def test_deploy_does_not_import_apis():
    out = subprocess.run([sys.executable, '-c', CODE], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    assert out.strip() == '[]'
