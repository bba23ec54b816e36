#!/usr/bin/env python3
"""Give Azurite's table queries the partition index they lack (issue 21; docs/benchmarks.md, "Azurite as it grows").

Azurite 3.37's Loki table store answers every entity query by walking the whole table with a JavaScript predicate,
even when the filter names one partition, although the collection keeps a binary index on PartitionKey. So a query of
one member's partition costs in proportion to every row of the table, and the gateway's one query per settlement grows
slower with every settlement stored. This edits the installed store so that a filter which is a pure conjunction
(no `or`, no `not`) whose first term is `PartitionKey eq '<value>'` first selects that partition through the index,
then applies Azurite's own predicate, sort and paging as before: the same rows in the same order, only found faster.
Any other filter is walked as before. Idempotent; refuses to touch a file whose code is not the expected one.
"""
import pathlib
import sys

MARK = "/* gateway: partition index */"
ANCHOR = """        const result = tableEntityCollection
            .chain()
            .where(queryWhere)"""
REPLACEMENT = MARK + """
        const gatewayPartition = (() => {
            const f = queryOptions.filter;
            if (typeof f !== "string") return undefined;
            const unquoted = f.replace(/'(?:[^']|'')*'/g, "''");
            if (/\\b(or|not)\\b/i.test(unquoted)) return undefined;
            const m = /^[\\s(]*PartitionKey\\s+eq\\s+'((?:[^']|'')*)'[\\s)]*(?:\\band\\b|$)/.exec(f);
            return m ? m[1].replace(/''/g, "'") : undefined;
        })();
        const gatewayChain = gatewayPartition === undefined
            ? tableEntityCollection.chain()
            : tableEntityCollection.chain().find({ PartitionKey: gatewayPartition });
        const result = gatewayChain
            .where(queryWhere)"""


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".tools/azurite")
    store = root / "node_modules/azurite/dist/src/table/persistence/LokiTableMetadataStore.js"
    text = store.read_text(encoding="utf-8")
    if MARK in text:
        return 0
    if text.count(ANCHOR) != 1:
        print(f"azurite-partition-index: {store} is not the expected Azurite 3.37 code; left as it is (table queries walk the table)", file=sys.stderr)
        return 0
    store.write_text(text.replace(ANCHOR, REPLACEMENT), encoding="utf-8")
    print(f"azurite-partition-index: table queries naming one partition now use Azurite's PartitionKey index ({store})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
