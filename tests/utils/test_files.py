"""file_stamp, the key of the per-process memos (file hashes, a checked
checkpoint, dataset samples that passed)."""
import os

from cgnet_mm.utils.files import file_stamp


def test_two_names_of_one_file_share_a_stamp(tmp_path):
    path = tmp_path / 'a.pth'
    path.write_bytes(b'12345')
    link = tmp_path / 'b.pth'
    link.symlink_to(path)
    assert file_stamp(str(link)) == file_stamp(str(path))
    assert file_stamp(str(path))[:2] == (os.path.realpath(path), 5)


def test_rewritten_file_gets_a_new_stamp(tmp_path):
    path = tmp_path / 'a.pth'
    path.write_bytes(b'12345')
    before = file_stamp(str(path))
    path.write_bytes(b'54321')  # same size: only the mtime tells them apart
    os.utime(path, ns=(before[2] + 1, before[2] + 1))
    assert file_stamp(str(path)) != before
