"""Package data: converted model weights (musicnn: ISC licence, see LICENSE-musicnn.txt)."""
