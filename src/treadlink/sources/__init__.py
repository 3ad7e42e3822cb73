"""Input sources, neutral ground for plans and config: bounded reading of files and YAML, and
problems that name the file, line and field. Imports nothing else of treadlink."""

from treadlink.sources.files import NO_SUCH_FILE, open_regular, read_bytes, read_text
from treadlink.sources.limits import MAX_DEPTH, MAX_EXCERPT_CHARS, MAX_FILE_BYTES
from treadlink.sources.problems import (
    BadInput,
    InputError,
    Problem,
    excerpt,
    format_path,
    reported_as,
)
from treadlink.sources.yaml_source import SourceMap, load_yaml, parse_yaml

__all__ = [
    "MAX_DEPTH",
    "MAX_EXCERPT_CHARS",
    "MAX_FILE_BYTES",
    "NO_SUCH_FILE",
    "BadInput",
    "InputError",
    "Problem",
    "SourceMap",
    "excerpt",
    "format_path",
    "load_yaml",
    "open_regular",
    "parse_yaml",
    "read_bytes",
    "read_text",
    "reported_as",
]
