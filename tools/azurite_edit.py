"""The one way the tools/ scripts that edit Azurite's files as a whole apply their edits (imported by them)."""
import pathlib
import sys


def apply(store: pathlib.Path, mark: str, edits, tool: str, refused: str, done: str) -> int:
    """Replaces each (old, new) of edits in store, once; old must occur exactly once. Idempotent: a store holding mark
    is left as it is. A store that is not the expected code is left whole (nothing of it edited) and named on stderr
    with refused and the olds not found once; returns 1 then, else 0."""
    text = store.read_text(encoding="utf-8")
    if mark in text:
        return 0
    missing = [old for old, _ in edits if text.count(old) != 1]
    if missing:
        print(f"{tool}: {store} {refused}", file=sys.stderr)
        for old in missing:
            print(f"  not found once: {old.splitlines()[0].strip()}", file=sys.stderr)
        return 1
    for old, new in edits:
        text = text.replace(old, new, 1)
    store.write_text(text, encoding="utf-8")
    print(f"{tool}: {done} ({store})", file=sys.stderr)
    return 0
