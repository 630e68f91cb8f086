import json

import cv2
import pytest

from cgnet_mm.tools.plot_log import main, read_scalars


def _write(path, records):
    path.parent.mkdir(parents=True)
    path.write_text('\n'.join(json.dumps(r) for r in records) + '\n')


def test_resumed_run_merged_and_plotted(tmp_path, capsys):
    _write(tmp_path / '20260101_000000' / 'vis_data' / 'scalars.json',
           [dict(loss=2.0, lr=1e-3, step=50), dict(loss=1.5, step=100),
            dict(mIoU=20.0, aAcc=50.0, step=100)])
    _write(tmp_path / '20260101_010000' / 'vis_data' / 'scalars.json',
           [dict(loss=1.0, step=150), dict(mIoU=30.0, step=200)])
    series = read_scalars(str(tmp_path))
    assert series == {'loss': {50: 2.0, 100: 1.5, 150: 1.0},
                      'mIoU': {100: 20.0, 200: 30.0}}
    main([str(tmp_path), '--out', str(tmp_path / 'c.png')])
    image = cv2.imread(str(tmp_path / 'c.png'))
    assert image.shape[1] > image.shape[0] > 100  # two panels side by side
    assert '3 loss points, 2 mIoU points' in capsys.readouterr().out


def test_not_a_work_dir(tmp_path):
    with pytest.raises(SystemExit, match=r'no \*/vis_data/scalars\.json '
                       r"under '.*'"):
        main([str(tmp_path)])


def test_log_that_is_not_json_lines(bad_input, tmp_path):
    log = tmp_path / '20260101_000000' / 'vis_data' / 'scalars.json'
    log.parent.mkdir(parents=True)
    log.write_text('loss: 1.5 at 50\nloss: 1.2 at 100\n')
    bad_input('plot-log: a scalars.json that is not JSON lines', main,
              [tmp_path],
              r"error: .*scalars\.json, line 1 is not a JSON object "
              r"\('loss: 1\.5 at 50'\): scalars\.json holds one JSON record "
              'a line')


def test_log_record_without_step(bad_input, tmp_path):
    _write(tmp_path / '20260101_000000' / 'vis_data' / 'scalars.json',
           [dict(loss=2.0, step=50), dict(mIoU=20.0, iter=100)])
    bad_input('plot-log: a scalars.json record without a step', main,
              [tmp_path],
              r'error: .*scalars\.json, line 2: mIoU and step should be '
              r"numbers, found mIoU=20\.0, no step; is it a scalars\.json "
              "written by mmengine's LocalVisBackend")


def test_unfinished_last_line_skipped(tmp_path):
    log = tmp_path / '20260101_000000' / 'vis_data' / 'scalars.json'
    _write(log, [dict(loss=2.0, step=50)])
    with open(log, 'a') as f:
        f.write('{"loss": 1.5, "st')
    assert read_scalars(str(tmp_path)) == {'loss': {50: 2.0}, 'mIoU': {}}
