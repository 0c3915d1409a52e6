"""Copy the browser tests' screenshots into the documentation, smaller.

    .venv/bin/python -m pytest tests/serve/test_page.py   # writes test-artifacts/screenshots/*.png
    .venv/bin/python tools/docs_screenshots.py            # -> docs/images/page-*.png

Each screenshot is scaled to at most --width pixels across and stored as a 256-colour PNG, so the
pictures in docs/web-app.md are the page exactly as the tests last saw it, at a size a repository carries.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def shrink(source: Path, target: Path, *, width: int) -> None:
    """`source` at most `width` pixels wide, in 256 colours, written to `target`."""
    with Image.open(source) as opened:
        image = opened.convert("RGB")
        if image.width > width:
            image = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
        image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(target, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", type=Path, default=ROOT / "test-artifacts" / "screenshots", help="the tests' screenshots")
    parser.add_argument("--to", type=Path, default=ROOT / "docs" / "images", help="where the documentation's pictures go")
    parser.add_argument("--width", type=int, default=900, help="largest width in pixels (default: %(default)s)")
    args = parser.parse_args()
    shots = sorted(args.source.glob("*.png"))
    if not shots:
        parser.error(f"{args.source}: no screenshots; run the browser tests first (pytest tests/serve/test_page.py)")
    args.to.mkdir(parents=True, exist_ok=True)
    for shot in shots:
        target = args.to / f"page-{shot.name}"
        shrink(shot, target, width=args.width)
        print(f"{target.relative_to(ROOT)}: {target.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
