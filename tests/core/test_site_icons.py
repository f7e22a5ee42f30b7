"""The icon set and web manifest: /favicon.ico answers (no 404 and console error on a first visit), every page
links the icons and the manifest, and each icon is the size it claims."""

import struct

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse


def png_size(name: str) -> tuple[int, int]:
    with open(finders.find(name), "rb") as file:
        head = file.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{name} is not a PNG"
    return struct.unpack(">II", head[16:24])


def ico_sizes(name: str) -> set[int]:
    with open(finders.find(name), "rb") as file:
        data = file.read()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1), f"{name} is not an icon file"
    return {data[6 + 16 * n] or 256 for n in range(count)}


def test_favicon_ico_leads_to_the_icon_without_signing_in(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].startswith("/static/") and response["Location"].endswith(".ico")
    assert "max-age=86400" in response["Cache-Control"]
    assert ico_sizes("favicon.ico") >= {16, 32, 48}


def test_the_web_manifest_names_keel_and_its_icons(client, db):
    response = client.get(reverse("web_manifest"))
    assert response.status_code == 200 and response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["name"] == "Keel" and manifest["start_url"] == "/"
    sizes = {icon["sizes"]: icon["src"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= set(sizes)
    for size in (192, 512):
        assert png_size(sizes[f"{size}x{size}"].removeprefix("/static/")) == (size, size)


def test_the_apple_touch_icon_is_180_pixels(db):
    assert png_size("icons/apple-touch-icon.png") == (180, 180)


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_page_links_the_icons_and_the_manifest(client, org, signed_in):
    if signed_in:
        client.force_login(org.bob)
    html = client.get("/" if signed_in else reverse("login")).content.decode()
    for tag in ('rel="icon" href="/static/favicon.ico"', 'rel="apple-touch-icon"', 'rel="manifest" href="/manifest'):
        assert tag in html
