#!/usr/bin/env python3
"""Give Azurite's table queries the partition index they lack (issue 21; docs/benchmarks.md, "Azurite as it grows").

Azurite 3.37's Loki table store answers every entity query by walking the whole table with a JavaScript predicate,
even when the filter names one partition, although the collection keeps a binary index on PartitionKey. So a query of
one member's partition costs in proportion to every row of the table, and the gateway's one query per settlement grows
slower with every settlement stored. This edits the installed store so that a filter which is a pure conjunction
(no `or`, no `not`) whose first term is `PartitionKey eq '<value>'` first selects that partition through the index,
then applies Azurite's own predicate, sort and paging as before: the same rows in the same order, only found faster.
Any other filter is walked as before.

It also makes the store pick, for a point lookup (PartitionKey and RowKey) and for a query, the smaller of the two
index ranges it keeps: the partition's rows or the rows with that RowKey (or in that RowKey range). Measured with
the gateway (docs/benchmarks.md, "Azurite's key lookups"): the Settlements table has one partition per hospital, so
every point read, replace and merge there, and the sweep's `~wait|` range query, walked the hospital's whole
partition (thousands of rows, growing with every settlement) with a JavaScript predicate. A RowKey range is used only
where Loki's index order is plain string order: both bounds share a prefix holding a character no number can
contain (Loki's comparator sorts number-like strings numerically, before all others). The candidates are only ever a
superset: Azurite's own predicate, sort and paging run on them as before.

Idempotent; refuses to touch a file whose code is not the expected one.
"""
import pathlib
import re
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

KEY_MARK = "/* gateway: key index */"
KEY_ANCHOR = """const utils_1 = require("../../common/utils/utils");
"""
KEY_HELPERS = KEY_ANCHOR + KEY_MARK + """
// The index range [lo, hi] of Loki's binary index on prop for op/val, or undefined when there is no such index.
function gatewayRange(coll, prop, op, val) {
    const index = coll.binaryIndices[prop];
    if (!index) return undefined;
    if (coll.adaptiveBinaryIndices !== true) coll.ensureIndex(prop);
    const [lo, hi] = coll.calculateRange(op, prop, val);
    return { lo, hi, size: hi >= lo ? hi - lo + 1 : 0, values: coll.binaryIndices[prop].values };
}
// The entity with these keys (exact, case-sensitive), looked up through the smaller of the two index ranges.
function gatewayFindOne(coll, partitionKey, rowKey) {
    const p = gatewayRange(coll, "PartitionKey", "$eq", partitionKey);
    const r = gatewayRange(coll, "RowKey", "$eq", rowKey);
    if (!p || !r) return coll.findOne({ PartitionKey: partitionKey, RowKey: rowKey });
    const best = r.size <= p.size ? r : p;
    for (let i = best.lo; i <= best.hi; i++) {
        const d = coll.data[best.values[i]];
        if (d !== undefined && d.PartitionKey === partitionKey && d.RowKey === rowKey) return d;
    }
    return null;
}
// Loki sorts number-like strings numerically and before every other string: a RowKey range is in plain string order
// only when every key inside it is not number-like, i.e. the bounds share a prefix with a character no number has.
function gatewayPlainStringRange(a, b) {
    let n = 0;
    while (n < a.length && n < b.length && a[n] === b[n]) n++;
    return /[^0-9a-fA-F+\\-.xXoObBInity\\s]/.test(a.slice(0, n));
}
// A chain over the rows a pure conjunction of key terms can match (the smallest index range), or over every row.
function gatewayCandidates(coll, filter) {
    if (typeof filter !== "string") return coll.chain();
    if (/\\b(or|not)\\b/i.test(filter.replace(/'(?:[^']|'')*'/g, "''"))) return coll.chain();
    const terms = /\\b(PartitionKey|RowKey)\\s+(eq|ge|gt|le|lt)\\s+'((?:[^']|'')*)'|'(?:[^']|'')*'/g;
    const ranges = [];
    let lower, upper, m;
    while ((m = terms.exec(filter)) !== null) {
        if (m[1] === undefined) continue; // a literal elsewhere in the filter
        const value = m[3].replace(/''/g, "'");
        if (m[2] === "eq") ranges.push(gatewayRange(coll, m[1], "$eq", value));
        else if (m[1] === "RowKey" && (m[2] === "ge" || m[2] === "gt")) lower = lower === undefined || value > lower ? value : lower;
        else if (m[1] === "RowKey") upper = upper === undefined || value < upper ? value : upper;
    }
    if (lower !== undefined && upper !== undefined && gatewayPlainStringRange(lower, upper)) {
        ranges.push(lower <= upper ? gatewayRange(coll, "RowKey", "$between", [lower, upper]) : { lo: 0, hi: -1, size: 0, values: [] });
    }
    const best = ranges.filter((r) => r !== undefined).sort((x, y) => x.size - y.size)[0];
    if (best === undefined) return coll.chain();
    const chain = coll.chain();
    chain.filteredrows = best.size ? best.values.slice(best.lo, best.hi + 1) : [];
    chain.filterInitialized = true;
    return chain;
}
"""
KEY_QUERY_OLD = """        const gatewayChain = gatewayPartition === undefined
            ? tableEntityCollection.chain()
            : tableEntityCollection.chain().find({ PartitionKey: gatewayPartition });"""
KEY_QUERY_NEW = """        const gatewayChain = gatewayPartition === undefined && !/\\b(Partition|Row)Key\\b/.test(String(queryOptions.filter))
            ? tableEntityCollection.chain()
            : gatewayCandidates(tableEntityCollection, queryOptions.filter);"""
FIND_ONE = re.compile(r"(\w+)\.findOne\(\{\s*(RowKey|PartitionKey):\s*([\w.]+),\s*(RowKey|PartitionKey):\s*([\w.]+)\s*\}\)")


def key_index(text: str, store) -> str:
    if KEY_MARK in text:
        return text
    if text.count(KEY_ANCHOR) != 1 or text.count(KEY_QUERY_OLD) != 1 or len(FIND_ONE.findall(text)) < 6:
        print(f"azurite-partition-index: {store} is not the expected code for the key index; left as it is", file=sys.stderr)
        return text
    def lookup(m):
        keys = {m.group(2): m.group(3), m.group(4): m.group(5)}
        if set(keys) != {"PartitionKey", "RowKey"}:
            return m.group(0)
        return f"gatewayFindOne({m.group(1)}, {keys['PartitionKey']}, {keys['RowKey']})"
    text = FIND_ONE.sub(lookup, text)
    text = text.replace(KEY_QUERY_OLD, KEY_QUERY_NEW).replace(KEY_ANCHOR, KEY_HELPERS)
    print(f"azurite-partition-index: point lookups and key-range queries use the smaller index range ({store})", file=sys.stderr)
    return text


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".tools/azurite")
    store = root / "node_modules/azurite/dist/src/table/persistence/LokiTableMetadataStore.js"
    original = text = store.read_text(encoding="utf-8")
    if MARK not in text:
        if text.count(ANCHOR) != 1:
            print(f"azurite-partition-index: {store} is not the expected Azurite 3.37 code; left as it is (table queries walk the table)", file=sys.stderr)
            return 0
        text = text.replace(ANCHOR, REPLACEMENT)
        print(f"azurite-partition-index: table queries naming one partition now use Azurite's PartitionKey index ({store})", file=sys.stderr)
    text = key_index(text, store)
    if text != original:
        store.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
