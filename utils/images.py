"""Finding out what an image file really is, by decoding it."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

# The formats tf.io.decode_image reads, whatever the file's extension says.
DECODABLE_FORMATS = {"JPEG", "PNG", "GIF", "BMP"}


def image_problem(path: Path) -> str | None:
    """Decodes the whole file; returns None if the tf.data pipeline can read it, else why not."""
    try:
        with Image.open(path) as image:
            image.load()  # a full decode: truncated or damaged data fails here
            fmt = image.format
    except (OSError, SyntaxError, ValueError) as error:
        return f"not a decodable image ({type(error).__name__})"
    if fmt not in DECODABLE_FORMATS:
        return f"unsupported format {fmt}"
    return None
