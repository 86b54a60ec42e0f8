"""`pisar publish DIR --repo ORG/NAME [--private] [--dry-run]`: verify a dataset folder, then upload it to the Hub.

Verification comes first and refuses the folder (UserError naming the file) unless:
- every file matches the SHA-256 and size in ``build/manifest.json``, and no file is missing or unlisted;
- every ``data/*.parquet`` has exactly the schema ``pisar_data.schema.ARROW_SCHEMA`` (metadata ignored)
  and the row count the manifest records for it; the manifest's ``splits`` and the card's
  ``dataset_info`` (split sizes, features) agree with the files;
- no forbidden field (``pisar_data.schema.FORBIDDEN_FIELDS``) is a column, a card feature or a JSON key;
- no personal-data pattern (``pisar_data.pii.find_pii``) is in a free-text column or an example row of the card.

The upload is one commit (version and row counts in its message) with only the files whose content
differs from the Hub's, plus the deletion of stale ``data/`` and ``build/`` files. Folders above
``PublishConfig.single_commit_max_bytes`` go through ``HfApi.upload_folder``, which in huggingface_hub
2.x is the resumable multi-commit upload for large folders. The token comes from ``HF_TOKEN`` or
``hf auth login`` and is never printed or written. After the upload the remote file list and sizes
are checked against the folder.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curation.build import MANIFEST
from pisar_data.atomic import OUTPUT_LISTING
from pisar_data.errors import UserError
from pisar_data.hashing import sha256_file
from pisar_data.schema import SPLITS
from pisar_data.user_files import read_json, read_text

# Remote files under these folders that the local folder no longer has are deleted by the upload,
# so that a rebuild with fewer shards does not leave stale shards matched by `data/train-*`.
MANAGED_FOLDERS = ("data/", "build/")
# Free-text columns written by people or read off screens, where personal data could hide. Identifier
# and vocabulary columns (context_id is a site domain such as "amazon.com") are not scanned.
PII_TEXT_COLUMNS = ("persona", "intent", "screen_text", "action", "rationale")
REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass
class PublishConfig:
    """How `pisar publish` uploads.

    single_commit_max_bytes: folders up to 5 GiB (the reference corpus with embedded screenshots is a
        few GB) are uploaded in one `create_commit`; larger ones through `upload_folder`'s resumable
        pipeline, which may split the upload into several commits.
    """

    single_commit_max_bytes: int = 5 * 2**30


@dataclass
class LocalFile:
    path: str  # relative, POSIX
    bytes: int
    sha256: str


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise UserError(f"{path}: build manifest not found; expected a dataset folder written by `pisar build`")
    manifest = read_json(path, "the build manifest `pisar build` writes")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict) or not isinstance(manifest.get("splits"), dict):
        raise UserError(f"{path}: build manifest lacks 'files' or 'splits'; expected the manifest `pisar build` writes")
    return manifest


def _check_integrity(folder: Path, manifest: dict[str, Any]) -> list[LocalFile]:
    listed: dict[str, dict] = manifest["files"]
    on_disk = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    for relpath in on_disk:
        if relpath not in (MANIFEST, OUTPUT_LISTING) and relpath not in listed:
            raise UserError(f"{folder / relpath}: file not listed in {MANIFEST}; expected only files written by the build")
    files = []
    for relpath, entry in sorted(listed.items()):
        path = folder / relpath
        if not path.is_file():
            raise UserError(f"{path}: listed in {MANIFEST} but missing")
        size = path.stat().st_size
        if size != entry.get("bytes"):
            raise UserError(f"{path}: {size:,} bytes, but {MANIFEST} says {entry.get('bytes')}; the file changed after the build")
        sha256 = sha256_file(path)
        if sha256 != entry.get("sha256"):
            raise UserError(f"{path}: SHA-256 does not match {MANIFEST}; the file changed after the build")
        files.append(LocalFile(relpath, size, sha256))
    if "README.md" not in listed:
        raise UserError(f"{folder / 'README.md'}: dataset card missing; expected the README.md `pisar build` writes")
    if not any(f.path.startswith("data/") and f.path.endswith(".parquet") for f in files):
        raise UserError(f"{folder / 'data'}: no parquet files; expected data/{{train,validation,test}}-*.parquet")
    files.append(LocalFile(MANIFEST, (folder / MANIFEST).stat().st_size, sha256_file(folder / MANIFEST)))
    return files


def _forbidden(names: list[str]) -> str | None:
    from pisar_data.schema import FORBIDDEN_FIELDS

    forbidden = {f.lower() for f in FORBIDDEN_FIELDS}
    return next((n for n in names if n.lower() in forbidden), None)


def _field_names(fields) -> list[str]:
    """Names of pyarrow fields and of their nested struct/list children."""
    import pyarrow as pa

    names = []
    for field in fields:
        names.append(field.name)
        kind = field.type
        while pa.types.is_list(kind) or pa.types.is_large_list(kind):
            kind = kind.value_type
        if pa.types.is_struct(kind):
            names += _field_names(list(kind))
    return names


def _check_parquet(folder: Path, relpath: str) -> int:
    """Schema, forbidden fields and personal data of one shard; returns its number of rows."""
    import pyarrow.parquet as pq

    from pisar_data.pii import find_pii
    from pisar_data.schema import ARROW_SCHEMA

    path = folder / relpath
    try:
        schema = pq.read_schema(path)
    except Exception as error:  # pyarrow raises several types for a damaged file
        raise UserError(f"{path}: not a readable parquet file ({error.__class__.__name__})") from None
    name = _forbidden(_field_names(schema))
    if name:
        raise UserError(f"{path}: forbidden field {name!r}; such fields must never be published")
    actual = [(f.name, f.type) for f in schema]
    expected = [(f.name, f.type) for f in ARROW_SCHEMA]
    if actual != expected:
        (e_name, e_type), (a_name, a_type) = next(((e, a) for e, a in zip(expected, actual) if e != a), ((None, None), (None, None)))
        if e_name is None:
            detail = f"{len(actual)} columns, expected {len(expected)}"
        elif e_name == a_name:
            detail = f"column {a_name} is {a_type}, expected {e_type}"
        else:
            detail = f"column {a_name}: {a_type} where {e_name}: {e_type} was expected"
        raise UserError(f"{path}: schema differs from pisar_data.schema.ARROW_SCHEMA ({detail})")
    table = pq.read_table(path, columns=["id", *PII_TEXT_COLUMNS])
    ids = table.column("id").to_pylist()
    for column in PII_TEXT_COLUMNS:
        for row_id, value in zip(ids, table.column(column).to_pylist()):
            kinds = find_pii(value)
            if kinds:
                raise UserError(f"{path}: row {row_id}, column {column}: {', '.join(kinds)} found; "
                                "expected no personal data in published text")
    return table.num_rows


def _check_counts(folder: Path, manifest: dict[str, Any], rows: dict[str, int]) -> dict[str, int]:
    """Rows per file against the manifest's record of them and its split sizes; returns rows per split."""
    for relpath, n in rows.items():
        recorded = manifest["files"][relpath].get("rows")
        if recorded is not None and recorded != n:
            raise UserError(f"{folder / relpath}: {n:,} rows, but {MANIFEST} says {recorded:,}; the file changed after the build")
    per_split = {split: sum(n for relpath, n in rows.items() if Path(relpath).name.startswith(f"{split}-")) for split in SPLITS}
    for split, n in per_split.items():
        claimed = manifest["splits"].get(split, 0)
        if claimed != n:
            raise UserError(f"{folder / MANIFEST}: splits says {split} has {claimed:,} rows, but its data files hold {n:,}")
    return per_split


def _check_card_info(path: Path, info: Any, per_split: dict[str, int]) -> None:
    """The card's dataset_info against the files: a split entry per non-empty split, its size, the features."""
    import yaml

    from pisar_data.schema import FEATURES

    info = info if isinstance(info, dict) else {}
    claimed = {s.get("name"): s.get("num_examples") for s in info.get("splits") or [] if isinstance(s, dict)}
    for split in SPLITS:
        if claimed.get(split, 0) != per_split[split]:
            raise UserError(f"{path}: dataset_info says split {split} has {claimed.get(split, 0)} rows, but its data files hold {per_split[split]:,}; "
                            "the card changed after the build")
    expected = yaml.safe_load(yaml.safe_dump(FEATURES._to_yaml_list()))
    if info.get("features") != expected:
        raise UserError(f"{path}: dataset_info features differ from pisar_data.schema.FEATURES; the card changed after the build")


def _check_card(folder: Path, per_split: dict[str, int]) -> None:
    import yaml
    from huggingface_hub import DatasetCard

    from pisar_data.pii import find_pii

    path = folder / "README.md"
    text = read_text(path, "the dataset card `pisar build` writes")
    try:
        card = DatasetCard(text)
    except (ValueError, yaml.YAMLError) as error:
        raise UserError(f"{path}: card metadata is not valid YAML front matter ({error})") from None
    info = card.data.to_dict().get("dataset_info") or {}
    _check_card_info(path, info, per_split)
    features = info.get("features") or []

    def feature_names(items) -> list[str]:
        names = []
        for item in items if isinstance(items, list) else []:
            names.append(str(item.get("name", "")))
            names += feature_names(item.get("struct") or item.get("list") or [])
        return names

    name = _forbidden(feature_names(features) + re.findall(r'"([A-Za-z_]+)"\s*:', text))
    if name:
        raise UserError(f"{path}: forbidden field {name!r} in the card; such fields must never be published")
    # The card's prose is the project's template (links, citation); the rows it quotes are data.
    for number, block in enumerate(re.findall(r"```json\n(.*?)\n```", text, flags=re.S), 1):
        try:
            row = json.loads(block)
        except json.JSONDecodeError as error:
            raise UserError(f"{path}: example row {number} is not valid JSON ({error.msg}); the card changed after the build") from None
        if not isinstance(row, dict):
            raise UserError(f"{path}: example row {number} is not a JSON object; the card changed after the build")
        for column in PII_TEXT_COLUMNS:
            kinds = find_pii(row.get(column) if isinstance(row.get(column), str) else None)
            if kinds:
                raise UserError(f"{path}: example row {row.get('id')}, field {column}: {', '.join(kinds)} found; "
                                "expected no personal data in published text")


def _check_json_keys(folder: Path, relpath: str) -> None:
    def keys(value) -> list[str]:
        if isinstance(value, dict):
            return [k for k in value] + [k2 for v in value.values() for k2 in keys(v)]
        if isinstance(value, list):
            return [k for v in value for k in keys(v)]
        return []

    data = read_json(folder / relpath, "a JSON file written by the build")
    name = _forbidden(keys(data))
    if name:
        raise UserError(f"{folder / relpath}: forbidden field {name!r}; such fields must never be published")


def verify_folder(folder: Path) -> tuple[dict[str, Any], list[LocalFile]]:
    """Check ``folder`` is exactly what the build wrote and safe to publish; returns (manifest, files)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder}: dataset folder not found; expected the folder `pisar build --out DIR` writes")
    manifest = _read_manifest(folder)
    files = _check_integrity(folder, manifest)
    rows = {}
    for file in files:
        if file.path.startswith("data/") and file.path.endswith(".parquet"):
            rows[file.path] = _check_parquet(folder, file.path)
        elif file.path.endswith(".json"):
            _check_json_keys(folder, file.path)
    _check_card(folder, _check_counts(folder, manifest, rows))
    return manifest, files


def commit_message(manifest: dict[str, Any]) -> str:
    splits = manifest["splits"]
    parts = ", ".join(f"{split} {n:,}" for split, n in splits.items())
    return f"PiSAR {manifest.get('pisar_version', '?')}: {sum(splits.values()):,} rows ({parts})"


def _git_blob_sha1(path: Path) -> str:
    from huggingface_hub.utils.sha import git_hash

    return git_hash(path.read_bytes())


def _remote_files(api, repo: str) -> dict[str, Any]:
    from huggingface_hub.errors import RemoteEntryNotFoundError, RevisionNotFoundError
    from huggingface_hub.hf_api import RepoFile

    try:
        tree = list(api.list_repo_tree(repo, repo_type="dataset", recursive=True))
    except (RevisionNotFoundError, RemoteEntryNotFoundError):  # a repo with no commit yet
        return {}
    return {entry.path: entry for entry in tree if isinstance(entry, RepoFile)}


def _unchanged(remote, folder: Path, file: LocalFile) -> bool:
    if remote is None or remote.size != file.bytes:
        return False
    if remote.lfs is not None:
        return remote.lfs.sha256 == file.sha256
    return remote.blob_id == _git_blob_sha1(folder / file.path)


def _error_text(error: BaseException) -> str:
    """The error and its cause, first line each (huggingface_hub errors name the URL, never the token)."""
    parts = [str(error).strip().splitlines()[0] if str(error).strip() else error.__class__.__name__]
    if error.__cause__ is not None and str(error.__cause__).strip():
        parts.append(str(error.__cause__).strip().splitlines()[0])
    return ": ".join(parts)


def _upload(api, repo: str, folder: Path, files: list[LocalFile], manifest: dict, config: PublishConfig) -> str:
    """Upload what differs from the Hub; returns a one-line account of what was done."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    remote = _remote_files(api, repo)
    local = {f.path for f in files}
    changed = [f for f in files if not _unchanged(remote.get(f.path), folder, f)]
    stale = sorted(p for p in remote if p not in local and p.startswith(MANAGED_FOLDERS))
    if not changed and not stale:
        return f"The Hub already has this exact folder ({len(files)} files); nothing was uploaded."
    message = commit_message(manifest)
    description = (
        f"Recipe `{manifest.get('recipe_name')}`, seed {manifest.get('seed')}; {len(files)} files. "
        f"Changed or new: {len(changed)}; removed: {len(stale)}. Uploaded with `pisar publish`."
    )
    total = sum(f.bytes for f in files)
    if total > config.single_commit_max_bytes:
        api.upload_folder(repo_id=repo, folder_path=folder, repo_type="dataset", commit_message=message,
                          commit_description=description, delete_patterns=[f"{d}*" for d in MANAGED_FOLDERS])
        return f"Uploaded {len(files)} files ({total:,} bytes) with the resumable folder upload: {message!r}"
    operations = [CommitOperationAdd(path_in_repo=f.path, path_or_fileobj=str(folder / f.path)) for f in changed]
    operations += [CommitOperationDelete(path_in_repo=p) for p in stale]
    info = api.create_commit(repo, operations, commit_message=message, commit_description=description, repo_type="dataset")
    sent = sum(f.bytes for f in changed)
    return (f"Committed {len(changed)} changed or new files ({sent:,} bytes) and removed {len(stale)} stale files "
            f"in one commit {info.oid[:12]}: {message!r}")


def _check_remote(api, repo: str, files: list[LocalFile]) -> tuple[list[str], list[str]]:
    """Compare the Hub's file list and sizes with the folder: (problems, remote files the folder does not have)."""
    remote = _remote_files(api, repo)
    problems = []
    for file in files:
        entry = remote.get(file.path)
        if entry is None:
            problems.append(f"{file.path} is missing on the Hub")
        elif entry.size != file.bytes:
            problems.append(f"{file.path} has {entry.size:,} bytes on the Hub, {file.bytes:,} locally")
    local = {f.path for f in files}
    return problems, sorted(p for p in remote if p not in local and p != ".gitattributes")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pisar publish",
        description="Verify a dataset folder written by `pisar build` and upload it to a Hugging Face dataset repo.",
    )
    parser.add_argument("folder", type=Path, metavar="DIR", help="the dataset folder (`pisar build --out DIR`)")
    parser.add_argument("--repo", required=True, metavar="ORG/NAME", help="the Hub dataset repo (created if needed)")
    parser.add_argument("--private", action="store_true", help="create the repo as private (an existing repo keeps its visibility)")
    parser.add_argument("--dry-run", action="store_true", help="verify and list what would be uploaded; change nothing")
    return parser


def main(argv: list[str], config: PublishConfig | None = None) -> int:
    args = _parser().parse_args(argv)
    config = config or PublishConfig()
    if not REPO_ID.match(args.repo):
        raise UserError(f"--repo {args.repo!r}: expected ORG/NAME, e.g. my-org/pisar")
    manifest, files = verify_folder(args.folder)
    total = sum(f.bytes for f in files)
    print(f"{args.folder}: verified {len(files)} files ({total:,} bytes): checksums, schema, row counts, card, no forbidden field, no personal data")
    if args.dry_run:
        for file in files:
            print(f"  {file.bytes:>14,}  {file.path}")
        mode = "one commit" if total <= config.single_commit_max_bytes else "the resumable folder upload"
        print(f"Dry run: would upload these {len(files)} files ({total:,} bytes) to dataset repo {args.repo}"
              f"{' (private)' if args.private else ''} in {mode}: {commit_message(manifest)!r}. Nothing was changed.")
        return 0

    from huggingface_hub import HfApi, get_token
    from huggingface_hub.errors import HfHubHTTPError

    if get_token() is None:
        raise UserError("no Hugging Face token: set HF_TOKEN or run `hf auth login` (a token with write access)")
    api = HfApi()
    try:
        api.create_repo(args.repo, repo_type="dataset", private=args.private, exist_ok=True)
        print(_upload(api, args.repo, args.folder, files, manifest, config))
        problems, extra = _check_remote(api, args.repo, files)
    except (HfHubHTTPError, RuntimeError, OSError, ValueError) as error:
        print(
            f"pisar publish: error: upload to {args.repo} failed: {_error_text(error)}. The local folder is unchanged; "
            "run the same command again to resume (files already on the Hub are not sent again).",
            file=sys.stderr,
        )
        return 1
    if problems:
        print(f"pisar publish: error: the Hub copy of {args.repo} differs from {args.folder}: {'; '.join(problems)}. "
              "Run the same command again.", file=sys.stderr)
        return 1
    print(f"Checked the Hub: all {len(files)} files are there with the local sizes.")
    if extra:
        print(f"Note: the repo also has files this folder does not: {', '.join(extra)}")
    print(f"Dataset: {api.endpoint}/datasets/{args.repo}")
    print(f'Load it with: datasets.load_dataset("{args.repo}")')
    return 0
