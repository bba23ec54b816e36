// The hole helpers of a patched Azurite table store (tools/azurite-partition-index.py, "removes leave a hole", with
// what later edits put among them: packed entities, holes leaving the RowKey index), for the Loki-level bench and test
// (bench/azurite/loki-remove.js, tests/azurite/row-key-holes.js): require(this)(<node_modules of that Azurite>).
const fs = require("fs");
const path = require("path");

module.exports = function holeHelpers(modules) {
    const store = fs.readFileSync(path.join(modules, "azurite/dist/src/table/persistence/LokiTableMetadataStore.js"), "utf8");
    const start = store.indexOf("/* gateway: removes leave a hole */");
    const end = store.indexOf("/* gateway: replace in place */");
    if (start < 0 || end < start) throw new Error("this Azurite has no hole-leaving delete (run tools/azurite-partition-index.py on it)");
    return new Function(store.slice(start, end) + "\nreturn { gatewayRemove, gatewayCompact, gatewayIsHole };")();
};
