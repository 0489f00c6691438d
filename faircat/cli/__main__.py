"""``python -m faircat.cli ...``: the same as the ``faircat`` command."""

from faircat.cli import main

main()
