"""`python -m picscore` is the `picscore` command."""

from picscore.cli import command

command()
