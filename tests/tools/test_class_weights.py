import glob
import math

import cv2
import numpy as np
import pytest

from cgnet_mm.utils import CheckError
from cgnet_mm.tools.class_weights import enet_weights, main


def test_known_histogram():
    # shares 0.5, 0.3, 0.2, 0.0
    weights = enet_weights([500, 300, 200, 0], c=1.10)
    expected = [1 / math.log(1.10 + p) for p in (0.5, 0.3, 0.2, 0.0)]
    assert np.allclose(weights, expected)
    assert weights[3] == pytest.approx(1 / math.log(1.10))  # the cap


def test_bad_constant():
    with pytest.raises(CheckError, match=r'c must be > 1 .*got 1\.0'):
        enet_weights([1, 2], c=1.0)


def test_cli_on_synthetic_camvid(camvid, capsys):
    main([camvid])
    out = capsys.readouterr().out.strip().splitlines()
    weights = [float(w) for w in out[-1][len('class_weight=['):-1].split(',')]
    assert len(weights) == 11
    assert out[0].split()[0] == 'Sky'
    labels = np.concatenate([
        cv2.imread(p, cv2.IMREAD_UNCHANGED).ravel()
        for p in glob.glob(f'{camvid}/trainannot/*.png')])
    counts = np.bincount(labels[labels != 11], minlength=11)
    assert np.allclose(weights, enet_weights(counts), atol=5e-5)


def test_cli_missing_split(camvid):
    with pytest.raises(SystemExit, match=r"error: CamVid folder '.*test'"):
        main([camvid, '--split', 'test'])
