// Loki's remove against the gateway's hole-leaving delete (tools/azurite-partition-index.py), on a collection shaped
// like Azurite's entity tables (binary indices on PartitionKey and RowKey; 64 partitions).
// usage: node bench/azurite/loki-remove.js <azurite install, e.g. .tools/azurite> [rows...]
const path = require("path");
const root = path.resolve(process.argv[2] || ".tools/azurite");
const loki = require(path.join(root, "node_modules/lokijs"));
const { gatewayRemove, gatewayCompact } = require(path.join(__dirname, "../../tools/azurite-hole-helpers.js"))(path.join(root, "node_modules"));
const sizes = process.argv.slice(3).map(Number).filter((n) => n > 0);
const removes = 2000;
function build(n) {
    const db = new loki("bench", { persistenceMethod: "memory" });
    const c = db.addCollection("t", { indices: ["PartitionKey", "RowKey"] });
    for (let i = 0; i < n; i++) c.insert({ PartitionKey: "H" + (i % 64).toString().padStart(4, "0"), RowKey: "r" + i.toString(36).padStart(8, "0"), properties: { N: i } });
    return c;
}
function run(n, remove) {
    const c = build(n);
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    const victims = [];
    const seen = new Set();
    while (victims.length < removes) { const d = c.data[next() % c.data.length]; if (!seen.has(d.$loki)) { seen.add(d.$loki); victims.push(d); } }
    const t0 = process.hrtime.bigint();
    for (const d of victims) remove(c, d);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    return ms / removes;
}
console.log("rows      Loki remove (ms each)   hole-leaving delete (ms each)   one pass removing n/8 holes (ms)");
for (const n of sizes.length ? sizes : [100000, 300000, 600000]) {
    const a = run(n, (c, d) => c.remove(d));
    const b = run(n, gatewayRemove);
    const c = build(n);
    for (let i = 0; i < c.data.length; i += 8) c.data[i] = { PartitionKey: c.data[i].PartitionKey, RowKey: c.data[i].RowKey, $loki: c.data[i].$loki, $gatewayHole: true };
    const t0 = process.hrtime.bigint();
    gatewayCompact(c);
    const pass = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`${String(n).padEnd(9)} ${a.toFixed(4).padStart(10)}              ${b.toFixed(4).padStart(10)}                      ${pass.toFixed(1).padStart(8)}`);
}
