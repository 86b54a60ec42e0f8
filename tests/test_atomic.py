"""Atomic outputs: a failure never damages what was there before."""

import pytest

from pisar_data import atomic


def test_output_dir_replaces_target_only_on_success(tmp_path):
    target = tmp_path / "pisar"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic.output_dir(target) as tmp:
            (tmp / "new.txt").write_text("half")
            raise RuntimeError("stage failed")
    assert sorted(p.name for p in target.iterdir()) == ["old.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["pisar"], "temporary folder left behind"

    with atomic.output_dir(target) as tmp:
        (tmp / "new.txt").write_text("complete")
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["pisar"]


def test_write_text_replaces_whole_file(tmp_path):
    path = tmp_path / "sub" / "manifest.json"
    atomic.write_text(path, "first")
    atomic.write_text(path, "second")
    assert path.read_text() == "second"
    assert sorted(p.name for p in path.parent.iterdir()) == ["manifest.json"]
