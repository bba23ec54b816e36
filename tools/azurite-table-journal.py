#!/usr/bin/env python3
"""Make Azurite's table store durable with a journal instead of rewriting its whole database every 5 s (issue 21).

Azurite 3.37 keeps its tables in a LokiJS database that it saves, on disk, by serialising the whole database to one
JSON string every 5 seconds. docs/benchmarks.md ("Azurite as it grows") measured what that does to the embedded
default: the save holds Node's one thread for longer with every settlement stored, up to 5 s of acknowledged writes
are lost on a crash, and past V8's longest string (512 MiB, ~35,000 gateway settlements) Azurite aborts.

This installs tools/azurite-table-journal.js into Azurite as persistence/GatewayJournal.js and edits the Loki table
store so that, when Azurite runs with --location (never with --inMemoryPersistence), its Loki database stays in
memory and every change is appended to a journal, group-committed and fdatasync'ed within milliseconds, with
snapshots written a slice at a time (the design is in the JS file's header and in docs/design.md). Idempotent: the
journal file is copied again whenever it changed; refuses to touch a store whose code is not the expected one.
"""
import pathlib
import shutil
import sys

import azurite_edit

MARK = "/* gateway: table journal */"
EDITS = [
    (
        """        this.db = new lokijs_1.default(lokiDBPath, inMemory ? {
            persistenceMethod: "memory"
        } : {
            persistenceMethod: "fs",
            autosave: true,
            autosaveInterval: 5000
        });""",
        MARK + """
        this.db = new lokijs_1.default(lokiDBPath, { persistenceMethod: "memory" });
        this.gatewayJournal = inMemory ? undefined : new (require("./GatewayJournal").Journal)(lokiDBPath, this.db);""",
    ),
    (
        """    async loadDB() {
""",
        """    async loadDB() {
        if (this.gatewayJournal) {
            await this.gatewayJournal.open();
            return;
        }
""",
    ),
    (
        """    async saveDBState() {
""",
        """    async saveDBState() {
        if (this.gatewayJournal) {
            await this.gatewayJournal.sync();
            return;
        }
""",
    ),
    (
        """    async close() {
        await new Promise((resolve, reject) => {
            this.db.close(""",
        """    async close() {
        if (this.gatewayJournal) {
            await this.gatewayJournal.close();
        }
        await new Promise((resolve, reject) => {
            this.db.close(""",
    ),
    (
        """            throw new Error("Transaction Overlap!");
        }
    }""",
        """            throw new Error("Transaction Overlap!");
        }
        if (this.gatewayJournal) {
            this.gatewayJournal.beginBatch();
        }
    }""",
    ),
    (
        """        // reset entity rollback trackers
        this.transactionRollbackTheseEntities = [];
        this.transactionDeleteTheseEntities = [];""",
        """        // reset entity rollback trackers
        this.transactionRollbackTheseEntities = [];
        this.transactionDeleteTheseEntities = [];
        if (this.gatewayJournal) {
            this.gatewayJournal.endBatch();
        }""",
    ),
]


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".tools/azurite")
    persistence = root / "node_modules/azurite/dist/src/table/persistence"
    store = persistence / "LokiTableMetadataStore.js"
    source = pathlib.Path(__file__).with_name("azurite-table-journal.js")
    target = persistence / "GatewayJournal.js"
    if not target.exists() or target.read_bytes() != source.read_bytes():
        shutil.copyfile(source, target)
    return azurite_edit.apply(store, MARK, EDITS, "azurite-table-journal",
                              "is not the expected Azurite 3.37 code; left as it is (the table store saves its whole database every 5 s)",
                              "the table store now keeps a journal")


if __name__ == "__main__":
    sys.exit(main())
