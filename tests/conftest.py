"""Fixtures and hooks; the helpers the tests share are in tests/helpers.py."""
import os.path as osp
import re

import pytest
from mmseg.utils import register_all_modules

import cgnet_mm.registry  # noqa: F401  (the scope, the safe loaders)
from tests.helpers import (REPO, RECORDED, make_camvid, make_cityscapes,
                           record_bad_input, serve_directory, tool_name,
                           write_bad_inputs_doc)

# configs name mmseg's modules without a scope, as `mim train` resolves them
register_all_modules(init_default_scope=True)


@pytest.fixture
def camvid(tmp_path):
    return make_camvid(str(tmp_path / 'camvid'))


@pytest.fixture
def cityscapes(tmp_path):
    return make_cityscapes(str(tmp_path / 'cityscapes'))


@pytest.fixture
def http_folder(tmp_path):
    """(folder, base URL) of an HTTP server on 127.0.0.1 serving a folder."""
    root = tmp_path / 'www'
    root.mkdir()
    with serve_directory(str(root)) as url:
        yield root, url


def pytest_collection_modifyitems(config, items):
    for item in items:
        if 'bad_input' in getattr(item, 'fixturenames', ()):
            item.add_marker(pytest.mark.bad_input)


def pytest_sessionfinish(session, exitstatus):
    """Writes the recorded bad-input cases into docs/bad_inputs.md: all of
    them when the run was ``-m bad_input`` over the whole suite and passed,
    else merged into the rows there."""
    if not RECORDED:
        return
    whole = {osp.normpath(osp.join(str(session.config.invocation_params.dir),
                                   a)) for a in session.config.args}
    complete = session.config.getoption('markexpr') == 'bad_input' and \
        exitstatus == 0 and whole <= {REPO, osp.join(REPO, 'tests')}
    write_bad_inputs_doc(complete)


@pytest.fixture
def bad_input(capsys, tmp_path):
    """``check(case, main, argv, match)`` runs a tool's ``main(argv)`` and
    asserts exit status 2 and exactly one ``error:`` line on stderr
    matching ``match``; records the case for docs/bad_inputs.md and
    returns the message (the error line and any lines after it)."""

    def check(case: str, main, argv, match: str) -> str:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exc:
            main([str(a) for a in argv])
        err = capsys.readouterr().err
        assert exc.value.code == 2, err
        lines = [line for line in err.splitlines()
                 if line.startswith('error:')]
        assert len(lines) == 1, err
        message = err[err.index('error:'):].rstrip()
        assert re.search(match, message, re.S), message
        command = ' '.join(['cgnet-mm'] + [tool_name(main)] * bool(
            tool_name(main)) + [str(a) for a in argv])
        record_bad_input(case, command, message, tmp_path)
        return message

    return check
