#!/usr/bin/env python3
"""Keep each stored table entity's properties as one string in Azurite's heap (issue 21; docs/benchmarks.md,
"Entities packed into one string").

Azurite 3.37 keeps every entity as a JavaScript object whose `properties` is another object holding every property
and its `@odata.type` as separate fields. V8's full collections (Mark-Compact) visit every field of every live object,
so their pause grows with everything stored: measured on the soak's store (~900,000 entities after 147,200
settlements) at ~500 ms of marking every minute, the tail that holds the soak's 99th percentile above 150 ms.

This edits the installed Loki table store so that an entity, as it is stored (insert, replace, merge, a
transaction's rollback), becomes a GatewayEntity: its keys, eTag, lastModifiedTime, Loki's $loki and meta, and `$p`,
its properties as one JSON string (one object for the collector with no fields to follow, instead of dozens). Reading
`entity.properties` parses `$p` (once per turn of the event loop: the parsed object is kept in a map cleared by
setImmediate, so a query's predicate and the response's serialiser read it once); writing it on a stored entity
throws (Azurite never does: every change goes through the store's insert and update, which pack a new entity). The
journal (tools/azurite-table-journal.js) records packed entities as they are, `$p` and all, and revives them on
start-up through `db.gatewayRevive`, which also packs the entities of a store written before this edit.

Run after tools/azurite-partition-index.py and tools/azurite-table-journal.py (it edits their code). Idempotent;
refuses to touch a file whose code is not the expected one.
"""
import pathlib
import sys

import azurite_edit

MARK = "/* gateway: packed entities */"
HELPERS_ANCHOR = "function gatewayIsHole(d) {"
HELPERS = MARK + """
// See tools/azurite-packed-entities.py. The parsed properties of the entities read in this turn of the event loop.
const gatewayParsed = new Map();
let gatewayParsedClearing = false;
function gatewayClearParsed() { gatewayParsed.clear(); gatewayParsedClearing = false; }
class GatewayEntity {
    constructor(d, packed) {
        this.PartitionKey = d.PartitionKey;
        this.RowKey = d.RowKey;
        this.lastModifiedTime = d.lastModifiedTime;
        this.eTag = d.eTag;
        this.$loki = d.$loki;
        this.meta = d.meta;
        this.$p = packed;
    }
    get properties() {
        let p = gatewayParsed.get(this);
        if (p === undefined) {
            p = JSON.parse(this.$p);
            gatewayParsed.set(this, p);
            if (!gatewayParsedClearing) { gatewayParsedClearing = true; setImmediate(gatewayClearParsed); }
        }
        return p;
    }
    set properties(value) {
        throw new Error("gateway: a stored entity's properties change only through the store's insert and update");
    }
}
// The stored form of an entity (a plain one as Azurite builds it, or a stored one being copied).
function gatewayPack(d) { return new GatewayEntity(d, JSON.stringify(d.properties)); }
// A document read back by the journal: a packed entity, an entity of a store written before packing, or another kind.
function gatewayRevive(d) {
    if (d === null || typeof d !== "object" || d instanceof GatewayEntity) return d;
    if (typeof d.$p === "string" && typeof d.PartitionKey === "string") return new GatewayEntity(d, d.$p);
    if (typeof d.PartitionKey === "string" && typeof d.RowKey === "string" && d.properties !== null
        && typeof d.properties === "object" && !Array.isArray(d.properties)) return gatewayPack(d);
    return d;
}
""" + HELPERS_ANCHOR

EDITS = [
    (HELPERS_ANCHOR, HELPERS),
    (
        """        this.gatewayJournal = inMemory ? undefined : new (require("./GatewayJournal").Journal)(lokiDBPath, this.db);""",
        """        this.gatewayJournal = inMemory ? undefined : new (require("./GatewayJournal").Journal)(lokiDBPath, this.db);
        this.db.gatewayRevive = gatewayRevive;""",
    ),
    (
        """        if (batchId !== "" && batchId !== undefined) {
            this.transactionDeleteTheseEntities.push(entity);
        }
        tableEntityCollection.insert(entity);
        return entity;""",
        """        const stored = gatewayPack(entity);
        if (batchId !== "" && batchId !== undefined) {
            this.transactionDeleteTheseEntities.push(stored);
        }
        tableEntityCollection.insert(stored);
        entity.$loki = stored.$loki;
        return entity;""",
    ),
    (
        """function gatewayReplace(coll, doc, entity) {
    entity.$loki = doc.$loki;
    entity.meta = Object.assign({}, doc.meta);
    return gatewayUpdateSameKeys(coll, entity);
}""",
        """function gatewayReplace(coll, doc, entity) {
    const stored = gatewayPack(entity);
    stored.$loki = entity.$loki = doc.$loki;
    stored.meta = Object.assign({}, doc.meta);
    gatewayUpdateSameKeys(coll, stored);
    return entity;
}""",
    ),
    (
        """            gatewayUpdateSameKeys(tableEntityCollection, mergedEntity);
            return mergedEntity;""",
        """            delete mergedEntity.$p;
            gatewayUpdateSameKeys(tableEntityCollection, gatewayPack(mergedEntity));
            return mergedEntity;""",
    ),
    (
        """            tableBatchCollection.insert(copiedEntity);""",
        """            tableBatchCollection.insert(gatewayPack(copiedEntity));""",
    ),
]


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".tools/azurite")
    return azurite_edit.apply(root / "node_modules/azurite/dist/src/table/persistence/LokiTableMetadataStore.js", MARK, EDITS,
                              "azurite-packed-entities",
                              "is not the expected code (Azurite 3.37 with the partition index and journal edits); "
                              "left as it is (entities stay objects)",
                              "stored entities keep their properties as one string")


if __name__ == "__main__":
    sys.exit(main())
