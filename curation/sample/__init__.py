"""The embedded sample: small synthetic raw files in each source's native format (see README.md).

``pisar build`` with no arguments imports the files listed in `SOURCES_TOML`;
``python -m curation.sample.generate`` rewrites them.
"""

from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent
SOURCES_TOML = SAMPLE_DIR / "sources.toml"
