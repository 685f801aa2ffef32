"""The certificate as HTML: ``render_html(view)`` fills the package's Jinja2 template."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

TEMPLATE = "certificate.html.j2"
STYLESHEET = "certificate.css"


@lru_cache(maxsize=1)
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("labctl.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    from labctl.report.labels import label

    env.globals["label"] = label
    return env


def stylesheet() -> str:
    """The certificate's CSS (package data)."""
    return resources.files("labctl.report").joinpath("templates", STYLESHEET).read_text("utf-8")


def render_html(view: dict[str, Any]) -> str:
    """The HTML of a certificate view (``labctl.report.view.certificate_view``)."""
    from markupsafe import Markup

    return _environment().get_template(TEMPLATE).render(**view, css=Markup(stylesheet()))
