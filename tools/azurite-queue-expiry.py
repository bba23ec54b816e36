#!/usr/bin/env python3
"""Stop Azurite's queue store from re-sorting every message index on every receive and delete (issue 21).

Azurite 3.37's LokiQueueMetadataStore clears expired messages before each receive and delete with
`coll.remove(docs)`, also when `docs` is empty. LokiJS's batch remove then hashes every message of every queue and,
with adaptive binary indices, rebuilds all four indices of the messages collection (`ensureAllIndexes(true)`: a sort
of every message, four times). Profiled under the gateway's soak (docs/benchmarks.md): ~19% of Azurite's one thread
at 35,000 settlements, growing with the messages held (dead-lettered callbacks, retries). This skips the remove when
nothing expired: the same messages removed, none of the work when there are none.

It also makes a receive and a message update leave the message indices alone (docs/benchmarks.md, "Replace in
place"): a receive updated its messages with Loki's array update, which rebuilds and re-sorts all four indices of the
messages collection (2.5% of Azurite's thread at 52,000 settlements), and an update re-placed the message in each
index after a linear scan. Neither changes an indexed property (account, queue, message id; `visibleTime` is not a
message property): only the time it is next visible, its pop receipt, dequeue count and persistency change, in
place, at the same position. So the indices stay valid as they are.

And it makes the queries of a receive, a peek and the expiry clean-up select the queue first: they named the
account first, and LokiJS uses a binary index only for the first term of a query, so the account's index (which every
message shares) gave every message of every queue, and the queue and time terms walked them all (9.9% of Azurite's
thread in the expiry clean-up at 60,000 settlements of the soak, with only 260 messages held, 252 of them
dead-lettered callbacks: the local host polls a dozen queues). With the queue first, the index gives the queue's own
messages. The terms are the same; only their order changes.

Idempotent; refuses to touch a store whose code is not the expected one.
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


UNINDEXED_MARK = "/* gateway: update messages without re-indexing */"
UNINDEXED_ANCHOR = """class LokiQueueMetadataStore {"""
UNINDEXED_HELPER = UNINDEXED_MARK + """
// Update stored messages (changed in place) whose indexed properties did not change: without Loki re-sorting (array
// update) or re-placing (single update) them in each index, which costs in proportion to every message held.
function gatewayUpdateUnindexed(coll, docs) {
    const indices = coll.binaryIndices;
    const dirty = {};
    for (const k in indices) dirty[k] = indices[k].dirty;
    const adaptive = coll.adaptiveBinaryIndices;
    coll.adaptiveBinaryIndices = false;
    try {
        for (const d of docs) coll.update(d);
    } finally {
        coll.adaptiveBinaryIndices = adaptive;
        for (const k in indices) indices[k].dirty = dirty[k];
    }
}
""" + UNINDEXED_ANCHOR
RECEIVE_OLD = """        coll.update(docs);
        const res = [];"""
RECEIVE_NEW = """        gatewayUpdateUnindexed(coll, docs);
        const res = [];"""
UPDATE_OLD = """            doc.persistency = message.persistency;
        }
        coll.update(doc);"""
UPDATE_NEW = """            doc.persistency = message.persistency;
        }
        gatewayUpdateUnindexed(coll, [doc]);"""
INDICES = """indices: ["accountName", "queueName", "messageId", "visibleTime"]"""


def unindexed(text: str, store) -> str:
    if UNINDEXED_MARK in text:
        return text
    if any(text.count(x) != 1 for x in (UNINDEXED_ANCHOR, RECEIVE_OLD, UPDATE_OLD, INDICES)):
        print(f"azurite-queue-expiry: {store} is not the expected code for updates without re-indexing; left as it is", file=sys.stderr)
        return text
    print(f"azurite-queue-expiry: receives and message updates no longer re-sort the message indices ({store})", file=sys.stderr)
    return text.replace(RECEIVE_OLD, RECEIVE_NEW).replace(UPDATE_OLD, UPDATE_NEW).replace(UNINDEXED_ANCHOR, UNINDEXED_HELPER)


QUEUE_FIRST_MARK = "/* gateway: queue first */"
def _query(time_field: str, first: str, second: str, mark: str = "") -> str:
    return f"""        const query = {{{mark}
            {first}: {first.replace('Name', '')},
            {second}: {second.replace('Name', '')},
            {time_field}: {{ $lte: queryTime }}
        }};"""


# (the query as Azurite has it, as it becomes, how many times it occurs): the same terms, the queue's first
QUERIES = [
    (_query(field, "accountName", "queueName"), _query(field, "queueName", "accountName", " " + QUEUE_FIRST_MARK), n)
    for field, n in (("timeNextVisible", 2), ("expirationTime", 1))
]


def queue_first(text: str, store) -> str:
    if QUEUE_FIRST_MARK in text:
        return text
    if any(text.count(old) != n for old, _, n in QUERIES):
        print(f"azurite-queue-expiry: {store} is not the expected code for queue-first queries; left as it is", file=sys.stderr)
        return text
    for old, new, _ in QUERIES:
        text = text.replace(old, new)
    print(f"azurite-queue-expiry: receives, peeks and the expiry clean-up select the queue through its index ({store})", file=sys.stderr)
    return text


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".tools/azurite")
    store = root / "node_modules/azurite/dist/src/queue/persistence/LokiQueueMetadataStore.js"
    original = text = store.read_text(encoding="utf-8")
    if MARK not in text:
        if text.count(OLD) != 1:
            print(f"azurite-queue-expiry: {store} is not the expected Azurite 3.37 code; left as it is", file=sys.stderr)
        else:
            text = text.replace(OLD, NEW)
            print(f"azurite-queue-expiry: receives and deletes no longer rebuild the message indices when nothing expired ({store})", file=sys.stderr)
    text = unindexed(text, store)
    text = queue_first(text, store)
    if text != original:
        store.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
