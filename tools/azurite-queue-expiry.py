#!/usr/bin/env python3
"""Stop Azurite's queue store from re-sorting every message index on every receive and delete (issue 21).

Azurite 3.37's LokiQueueMetadataStore clears expired messages before each receive and delete with
`coll.remove(docs)`, also when `docs` is empty. LokiJS's batch remove then hashes every message of every queue and,
with adaptive binary indices, rebuilds all four indices of the messages collection (`ensureAllIndexes(true)`: a sort
of every message, four times). Profiled under the gateway's soak (docs/benchmarks.md): ~19% of Azurite's one thread
at 35,000 settlements, growing with the messages held (dead-lettered callbacks, retries). This skips the remove when
nothing expired: the same messages removed, none of the work when there are none. Idempotent; refuses to touch a
store whose code is not the expected one.
"""
import pathlib
import sys

MARK = "/* gateway: no empty remove */"
OLD = """        const docs = coll
            .chain()
            .find(query)
            .data();
        coll.remove(docs);"""
NEW = """        const docs = coll
            .chain()
            .find(query)
            .data();
        """ + MARK + """
        if (docs.length > 0) {
            coll.remove(docs);
        }"""


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".tools/azurite")
    store = root / "node_modules/azurite/dist/src/queue/persistence/LokiQueueMetadataStore.js"
    text = store.read_text(encoding="utf-8")
    if MARK in text:
        return 0
    if text.count(OLD) != 1:
        print(f"azurite-queue-expiry: {store} is not the expected Azurite 3.37 code; left as it is", file=sys.stderr)
        return 0
    store.write_text(text.replace(OLD, NEW), encoding="utf-8")
    print(f"azurite-queue-expiry: receives and deletes no longer rebuild the message indices when nothing expired ({store})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
