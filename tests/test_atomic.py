"""Atomic outputs: a failure never damages what was there before."""

import pytest

from pisar_data import atomic
from pisar_data.errors import UserError


LISTING = atomic.OUTPUT_LISTING


def test_output_dir_replaces_target_only_on_success(tmp_path):
    target = tmp_path / "pisar"
    with atomic.output_dir(target, "done.json") as tmp:
        (tmp / "done.json").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic.output_dir(target, "done.json") as tmp:
            (tmp / "new.txt").write_text("half")
            raise RuntimeError("stage failed")
    assert sorted(p.name for p in target.iterdir()) == [LISTING, "done.json"]
    assert (target / "done.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["pisar"], "temporary folder left behind"

    with atomic.output_dir(target, "done.json") as tmp:
        (tmp / "done.json").write_text("new")
        (tmp / "new.txt").write_text("complete")
    assert sorted(p.name for p in target.iterdir()) == [LISTING, "done.json", "new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["pisar"]


def test_an_earlier_output_holding_a_file_it_did_not_write_is_refused(tmp_path):
    target = tmp_path / "out"
    with atomic.output_dir(target, "done.json") as tmp:
        (tmp / "done.json").write_text("old")
    (target / "mine.txt").write_text("the user's")
    with pytest.raises(UserError, match="holds mine.txt that this command did not write"):
        atomic.check_replaceable(target, "done.json")
    (target / "mine.txt").unlink()
    with pytest.raises(UserError, match="holds .*done.json, an input"):
        atomic.check_replaceable(target, "done.json", inputs=[target / "done.json"])
    (target / LISTING).unlink()  # written before outputs listed their files: cannot tell ours from theirs
    with pytest.raises(UserError, match="older pisar"):
        atomic.check_replaceable(target, "done.json")


def test_output_dir_never_replaces_a_folder_it_did_not_write(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work")
    with pytest.raises(UserError, match=r"home: folder is not empty .*no done\.json"):
        with atomic.output_dir(home, "done.json") as tmp:
            (tmp / "done.json").write_text("new")
    assert [p.name for p in home.iterdir()] == ["thesis.tex"]
    with pytest.raises(UserError, match="not a folder"):
        atomic.check_replaceable(home / "thesis.tex", "done.json")

    empty = tmp_path / "empty"
    empty.mkdir()
    with atomic.output_dir(empty, "done.json") as tmp:
        (tmp / "done.json").write_text("new")
    assert sorted(p.name for p in empty.iterdir()) == [LISTING, "done.json"]


def test_output_without_its_marker_is_not_moved_into_place(tmp_path):
    with pytest.raises(AssertionError, match="done.json"):
        with atomic.output_dir(tmp_path / "out", "done.json") as tmp:
            (tmp / "other.txt").write_text("x")
    assert list(tmp_path.iterdir()) == []


def test_write_text_replaces_whole_file(tmp_path):
    path = tmp_path / "sub" / "manifest.json"
    atomic.write_text(path, "first")
    atomic.write_text(path, "second")
    assert path.read_text() == "second"
    assert sorted(p.name for p in path.parent.iterdir()) == ["manifest.json"]
