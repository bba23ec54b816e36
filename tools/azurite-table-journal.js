"use strict";
/*
 * Gateway: a durable journal for Azurite's Loki table store (issue 21; docs/design.md, "The embedded default's table
 * store"). Installed into Azurite by tools/azurite-table-journal.py, which makes LokiTableMetadataStore keep its
 * Loki database in memory and hand every change to this journal instead of Loki's own "fs" persistence.
 *
 * Why: Loki's own persistence rewrites the whole database with one JSON.stringify every 5 s. That costs in proportion
 * to everything stored (the event loop is held for seconds once the store is large), loses up to 5 s of writes on a
 * crash, and aborts Node once the database passes V8's longest string (512 MiB, ~35,000 gateway settlements).
 *
 * What: every insert, update and remove of every collection is appended as one JSON line to journal.<gen> (group
 * commit: the lines gathered in a few milliseconds are written and fdatasync'ed together; the lines of one
 * entity-group transaction are never split across a flush). When the journal has grown past the last snapshot's
 * size, a new generation starts, and a worker thread writes snapshot.<gen> from the files alone: the last snapshot
 * and the journals before <gen>, replayed, are exactly the state at which journal.<gen> begins. Azurite's own thread
 * only closes one journal and opens the next; the replay and the writing cost it nothing. Start-up replays the newest
 * complete snapshot and every journal from its generation on; the last line of a journal may be torn by a crash and
 * is then ignored. A clean stop flushes everything.
 *
 * Layout: <location>/__azurite_db_table__.json.journal/{snapshot.N, journal.N}. A database in Loki's own format
 * (an earlier ./gateway up) is read once and carried over; the old file is kept as *.before-journal.
 */
const fs = require("fs");
const path = require("path");
const { Worker, isMainThread, parentPort, workerData } = require("worker_threads");

const SNAPSHOT = "snapshot.";
const JOURNAL = "journal.";

function say(message) {
    process.stderr.write(`gateway table journal: ${message}\n`);
}

class Journal {
    constructor(lokiDBPath, db) {
        this.lokiDBPath = lokiDBPath;
        this.dir = lokiDBPath + ".journal";
        this.db = db;
        this.pending = [];
        this.fd = -1;
        this.gen = 0;
        this.logBytes = 0;
        this.snapshotBytes = 0;
        this.writing = false;
        this.timer = null;
        this.inBatch = false;
        this.batchSince = 0;
        this.compaction = null;
        this.compactions = 0;
        this.closed = false;
        this.idleWaiters = [];
        this.flushDelayMs = Number(process.env.GATEWAY_JOURNAL_FLUSH_MS || 5);
        this.minCompactBytes = Number(process.env.GATEWAY_JOURNAL_COMPACT_BYTES || 64 * 1024 * 1024);
        // Tests: hold the worker this long before it writes, so that the store changes while a snapshot is made.
        this.compactDelayMs = Number(process.env.GATEWAY_JOURNAL_COMPACT_DELAY_MS || 0);
        this.dropped = 0;
    }

    // ---- record lines (journal and snapshot alike) ------------------------------------------------------------------

    static createLine(c) {
        return `{"c":${JSON.stringify(c.name)},"o":"C","opts":${JSON.stringify(Journal.options(c))}}\n`;
    }

    /**
     * The snapshot line of a document (start-up's snapshot, written from memory before anything is served), or null
     * for a document without an id, which could not be replayed.
     */
    static insertLine(quotedName, d) {
        return d.$loki === undefined ? null : `{"c":${quotedName},"o":"I","d":${JSON.stringify(d)}}\n`;
    }

    // ---- start-up -------------------------------------------------------------------------------------------------

    async open() {
        fs.mkdirSync(this.dir, { recursive: true });
        for (const f of fs.readdirSync(this.dir)) {
            if (f.endsWith(".tmp")) fs.unlinkSync(path.join(this.dir, f));
        }
        const snapshots = this.generations(SNAPSHOT);
        const journals = this.generations(JOURNAL);
        const started = Date.now();
        const state = new Map(); // collection name -> Map($loki -> document)
        let replayedBytes = 0;
        let lines = 0;
        const base = snapshots.length ? snapshots[snapshots.length - 1] : 0;
        if (snapshots.length) {
            const r = this.replayFile(path.join(this.dir, SNAPSHOT + base), state, false);
            replayedBytes += r.bytes; lines += r.lines;
            this.snapshotBytes = r.bytes;
        } else if (journals.length === 0 && fs.existsSync(this.lokiDBPath)) {
            this.migrate(state);
        }
        let maxGen = base;
        for (const g of journals) {
            if (g < base) continue;
            const r = this.replayFile(path.join(this.dir, JOURNAL + g), state, true);
            replayedBytes += r.bytes; lines += r.lines;
            maxGen = Math.max(maxGen, g);
        }
        if (this.dropped) say(`dropped ${this.dropped} snapshot records without an id (documents removed while an earlier version wrote the snapshot)`);
        this.build(state);
        this.hookDatabase();
        let documents = 0;
        for (const docs of state.values()) documents += docs.size;
        if (lines > 0) {
            say(`loaded ${documents} documents in ${state.size} collections from ${(replayedBytes / 1048576).toFixed(1)} MiB in ${Date.now() - started} ms (${this.dir})`);
        }
        this.gen = maxGen + 1;
        const journalBytes = replayedBytes - (snapshots.length ? this.snapshotBytes : 0);
        if (journalBytes > Math.max(this.minCompactBytes, this.snapshotBytes) || this.migrated) {
            // Nothing is served yet: write the snapshot in one go, then start the new generation's journal.
            this.writeSnapshotSync(this.gen);
            this.dropBefore(this.gen);
        }
        this.fd = fs.openSync(path.join(this.dir, JOURNAL + this.gen), "a");
        this.logBytes = 0;
        this.fsyncDir();
    }

    /** The generations of the complete files named prefix + N in the journal folder, oldest first. */
    generations(prefix) {
        return fs.readdirSync(this.dir).filter((f) => f.startsWith(prefix) && /^\d+$/.test(f.slice(prefix.length)))
            .map((f) => Number(f.slice(prefix.length))).sort((a, b) => a - b);
    }

    migrate(state) {
        const text = fs.readFileSync(this.lokiDBPath, "utf8");
        const old = JSON.parse(text);
        for (const c of old.collections || []) {
            const docs = new Map();
            for (const d of c.data || []) docs.set(d.$loki, d);
            docs.gatewayOptions = { indices: Object.keys(c.binaryIndices || {}), unique: c.uniqueNames || [] };
            state.set(c.name, docs);
        }
        this.migrated = true;
        say(`carrying over ${this.lokiDBPath} (Loki's own format, ${(text.length / 1048576).toFixed(1)} MiB)`);
    }

    /**
     * Replays one file into state. With raw, documents are kept as their record's bytes (a Buffer, outside V8's heap)
     * instead of objects: what the compaction worker writes back out as it read it.
     */
    replayFile(file, state, tornTailAllowed, raw = false) {
        const fd = fs.openSync(file, "r");
        const size = fs.fstatSync(fd).size;
        const chunk = Buffer.allocUnsafe(Math.min(Math.max(size, 1), 64 * 1024 * 1024));
        let carry = Buffer.alloc(0);
        let position = 0;
        let lines = 0;
        let goodBytes = 0;
        const apply = (buf, start, end) => {
            const text = buf.toString("utf8", start, end);
            let record;
            try {
                record = JSON.parse(text);
            } catch (e) {
                return false;
            }
            this.apply(record, state, file, raw ? Buffer.from(buf.subarray(start, end + 1)) : null);
            lines++;
            return true;
        };
        while (position < size) {
            const n = fs.readSync(fd, chunk, 0, chunk.length, position);
            if (n <= 0) break;
            position += n;
            let buf = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
            let start = 0;
            for (;;) {
                const nl = buf.indexOf(10, start);
                if (nl < 0) break;
                if (nl > start && !apply(buf, start, nl)) {
                    throw new Error(`${file}: line ${lines + 1} is not a journal record (the store is damaged; move ${this.dir} away to start empty)`);
                }
                goodBytes += nl + 1 - start;
                start = nl + 1;
            }
            carry = Buffer.from(buf.subarray(start));
        }
        fs.closeSync(fd);
        if (carry.length) {
            // A last line without its newline: a write torn by a crash. It was never acknowledged as flushed.
            if (!tornTailAllowed) throw new Error(`${file} ends in a partial line (a snapshot is written whole before it is named)`);
            say(`ignored a torn last line of ${carry.length} bytes in ${file}`);
        }
        return { bytes: goodBytes, lines };
    }

    apply(record, state, file, line = null) {
        const name = record.c;
        switch (record.o) {
            case "C": {
                const docs = new Map();
                docs.gatewayOptions = record.opts || {};
                docs.gatewayCreate = line;
                state.set(name, docs);
                return;
            }
            case "D":
                state.delete(name);
                return;
            case "I":
            case "U": {
                const docs = state.get(name);
                if (!docs) throw new Error(`${file}: a change to collection ${name}, which does not exist`);
                if (!Number.isInteger(record.d.$loki)) {
                    // Only a snapshot of an earlier version held these: a document removed while the snapshot was
                    // written, kept without its id. Its removal followed in the journal, so it is not part of the state.
                    this.dropped++;
                    return;
                }
                docs.set(record.d.$loki, line || record.d);
                return;
            }
            case "R": {
                const docs = state.get(name);
                if (docs) docs.delete(record.id);
                return;
            }
            default:
                throw new Error(`${file}: unknown journal operation ${record.o}`);
        }
    }

    /**
     * A document read from the files as the store keeps it in memory: the table store's own form when it gives one
     * (tools/azurite-packed-entities.py packs entities, also those of a store written before it), else as read.
     */
    revived(d) {
        return typeof this.db.gatewayRevive === "function" ? this.db.gatewayRevive(d) : d;
    }

    build(state) {
        for (const [name, docs] of state) {
            const opts = docs.gatewayOptions || {};
            const c = this.db.addCollection(name, { indices: opts.indices || [], unique: opts.unique || [] });
            const data = Array.from(docs.values(), (d) => this.revived(d)).sort((a, b) => a.$loki - b.$loki);
            c.data = data;
            c.idIndex = data.map((d) => d.$loki);
            c.maxId = data.length ? data[data.length - 1].$loki : 0;
            for (const field of c.uniqueNames) c.ensureUniqueIndex(field);
            c.ensureAllIndexes(true);
            c.dirty = false;
        }
    }

    // ---- recording ------------------------------------------------------------------------------------------------

    hookDatabase() {
        const journal = this;
        const db = this.db;
        for (const c of db.collections) this.hookCollection(c);
        const addCollection = db.addCollection.bind(db);
        db.addCollection = function (name, options) {
            if (db.getCollection(name)) return addCollection(name, options);
            const c = addCollection(name, options);
            journal.push(`{"c":${JSON.stringify(name)},"o":"C","opts":${JSON.stringify(Journal.options(c))}}\n`);
            journal.hookCollection(c);
            return c;
        };
        const removeCollection = db.removeCollection.bind(db);
        db.removeCollection = function (name) {
            if (db.getCollection(name)) journal.push(`{"c":${JSON.stringify(name)},"o":"D"}\n`);
            return removeCollection(name);
        };
    }

    static options(c) {
        return { indices: Object.keys(c.binaryIndices || {}), unique: c.uniqueNames || [] };
    }

    hookCollection(c) {
        const journal = this;
        c.disableChangesApi = false;
        c.disableDeltaChangesApi = true;
        // Loki's Changes API calls createChange for every insert and update (with the document as stored) and, through
        // its "delete" event, for every remove: write the record straight away instead of cloning it into c.changes.
        c.createChange = function (name, op, obj) {
            const n = JSON.stringify(this.name);
            journal.push(op === "R"
                ? `{"c":${n},"o":"R","id":${obj.$loki}}\n`
                : `{"c":${n},"o":"${op}","d":${JSON.stringify(obj)}}\n`);
        };
    }

    push(line) {
        if (this.closed) {
            say("a change after the store was closed is not kept");
            return;
        }
        this.pending.push(line);
        this.schedule();
    }

    beginBatch() {
        this.inBatch = true;
        this.batchSince = Date.now();
    }

    endBatch() {
        this.inBatch = false;
    }

    // ---- flushing -------------------------------------------------------------------------------------------------

    schedule() {
        if (this.timer || this.writing || this.closed) return;
        this.timer = setTimeout(() => {
            this.timer = null;
            this.flush();
        }, this.flushDelayMs);
    }

    flush() {
        if (this.writing || this.fd < 0) return;
        if (this.inBatch && Date.now() - this.batchSince < 2000) {
            this.schedule(); // never split an entity-group transaction's lines across two flushes
            return;
        }
        if (this.pending.length === 0) {
            this.idle();
            return;
        }
        const data = Buffer.from(this.pending.join(""), "utf8");
        this.pending = [];
        this.writing = true;
        const fd = this.fd;
        const writeFrom = (offset) => {
            fs.write(fd, data, offset, data.length - offset, null, (err, written) => {
                if (err) return this.fail(err);
                if (offset + written < data.length) return writeFrom(offset + written);
                fs.fdatasync(fd, (err2) => {
                    if (err2) return this.fail(err2);
                    this.logBytes += data.length;
                    this.writing = false;
                    if (this.closed) return this.idle();
                    if (this.pending.length) this.schedule();
                    else this.idle();
                    this.maybeCompact();
                });
            });
        };
        writeFrom(0);
    }

    idle() {
        if (this.writing) return;
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
    }

    whenIdle() {
        if (!this.writing) return Promise.resolve();
        return new Promise((resolve) => this.idleWaiters.push(resolve));
    }

    fail(err) {
        say(`cannot write ${this.dir}: ${err.message}; stopping, so that no answer claims a write that is not kept`);
        process.exit(70);
    }

    /** Waits until everything recorded so far is on disk. */
    async sync() {
        if (this.timer) { clearTimeout(this.timer); this.timer = null; }
        await this.whenIdle();
        this.flushSync();
    }

    flushSync() {
        if (this.pending.length && this.fd >= 0) {
            const data = Buffer.from(this.pending.join(""), "utf8");
            this.pending = [];
            let offset = 0;
            while (offset < data.length) offset += fs.writeSync(this.fd, data, offset, data.length - offset);
            fs.fdatasyncSync(this.fd);
            this.logBytes += data.length;
        }
    }

    async close() {
        if (this.closed) return;
        if (this.timer) { clearTimeout(this.timer); this.timer = null; }
        this.closed = true;
        if (this.compaction) await this.compaction.cancel();
        await this.whenIdle();
        this.flushSync();
        if (this.fd >= 0) fs.closeSync(this.fd);
        this.fd = -1;
        if (process.env.GATEWAY_JOURNAL_VERIFY === "1") this.verify();
    }

    // ---- compaction -----------------------------------------------------------------------------------------------

    maybeCompact() {
        if (this.compaction || this.closed) return;
        if (this.logBytes < Math.max(this.minCompactBytes, this.snapshotBytes)) return;
        // Start generation G: what was recorded so far is in the files before G (flushed now), what follows goes to
        // journal G. The state at which journal G begins is the last snapshot and the journals before G, replayed: a
        // worker thread does that from the files and writes snapshot G, while this thread goes on serving requests.
        this.flushSync();
        fs.closeSync(this.fd);
        const gen = this.gen + 1;
        this.fd = fs.openSync(path.join(this.dir, JOURNAL + gen), "a");
        this.gen = gen;
        this.logBytes = 0;
        this.fsyncDir();
        const started = Date.now();
        const tmp = path.join(this.dir, SNAPSHOT + gen + ".tmp");
        let worker;
        try {
            worker = new Worker(__filename, {
                workerData: { gatewayCompaction: true, dir: this.dir, lokiDBPath: this.lokiDBPath, gen, delayMs: this.compactDelayMs },
                stdout: false,
                stderr: false,
            });
        } catch (e) {
            say(`snapshot ${gen} failed: ${e.message}; the journals keep everything`);
            return;
        }
        let settled = false;
        const job = {
            gen,
            cancel: async () => {
                settled = true;
                await worker.terminate();
                Journal.removeQuietly(tmp);
                if (this.compaction === job) this.compaction = null;
            },
        };
        this.compaction = job;
        const done = (error, result) => {
            if (settled) return;
            settled = true;
            if (this.compaction === job) this.compaction = null;
            if (error || this.closed) {
                Journal.removeQuietly(tmp);
                if (error) say(`snapshot ${gen} failed: ${error}; the journals keep everything`);
                return;
            }
            // The worker has written, fsync'ed and named snapshot G; only now are the older files dropped.
            this.fsyncDir();
            this.dropBefore(gen);
            this.snapshotBytes = result.bytes;
            this.compactions++;
            say(`snapshot ${gen}: ${(result.bytes / 1048576).toFixed(1)} MiB of ${result.documents} documents in ${Date.now() - started} ms (a worker thread: ${result.replayMs} ms replaying ${(result.replayedBytes / 1048576).toFixed(1)} MiB)`);
            this.maybeCompact();
        };
        worker.once("message", (m) => done(m.error, m));
        worker.once("error", (e) => done(e.message));
        worker.once("exit", (code) => done(`the worker stopped (${code})`));
        worker.unref();
    }

    static removeQuietly(file) {
        try { fs.unlinkSync(file); } catch (e) { /* not there */ }
    }

    /**
     * In the worker: replays snapshot.B (the newest before gen) and journals B..gen-1 as bytes, and writes their state
     * as snapshot.gen (written to a .tmp, fsync'ed, then renamed: a crash leaves either no snapshot.gen or a whole one).
     */
    static compactInWorker({ dir, lokiDBPath, gen, delayMs }) {
        const j = new Journal(lokiDBPath, null);
        const started = Date.now();
        const snapshots = j.generations(SNAPSHOT).filter((g) => g < gen);
        const base = snapshots.length ? snapshots[snapshots.length - 1] : 0;
        const state = new Map();
        let replayedBytes = 0;
        if (snapshots.length) replayedBytes += j.replayFile(path.join(dir, SNAPSHOT + base), state, false, true).bytes;
        for (const g of j.generations(JOURNAL)) {
            if (g < base || g >= gen) continue;
            replayedBytes += j.replayFile(path.join(dir, JOURNAL + g), state, true, true).bytes;
        }
        const replayMs = Date.now() - started;
        const tmp = path.join(dir, SNAPSHOT + gen + ".tmp");
        const fd = fs.openSync(tmp, "w");
        if (delayMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delayMs);
        let bytes = 0;
        let documents = 0;
        let parts = [];
        let size = 0;
        const write = () => {
            const data = Buffer.concat(parts, size);
            let offset = 0;
            while (offset < data.length) offset += fs.writeSync(fd, data, offset, data.length - offset);
            bytes += data.length;
            parts = [];
            size = 0;
        };
        const add = (b) => {
            parts.push(b);
            size += b.length;
            if (size >= 8 * 1024 * 1024) write();
        };
        for (const [name, docs] of state) {
            add(docs.gatewayCreate || Buffer.from(`{"c":${JSON.stringify(name)},"o":"C","opts":${JSON.stringify(docs.gatewayOptions || {})}}\n`, "utf8"));
            for (const line of docs.values()) {
                add(Buffer.isBuffer(line) ? line : Buffer.from(`{"c":${JSON.stringify(name)},"o":"I","d":${JSON.stringify(line)}}\n`, "utf8"));
                documents++;
            }
        }
        write();
        fs.fsyncSync(fd);
        fs.closeSync(fd);
        fs.renameSync(tmp, path.join(dir, SNAPSHOT + gen));
        return { bytes, documents, replayMs, replayedBytes, dropped: j.dropped };
    }

    writeSnapshotSync(gen) {
        const tmp = path.join(this.dir, SNAPSHOT + gen + ".tmp");
        const fd = fs.openSync(tmp, "w");
        let bytes = 0;
        const write = (parts) => {
            const data = Buffer.from(parts.join(""), "utf8");
            let offset = 0;
            while (offset < data.length) offset += fs.writeSync(fd, data, offset, data.length - offset);
            bytes += data.length;
        };
        for (const c of this.db.collections) {
            const name = JSON.stringify(c.name);
            let parts = [Journal.createLine(c)];
            for (const d of c.data) {
                if (d.$gatewayHole === true) continue; // a deleted entity's place (tools/azurite-partition-index.py)
                const s = Journal.insertLine(name, d);
                if (s !== null) parts.push(s);
                if (parts.length >= 4096) { write(parts); parts = []; }
            }
            write(parts);
        }
        fs.fsyncSync(fd);
        fs.closeSync(fd);
        fs.renameSync(tmp, path.join(this.dir, SNAPSHOT + gen));
        this.fsyncDir();
        this.snapshotBytes = bytes;
        if (this.migrated) {
            fs.renameSync(this.lokiDBPath, this.lokiDBPath + ".before-journal");
            this.migrated = false;
        }
    }

    dropBefore(gen) {
        for (const f of fs.readdirSync(this.dir)) {
            const m = /^(snapshot|journal)\.(\d+)$/.exec(f);
            if (m && Number(m[2]) < gen) fs.unlinkSync(path.join(this.dir, f));
        }
    }

    fsyncDir() {
        try {
            const fd = fs.openSync(this.dir, "r");
            fs.fsyncSync(fd);
            fs.closeSync(fd);
        } catch (e) { /* not every file system lets a directory be synced */ }
    }

    // ---- self-check (GATEWAY_JOURNAL_VERIFY=1: tests) -------------------------------------------------------------

    verify() {
        const snapshots = this.generations(SNAPSHOT);
        const base = snapshots.length ? snapshots[snapshots.length - 1] : 0;
        const state = new Map();
        if (snapshots.length) this.replayFile(path.join(this.dir, SNAPSHOT + base), state, false);
        for (const g of this.generations(JOURNAL)) if (g >= base) this.replayFile(path.join(this.dir, JOURNAL + g), state, true);
        const problems = [];
        let documents = 0;
        for (const c of this.db.collections) {
            const docs = state.get(c.name);
            if (!docs) { problems.push(`collection ${c.name} is not in the journal`); continue; }
            const live = c.data.filter((d) => d.$gatewayHole !== true); // holes: deleted entities' places
            if (docs.size !== live.length) problems.push(`${c.name}: ${live.length} documents in memory, ${docs.size} in the journal`);
            for (const d of live) {
                documents++;
                const kept = docs.get(d.$loki);
                if (!kept || JSON.stringify(this.revived(kept)) !== JSON.stringify(d)) problems.push(`${c.name}: document ${d.$loki} differs`);
            }
        }
        for (const name of state.keys()) if (!this.db.getCollection(name)) problems.push(`collection ${name} is in the journal only`);
        say(problems.length
            ? `verify: ${problems.length} differences: ${problems.slice(0, 5).join("; ")}`
            : `verify: the journal holds all ${documents} documents of ${this.db.collections.length} collections as they are in memory`);
    }
}

exports.Journal = Journal;

if (!isMainThread && workerData && workerData.gatewayCompaction) {
    // A snapshot is background work: it yields the cores to Azurite's own thread and to the gateway beside it (a 630 MiB
    // snapshot took a core for 14 s in the soak, and the 99th percentile of that minute rose to 1.2 s). On Linux a
    // thread's nice value is its own: this lowers the worker only.
    try { require("os").setPriority(19); } catch (e) { /* not permitted here: it runs at the process's priority */ }
    try {
        parentPort.postMessage(Journal.compactInWorker(workerData));
    } catch (e) {
        parentPort.postMessage({ error: e.message });
    }
}
