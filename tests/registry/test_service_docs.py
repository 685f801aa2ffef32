"""The service's OpenAPI pages work on a lab network cut off from the internet: /docs
(Swagger UI) and /redoc load their scripts and styles from the service itself, never
from a CDN."""

from __future__ import annotations

import re

import pytest
from service_support import Service

pytestmark = pytest.mark.realtime


def test_docs_and_redoc_load_everything_from_the_service(sqlite_url):
    service = Service(sqlite_url)
    service.start()
    try:
        with service.client(None) as client:
            for page in ("/docs", "/redoc"):
                html = client.get(page)
                assert html.status_code == 200 and "labctl registry" in html.text
                assert "http://" not in html.text and "https://" not in html.text, page
                assets = re.findall(r'(?:src|href)="(/[^"]+)"', html.text)
                assert any(a.endswith(".js") for a in assets), page
                for asset in assets:
                    served = client.get(asset)
                    assert served.status_code == 200 and len(served.content) > 1000, asset
            spec = client.get("/openapi.json").json()
            assert spec["info"]["title"] == "labctl registry"
            # the bearer token is declared, so the pages offer "Authorize"
            (scheme,) = spec["components"]["securitySchemes"].values()
            assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
            assert spec["paths"]["/v1/records"]["get"]["security"]
            assert client.get("/v1/records").status_code == 401  # still refused without
    finally:
        service.stop()
