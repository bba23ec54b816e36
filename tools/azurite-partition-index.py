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
// The rows a filter can match, as index ranges (their union), or undefined for "any row": a conjunction is narrowed
// by its most selective key condition (PartitionKey eq, RowKey eq, a RowKey range in plain string order), a
// disjunction by the union of its branches when every branch is narrowed. Anything else (not, other properties,
// functions) narrows nothing. Only ever a superset: Azurite's own predicate runs on these rows afterwards.
function gatewaySkipLiteral(s, i) { // s[i] is a quote: the index of the closing one
    for (i++; i < s.length; i++) {
        if (s[i] === "'") { if (s[i + 1] === "'") { i++; continue; } return i; }
    }
    return s.length;
}
function gatewaySplit(s, word) { // top-level (outside parentheses and literals) parts around " and " / " or "
    const parts = [];
    const re = new RegExp("^\\\\s+" + word + "\\\\s+", "i");
    let depth = 0, start = 0;
    for (let i = 0; i < s.length; i++) {
        const ch = s[i];
        if (ch === "'") { i = gatewaySkipLiteral(s, i); continue; }
        if (ch === "(") depth++;
        else if (ch === ")") depth--;
        else if (depth === 0 && /\\s/.test(ch)) {
            const m = re.exec(s.slice(i));
            if (m) { parts.push(s.slice(start, i)); i += m[0].length - 1; start = i + 1; }
        }
    }
    parts.push(s.slice(start));
    return parts;
}
function gatewayUnwrap(s) {
    s = s.trim();
    for (;;) {
        if (!s.startsWith("(")) return s;
        let depth = 0, close = -1;
        for (let i = 0; i < s.length; i++) {
            if (s[i] === "'") { i = gatewaySkipLiteral(s, i); continue; }
            if (s[i] === "(") depth++;
            else if (s[i] === ")" && --depth === 0) { close = i; break; }
        }
        if (close !== s.length - 1) return s;
        s = s.slice(1, -1).trim();
    }
}
function gatewayNarrow(coll, filter) {
    const s = gatewayUnwrap(filter);
    const branches = gatewaySplit(s, "or");
    if (branches.length > 1) {
        const union = [];
        for (const b of branches) {
            const r = gatewayNarrow(coll, b);
            if (r === undefined) return undefined;
            union.push(...r);
        }
        return union;
    }
    const parts = gatewaySplit(s, "and");
    if (parts.length === 1) {
        const m = /^(PartitionKey|RowKey)\\s+eq\\s+'((?:[^']|'')*)'$/.exec(s);
        const r = m ? gatewayRange(coll, m[1], "$eq", m[2].replace(/''/g, "'")) : undefined;
        return r === undefined ? undefined : [r];
    }
    const candidates = [];
    let lower, upper;
    for (const part of parts) {
        const t = gatewayUnwrap(part);
        const m = /^RowKey\\s+(ge|gt|le|lt)\\s+'((?:[^']|'')*)'$/.exec(t);
        if (m) {
            const value = m[2].replace(/''/g, "'");
            if (m[1] === "ge" || m[1] === "gt") lower = lower === undefined || value > lower ? value : lower;
            else upper = upper === undefined || value < upper ? value : upper;
            continue;
        }
        const r = gatewayNarrow(coll, t);
        if (r !== undefined) candidates.push(r);
    }
    if (lower !== undefined && upper !== undefined && gatewayPlainStringRange(lower, upper)) {
        const r = lower <= upper ? gatewayRange(coll, "RowKey", "$between", [lower, upper]) : { lo: 0, hi: -1, size: 0, values: [] };
        if (r !== undefined) candidates.push([r]);
    }
    const total = (rs) => rs.reduce((n, r) => n + r.size, 0);
    return candidates.sort((x, y) => total(x) - total(y))[0];
}
// A chain over the rows the filter can match (see gatewayNarrow), each row once, or over every row.
function gatewayCandidates(coll, filter) {
    if (typeof filter !== "string" || filter.length > 4096) return coll.chain();
    const ranges = gatewayNarrow(coll, filter);
    if (ranges === undefined) return coll.chain();
    let rows = [];
    for (const r of ranges) if (r.size) rows = rows.concat(r.values.slice(r.lo, r.hi + 1));
    if (ranges.length > 1) rows = Array.from(new Set(rows));
    const chain = coll.chain();
    chain.filteredrows = rows;
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


SAME_KEYS_MARK = "/* gateway: replace in place */"
SAME_KEYS_HELPERS = KEY_ANCHOR + SAME_KEYS_MARK + """
// Replace and merge in place (issue 21; docs/benchmarks.md, "Replace in place"). Azurite replaced an entity by a
// remove and an insert, and a Loki remove shifts every position of every binary index after it; a Loki update
// re-places the document in each binary index after a linear scan of the index. Both cost in proportion to the rows
// of the table. An entity's PartitionKey and RowKey (the only indexed properties) never change in a replace or a
// merge, so the index order stays valid: the update keeps the document's $loki and data position and leaves the
// PartitionKey and RowKey indices alone. The table journal records it as one update of that $loki.
const gatewaySameKeys = new WeakSet();
function gatewayUpdateSameKeys(coll, doc) {
    gatewaySameKeys.add(coll);
    try { return coll.update(doc); } finally { gatewaySameKeys.delete(coll); }
}
function gatewayReplace(coll, doc, entity) {
    entity.$loki = doc.$loki;
    entity.meta = Object.assign({}, doc.meta);
    return gatewayUpdateSameKeys(coll, entity);
}
(function () {
    const proto = lokijs_1.default.Collection.prototype;
    if (proto.gatewaySameKeysUpdate) return;
    const original = proto.adaptiveBinaryIndexUpdate;
    proto.adaptiveBinaryIndexUpdate = function (dataPosition, binaryIndexName) {
        if ((binaryIndexName === "PartitionKey" || binaryIndexName === "RowKey") && gatewaySameKeys.has(this)) return;
        return original.call(this, dataPosition, binaryIndexName);
    };
    proto.gatewaySameKeysUpdate = true;
})();
"""
REPLACE_OLD = """            tableEntityCollection.remove(doc);
            entity.properties.Timestamp = entity.lastModifiedTime;
            entity.properties["Timestamp@odata.type"] = "Edm.DateTime";
            tableEntityCollection.insert(entity);
            return entity;"""
REPLACE_NEW = """            entity.properties.Timestamp = entity.lastModifiedTime;
            entity.properties["Timestamp@odata.type"] = "Edm.DateTime";
            gatewayReplace(tableEntityCollection, doc, entity);
            return entity;"""
MERGE_OLD = """            tableEntityCollection.update(mergedEntity);
            return mergedEntity;"""
MERGE_NEW = """            gatewayUpdateSameKeys(tableEntityCollection, mergedEntity);
            return mergedEntity;"""


def same_keys(text: str, store) -> str:
    if SAME_KEYS_MARK in text:
        return text
    if (text.count(KEY_ANCHOR) != 1 or text.count(REPLACE_OLD) != 1 or text.count(MERGE_OLD) != 1
            or 'const lokijs_1 = tslib_1.__importDefault(require("lokijs"));' not in text):
        print(f"azurite-partition-index: {store} is not the expected code for replace in place; left as it is", file=sys.stderr)
        return text
    text = text.replace(REPLACE_OLD, REPLACE_NEW).replace(MERGE_OLD, MERGE_NEW).replace(KEY_ANCHOR, SAME_KEYS_HELPERS)
    print(f"azurite-partition-index: replace and merge update the entity in place ({store})", file=sys.stderr)
    return text


HOLE_MARK = "/* gateway: removes leave a hole */"
HOLE_HELPERS = KEY_ANCHOR + HOLE_MARK + """
// Deletes without shifting (issue 21; docs/design.md, "A delete leaves a hole"). A Loki remove splices the document
// out of the data array and then shifts every later position in each binary index: a loop over the whole collection
// for every delete, and the gateway deletes its owed-work markers as each settlement completes. Here a delete of an
// entity puts a hole in the document's place instead: an object holding only its keys (so the PartitionKey and RowKey
// indices, left as they are, keep their order), its $loki (so the id index stays whole) and $gatewayHole. Every read
// skips holes: point lookups, index-narrowed queries, full scans, and the journal's snapshot and self-check. Once the
// holes are at least 1,024 and an eighth of the collection, one pass removes them all and renumbers the indices: a
// linear pass per n/8 deletes instead of per delete. The journal records the delete as before (an "R" of its $loki).
// Collections with unique indices, dynamic views, transactions or freezing are removed from the Loki way instead.
function gatewayIsHole(d) { return d !== undefined && d !== null && d.$gatewayHole === true; }
function gatewayRemove(coll, doc) {
    if (!coll.binaryIndices.PartitionKey || !coll.binaryIndices.RowKey || coll.uniqueNames.length !== 0
        || coll.DynamicViews.length !== 0 || coll.transactional || coll.disableFreeze === false || coll.autoupdate
        || doc === null || typeof doc !== "object" || !Object.prototype.hasOwnProperty.call(doc, "$loki")) {
        return coll.remove(doc);
    }
    const found = coll.get(doc.$loki, true);
    if (!found) return coll.remove(doc);
    if (gatewayIsHole(found[0])) return null; // removed already
    const stored = found[0];
    coll.data[found[1]] = { PartitionKey: stored.PartitionKey, RowKey: stored.RowKey, $loki: stored.$loki, $gatewayHole: true };
    coll.gatewayHoles = (coll.gatewayHoles || 0) + 1;
    coll.dirty = true;
    coll.emit("delete", stored);
    delete doc.$loki;
    delete doc.meta;
    if (coll.gatewayHoles >= 1024 && coll.gatewayHoles * 8 >= coll.data.length) gatewayCompact(coll);
    return doc;
}
// Removes every hole: the documents keep their order, each binary index keeps its order with positions renumbered.
function gatewayCompact(coll) {
    const data = coll.data, ids = coll.idIndex, n = data.length;
    const to = new Int32Array(n);
    let j = 0;
    for (let i = 0; i < n; i++) {
        const d = data[i];
        if (gatewayIsHole(d)) { to[i] = -1; continue; }
        to[i] = j;
        data[j] = d;
        if (ids) ids[j] = ids[i];
        j++;
    }
    data.length = j;
    if (ids) ids.length = j;
    for (const name in coll.binaryIndices) {
        const bi = coll.binaryIndices[name];
        if (bi.dirty) { bi.values = []; continue; } // Loki rebuilds a dirty index from the data when it is next used
        const v = bi.values;
        let k = 0;
        for (let i = 0; i < v.length; i++) {
            const t = to[v[i]];
            if (t >= 0) v[k++] = t;
        }
        v.length = k;
    }
    coll.gatewayHoles = 0;
}
// Every entity of the collection (a chain for Azurite's predicate), holes left out.
function gatewayAll(coll) {
    const chain = coll.chain();
    return coll.gatewayHoles ? chain.where((d) => !gatewayIsHole(d)) : chain;
}
"""
HOLE_EDITS = [
    # point lookups skip holes
    ("""        if (d !== undefined && d.PartitionKey === partitionKey && d.RowKey === rowKey) return d;""",
     """        if (d !== undefined && d.PartitionKey === partitionKey && d.RowKey === rowKey && !gatewayIsHole(d)) return d;"""),
    # index-narrowed queries skip holes; a query that is not narrowed scans every entity but the holes
    ("""    if (typeof filter !== "string" || filter.length > 4096) return coll.chain();
    const ranges = gatewayNarrow(coll, filter);
    if (ranges === undefined) return coll.chain();""",
     """    if (typeof filter !== "string" || filter.length > 4096) return gatewayAll(coll);
    const ranges = gatewayNarrow(coll, filter);
    if (ranges === undefined) return gatewayAll(coll);"""),
    ("""    if (ranges.length > 1) rows = Array.from(new Set(rows));
""",
     """    if (ranges.length > 1) rows = Array.from(new Set(rows));
    if (coll.gatewayHoles) rows = rows.filter((i) => !gatewayIsHole(coll.data[i]));
"""),
    ("""            ? tableEntityCollection.chain()
            : gatewayCandidates(tableEntityCollection, queryOptions.filter);""",
     """            ? gatewayAll(tableEntityCollection)
            : gatewayCandidates(tableEntityCollection, queryOptions.filter);"""),
    # the three removes of entities
    ("""            tableEntityCollection.remove(doc);
            return;""",
     """            gatewayRemove(tableEntityCollection, doc);
            return;"""),
    ("""                tableBatchCollection.remove(doc);""", """                gatewayRemove(tableBatchCollection, doc);"""),
    ("""            tableBatchCollection.remove(deleteRow);""", """            gatewayRemove(tableBatchCollection, deleteRow);"""),
]


def holes(text: str, store) -> str:
    if HOLE_MARK in text:
        return text
    if KEY_MARK not in text or text.count(KEY_ANCHOR) != 1 or any(text.count(old) != 1 for old, _ in HOLE_EDITS):
        print(f"azurite-partition-index: {store} is not the expected code for deletes that leave a hole; left as it is", file=sys.stderr)
        return text
    for old, new in HOLE_EDITS:
        text = text.replace(old, new)
    text = text.replace(KEY_ANCHOR, HOLE_HELPERS)
    print(f"azurite-partition-index: deletes leave a hole, removed in one pass per eighth of the table ({store})", file=sys.stderr)
    return text


UNINDEX_MARK = "/* gateway: a hole leaves the RowKey index */"
UNINDEX_EDITS = [
    ("""function gatewayRemove(coll, doc) {
""", UNINDEX_MARK + """
// A hole's position leaves the RowKey index at once (a native splice, as an insert's; no position shifts, since the
// hole keeps its place in the data array): a RowKey range then holds live rows only. The gateway deletes its
// owed-work markers as settlements complete, so without this the sweep's owed-work range (one RowKey range per
// hospital) held every marker deleted since the last pass, up to an eighth of the table, on every sweep
// (docs/benchmarks.md, "The two-hour soak on the packed store"). The PartitionKey index keeps the hole (finding it there would mean
// scanning the partition's equal keys); reads skip it, and the pass renumbers both. The last position of an index
// stays (an empty index next to a non-empty data array is a state Loki's range search does not expect).
function gatewayUnindexRowKey(coll, position, rowKey) {
    const index = coll.binaryIndices.RowKey;
    if (!index || index.dirty || coll.adaptiveBinaryIndices !== true || index.values.length < 2) return;
    const [lo, hi] = coll.calculateRange("$eq", "RowKey", rowKey);
    const v = index.values;
    for (let i = lo; i <= hi; i++) {
        if (v[i] === position) {
            v.splice(i, 1);
            return;
        }
    }
}
function gatewayRemove(coll, doc) {
"""),
    ("""    coll.gatewayHoles = (coll.gatewayHoles || 0) + 1;
""", """    gatewayUnindexRowKey(coll, found[1], stored.RowKey);
    coll.gatewayHoles = (coll.gatewayHoles || 0) + 1;
"""),
]


def unindexed_holes(text: str, store) -> str:
    if UNINDEX_MARK in text:
        return text
    if HOLE_MARK not in text or any(text.count(old) != 1 for old, _ in UNINDEX_EDITS):
        print(f"azurite-partition-index: {store} is not the expected code for holes leaving the RowKey index; left as it is", file=sys.stderr)
        return text
    for old, new in UNINDEX_EDITS:
        text = text.replace(old, new, 1)
    print(f"azurite-partition-index: a deleted row leaves the RowKey index at once ({store})", file=sys.stderr)
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
    text = same_keys(text, store)
    text = holes(text, store)
    text = unindexed_holes(text, store)
    if text != original:
        store.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
