"""Manifests, folders and globs become unique (id, absolute path) items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autodescribe.bulk.manifest import read_items
from autodescribe.errors import ConfigError


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """A dataset folder with videos in sub-folders and a non-video file beside them."""
    for name in ("a/one.mp4", "a/two.MOV", "b/three.webm", "b/notes.txt"):
        path = tmp_path / "data" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    return tmp_path / "data"


def test_csv_paths_are_relative_to_the_manifest(dataset: Path) -> None:
    manifest = dataset / "list.csv"
    manifest.write_text("id,path\nfirst,a/one.mp4\n,b/three.webm\n", encoding="utf-8")

    items = read_items(manifest)

    assert [i.id for i in items] == ["first", "b/three.webm"]
    assert items[0].path == str(dataset.resolve() / "a" / "one.mp4")
    assert items[1].path == str(dataset.resolve() / "b" / "three.webm")


def test_jsonl_manifest_keeps_absolute_paths(dataset: Path, tmp_path: Path) -> None:
    absolute = str(dataset / "a" / "two.MOV")
    manifest = tmp_path / "elsewhere" / "list.jsonl"
    manifest.parent.mkdir()
    manifest.write_text(json.dumps({"path": absolute, "id": 7}) + "\n\n", encoding="utf-8")

    items = read_items(manifest)

    assert [(i.id, i.path) for i in items] == [("7", absolute)]


def test_parquet_manifest(dataset: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    manifest = dataset / "list.parquet"
    pq.write_table(pa.table({"path": ["a/one.mp4", "b/three.webm"]}), manifest)

    items = read_items(manifest)

    assert [i.id for i in items] == ["a/one.mp4", "b/three.webm"]
    assert all(Path(i.path).is_absolute() for i in items)


def test_folder_finds_videos_recursively_by_extension(dataset: Path) -> None:
    items = read_items(dataset)

    assert [i.id for i in items] == ["a/one.mp4", "a/two.MOV", "b/three.webm"]


def test_glob_ids_are_relative_to_the_fixed_part(dataset: Path) -> None:
    items = read_items(f"{dataset}/**/*.mp4")

    assert [i.id for i in items] == ["a/one.mp4"]
    assert items[0].path == str((dataset / "a" / "one.mp4").resolve())


def test_duplicate_ids_are_refused(dataset: Path) -> None:
    manifest = dataset / "list.csv"
    manifest.write_text("id,path\nx,a/one.mp4\nx,b/three.webm\n", encoding="utf-8")

    with pytest.raises(ConfigError, match="'x' appears twice"):
        read_items(manifest)


def test_manifest_without_path_column_says_so(dataset: Path) -> None:
    manifest = dataset / "list.csv"
    manifest.write_text("file\na/one.mp4\n", encoding="utf-8")

    with pytest.raises(ConfigError, match="no 'path' column"):
        read_items(manifest)


def test_missing_input_and_empty_glob(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        read_items(tmp_path / "nothing")
    with pytest.raises(ConfigError, match="no files match"):
        read_items(f"{tmp_path}/*.mp4")
    with pytest.raises(ConfigError, match="no such manifest"):
        read_items(tmp_path / "missing.csv")
