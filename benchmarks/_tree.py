"""Run ``llm-router`` from another source tree (``python _tree.py TREE ARGS…``).

The project is installed in editable mode, and the editable finder in ``sys.meta_path``
maps ``llm_router`` to the working tree whatever ``PYTHONPATH`` says, so an old commit
exported to a directory would silently run today's code. This drops that finder, puts
``TREE`` first on ``sys.path`` and checks where ``llm_router`` came from before it
hands ``ARGS`` to the command line.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Command line: the tree, then ``llm-router``'s own arguments."""
    tree = sys.argv.pop(1)
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    sys.path.insert(0, tree)
    import llm_router

    if not (llm_router.__file__ or "").startswith(tree):
        raise SystemExit(f"llm_router was imported from {llm_router.__file__}, not {tree}")
    from llm_router.cli.main import main as cli

    sys.argv[0] = "llm-router"
    cli()


if __name__ == "__main__":
    main()
