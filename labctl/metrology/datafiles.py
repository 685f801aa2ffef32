"""Reading the data files shipped in ``labctl/data/``: metrology tables keyed by their
document number and edition (``mpe/jjg539-2016.yaml``, ``oiml-r76-1-2006.yaml``)."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

from labctl.errors import ConfigError

_KEY = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


def load_data_file(folder: str, key: str, *, what: str, hint: str) -> Any:
    """The YAML data (with locations) of ``labctl/data/<folder>/<key>.yaml``.

    ``key`` names a document and its edition (``jjg539-2016``); a malformed key or a
    missing file is a ``ConfigError`` saying ``what`` was asked for and ``hint``.
    """
    from labctl.yamlio import loads_yaml

    if not _KEY.match(key):
        raise ConfigError(f"bad {what} name {key!r}",
                          hint="write the document and edition like 'jjg539-2016'")
    relative = f"{folder}/{key}.yaml" if folder else f"{key}.yaml"
    name = f"labctl/data/{relative}"
    try:
        text = resources.files("labctl.data").joinpath(relative).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"no {what} {key!r}", where=name, hint=hint) from None
    return loads_yaml(text, name)
