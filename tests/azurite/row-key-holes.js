// A deleted row leaves the RowKey index at once (tools/azurite-partition-index.py, "a hole leaves the RowKey index"),
// so a RowKey range holds live rows only; the PartitionKey index keeps the hole until the pass that removes holes.
// Run by AzuritePartitionIndexTests on the Azurite the tests use: node row-key-holes.js <node_modules of that Azurite>.
// Exits 1, naming the first broken property, when the RowKey index holds a hole, misses a live row, is out of order,
// or when a range read through it differs from a walk of the live rows; before the pass, across it and after it.
const path = require("path");
const modules = path.resolve(process.argv[2]);
const loki = require(path.join(modules, "lokijs"));
const { gatewayRemove, gatewayIsHole } = require(path.join(__dirname, "../../tools/azurite-hole-helpers.js"))(modules);

const db = new loki("holes", { persistenceMethod: "memory" });
const c = db.addCollection("t", { indices: ["PartitionKey", "RowKey"] });
// Shaped like the Settlements table: nine hospital partitions, settlement rows and owed-work markers ("~wait|…"),
// number-like row keys (Loki sorts them numerically, before other strings) and a row key shared by partitions.
for (let i = 0; i < 6000; i++) {
    const rk = i % 3 === 0 ? "~wait|" + i.toString().padStart(5, "0") : i % 7 === 0 ? String(i) : i % 11 === 0 ? "shared" : "s" + i.toString().padStart(5, "0");
    c.insert({ PartitionKey: "H" + (i % 9), RowKey: rk, properties: { N: i } });
}
let seed = 7;
const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
let passes = 0;
function fail(message) {
    console.error(message);
    process.exit(1);
}
function check(label) {
    const values = c.binaryIndices.RowKey.values;
    const indexed = new Set(values);
    values.forEach((p, i) => {
        if (gatewayIsHole(c.data[p])) fail(`${label}: the RowKey index holds the hole at ${p}`);
        if (i > 0 && c.data[values[i - 1]].RowKey > c.data[p].RowKey && !/^\d/.test(c.data[p].RowKey)) fail(`${label}: the RowKey index is out of order at ${i}`);
    });
    c.data.forEach((d, i) => { if (!gatewayIsHole(d) && !indexed.has(i)) fail(`${label}: live row ${i} is not in the RowKey index`); });
    const live = c.data.filter((d) => !gatewayIsHole(d));
    for (const [lo, hi] of [["~wait|", "~wait}"], ["s01000", "s02000"], ["shared", "shared"]]) {
        const [a, b] = c.calculateRange("$between", "RowKey", [lo, hi]);
        const got = values.slice(a, b + 1).map((p) => c.data[p]).filter((d) => d.RowKey >= lo && d.RowKey <= hi).map((d) => d.$loki).sort((x, y) => x - y);
        const want = live.filter((d) => d.RowKey >= lo && d.RowKey <= hi).map((d) => d.$loki).sort((x, y) => x - y);
        if (JSON.stringify(got) !== JSON.stringify(want)) fail(`${label}: the range ${lo}..${hi} read ${got.length} rows, a walk ${want.length}`);
    }
    const holesInPartitionIndex = c.binaryIndices.PartitionKey.values.filter((p) => gatewayIsHole(c.data[p])).length;
    console.log(`${label}: ${live.length} live of ${c.data.length}, RowKey index ${values.length}, holes in the PartitionKey index ${holesInPartitionIndex}`);
}
for (let round = 0; round < 16; round++) {
    const before = c.gatewayHoles || 0;
    for (let k = 0; k < 300; k++) {
        const d = c.data[next() % c.data.length];
        if (!gatewayIsHole(d)) gatewayRemove(c, d);
    }
    if ((c.gatewayHoles || 0) < before) passes++;
    for (let k = 0; k < 30; k++) c.insert({ PartitionKey: "H" + (k % 9), RowKey: "~wait|n" + round + "-" + k, properties: {} });
    check(`round ${round} (holes ${c.gatewayHoles || 0}, passes ${passes})`);
}
if (passes === 0) fail("the pass that removes holes never ran: the test did not reach it");
console.log("ok");
