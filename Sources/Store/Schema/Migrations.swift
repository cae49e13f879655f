// The ordered schema migrations. Version 1 is schema.sql; later versions are appended here and
// never edited once shipped (a database at version N runs steps N+1… in order, each in its own
// transaction, and records the version in PRAGMA user_version).
public enum Migrations {
    /// steps[i] brings the database from version i to version i + 1.
    public static var steps: [String] {
        [
            Schema.sql, // 1: the data model (schema.sql)
            version2, // 2: the training loop (Migration2.swift)
            version3, // 3: the coverage counter prompts.labels for next-task (Migration3.swift)
            version4, // 4: judgments_by_annotator dropped: fewer pages per label (Migration4.swift)
            version5, // 5: assignments renamed leases, judgments.assignment_id lease_id (Migration5.swift)
        ]
    }

    /// The version this build writes.
    public static var latestVersion: Int { steps.count }

    /// Brings `connection` up to `latestVersion`. Returns the versions applied.
    @discardableResult
    static func migrate(_ connection: Connection, steps: [String] = Migrations.steps) throws -> [Int] {
        let latestVersion = steps.count
        let current = Int(try connection.scalar("PRAGMA user_version"))
        if current > latestVersion { throw StoreError.newerSchema(found: current, known: latestVersion) }
        var applied: [Int] = []
        for version in current..<latestVersion {
            try connection.transaction(immediate: true) { c in
                // Re-check inside the write lock: another process may have migrated meanwhile.
                guard Int(try c.scalar("PRAGMA user_version")) == version else { return }
                try c.execute(steps[version])
                try c.execute("PRAGMA user_version = \(version + 1)")
                applied.append(version + 1)
            }
        }
        return applied
    }
}
