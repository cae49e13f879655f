// The models directory (`hilo serve --models DIR`, default `<db>.models/`) and the model_versions rows
// that name its folders. A version folder `DIR/<kind>-v<n>` is complete before its row exists: it is
// written as `DIR/.tmp-<name>-<random>` and renamed, and only then is the row inserted. At start-up
// `recover()` deletes what a crash left (hidden temporary folders, folders without a row), so no
// partial version is ever visible. Folders are never modified once they appear; pruning deletes a
// folder and keeps its row (pruned_at) for lineage. Promotions and rollbacks are recorded in
// model_promotions, in the same transaction as the change of serving version.
import Engine
import Foundation
import Store
import Support

public final class ModelStore: Sendable {
    public let directory: URL
    let db: Database
    let clock: MillisecondClock
    /// Called after the serving version of a kind changed (promotion, rollback, registration).
    let servingChanged: @Sendable (ModelKind, ModelVersionRecord) -> Void

    public init(directory: URL, db: Database, clock: @escaping MillisecondClock = currentTimeMs,
                servingChanged: @escaping @Sendable (ModelKind, ModelVersionRecord) -> Void = { _, _ in }) throws {
        self.directory = directory.standardizedFileURL
        self.db = db
        self.clock = clock
        self.servingChanged = servingChanged
        do {
            try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        } catch {
            throw EngineError.badFile(path: directory.path, reason: "cannot create the models directory: \(error.localizedDescription)")
        }
    }

    /// The default models directory of a database file: `<db>.models/` beside it.
    public static func defaultDirectory(forDatabase path: String) -> URL {
        URL(fileURLWithPath: path + ".models").standardizedFileURL
    }

    // MARK: start-up

    /// Deletes leftovers of an interrupted write: hidden entries (temporary folders and checkpoints)
    /// and folders no model_versions row names. Returns the names deleted.
    @discardableResult
    public func recover() throws -> [String] {
        let fm = FileManager.default
        let registered = Set(try db.read { try ModelRepository($0).records() }.map { URL(fileURLWithPath: $0.path).standardizedFileURL.path })
        var removed: [String] = []
        for name in (try? fm.contentsOfDirectory(atPath: directory.path)) ?? [] {
            let url = directory.appendingPathComponent(name)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: url.path, isDirectory: &isDir) else { continue }
            let leftover = name.hasPrefix(".") || (isDir.boolValue && !registered.contains(url.standardizedFileURL.path))
            guard leftover else { continue }
            try fm.removeItem(at: url)
            removed.append(name)
        }
        return removed.sorted()
    }

    // MARK: registering a folder given with --policy

    public enum Registration: Equatable, Sendable {
        /// First start: policy-v1 and the reference were registered.
        case first(String)
        /// A different folder than any registered one: a new policy version serves (and is the new reference).
        case replaced(String)
        /// The folder is one already registered: nothing changed.
        case unchanged(String)
    }

    /// Registers the Hugging Face folder `source` (GPT-2 or the Llama family) as the serving policy (and the reference),
    /// copying it into the models directory. A folder registered before (same files) changes nothing,
    /// so `--policy` can stay on the command line across restarts without undoing retraining.
    /// `origin` names where the folder came from when its path would mislead (the embedded starter's
    /// path is inside the build folder): shown on the admin page and in the promotion history.
    public func registerPolicy(from source: URL, origin: String? = nil) throws -> Registration {
        let info = try ModelFolder.describe(at: source)
        guard info.kind != .reward else { throw EngineError.badFile(path: source.path, reason: "is a reward model; --policy needs a language model") }
        let fingerprint = try Self.fingerprint(of: source)
        let existing = try db.read { try ModelRepository($0).records() }
        if let same = existing.first(where: { Self.metric($0.version.metrics, "fingerprint") == fingerprint && !$0.pruned }) {
            return .unchanged(same.name)
        }
        try Self.checkUsable(source, kind: info.kind)
        let first = !existing.contains { $0.kind == .policy }
        let name = "policy-v\(try db.read { try ModelRepository($0).nextVersionNumber(.policy) })"
        let folder = try copyIn(source, as: name)
        var fields = ["source": source.standardizedFileURL.path, "fingerprint": fingerprint]
        if let origin { fields["origin"] = origin }
        let metrics = Self.json(fields)
        let described = origin ?? source.path
        let now = clock()
        let (policy, reference): (ModelVersionRecord, ModelVersionRecord)
        do {
            (policy, reference) = try db.write { c in
                let repo = ModelRepository(c)
                let previous = try repo.serving(.policy)
                let p = try repo.create(name: name, kind: .policy, parentID: nil, path: folder.path, runID: nil, labelsUsed: 0, metrics: metrics, now: now)
                let refName = "reference-v\(try repo.nextVersionNumber(.reference))"
                let r = try repo.create(name: refName, kind: .reference, parentID: p.id, path: folder.path, runID: nil, labelsUsed: 0,
                                        metrics: metrics, now: now)
                let why = previous == nil ? "registered from \(described)" : "hilo serve --policy \(described) replaced \(previous!.name)"
                try repo.promote(p.id, trigger: .bootstrap, reason: why, now: now)
                try repo.promote(r.id, trigger: .bootstrap, reason: why, now: now)
                return (try repo.record(p.id)!, try repo.record(r.id)!)
            }
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
        servingChanged(.policy, policy)
        servingChanged(.reference, reference)
        return first ? .first(name) : .replaced(name)
    }

    /// Loads a folder as the samplers will (weights read and checked finite, the tokenizer checked
    /// against the vocabulary), so a folder that cannot serve is refused when it is registered, not
    /// found out when it first generates.
    static func checkUsable(_ folder: URL, kind: ModelFolder.Kind) throws {
        _ = try ModelFolder.open(at: folder, as: kind)
    }

    /// Copies a folder into DIR/<name> through a temporary folder and a rename.
    func copyIn(_ source: URL, as name: String) throws -> URL {
        let fm = FileManager.default
        let tmp = temporaryFolder(for: name)
        let final = directory.appendingPathComponent(name)
        do {
            try fm.copyItem(at: source, to: tmp)
            if fm.fileExists(atPath: final.path) { try fm.removeItem(at: final) } // no row names it (checked by the caller's numbering)
            try fm.moveItem(at: tmp, to: final)
        } catch {
            try? fm.removeItem(at: tmp)
            throw EngineError.badFile(path: source.path, reason: "cannot copy into \(directory.path): \(error.localizedDescription)")
        }
        return final
    }

    /// A fresh temporary path in the models directory for a folder that will become `name`.
    public func temporaryFolder(for name: String) -> URL {
        directory.appendingPathComponent(".tmp-\(name)-\(UInt32.random(in: 0...UInt32.max))")
    }

    /// SHA-256 over a folder's regular files (names and contents, sorted by name).
    static func fingerprint(of folder: URL) throws -> String {
        let fm = FileManager.default
        var h = SHA256()
        let names = try fm.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }.sorted()
        for name in names {
            let url = folder.appendingPathComponent(name)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue else { continue }
            h.update(Array(name.utf8) + [0])
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { h.update(chunk) }
        }
        return SHA256.hex(h.finalize())
    }

    // MARK: versions written by runs

    /// A folder a run has written under a temporary name, to become a version.
    public struct Pending: Sendable {
        public var kind: ModelKind
        public var folder: URL
        public var parentID: Int64?
        /// JSON object text.
        public var metrics: String
        public init(kind: ModelKind, folder: URL, parentID: Int64?, metrics: String) {
            self.kind = kind; self.folder = folder; self.parentID = parentID; self.metrics = metrics
        }
    }

    /// Renames each pending folder to its version name, then inserts all rows (and `alsoInTransaction`,
    /// e.g. finishing the run) in one transaction. If anything fails the renamed folders are deleted,
    /// so no version exists without its folder and no folder survives without its row.
    public func commit(_ pending: [Pending], runID: Int64?, labelsUsed: Int,
                       alsoInTransaction: (Connection, [ModelVersionRecord]) throws -> Void = { _, _ in }) throws -> [ModelVersionRecord] {
        let fm = FileManager.default
        var moved: [(Pending, String, URL)] = []
        do {
            // One number for every version a run writes (reward-v2 and policy-v2), so names pair up.
            precondition(Set(pending.map(\.kind)).count == pending.count, "one pending version per kind")
            let n = try nextNumber(pending.map(\.kind))
            for p in pending {
                let name = "\(p.kind.rawValue)-v\(n)"
                let final = directory.appendingPathComponent(name)
                if fm.fileExists(atPath: final.path) { try fm.removeItem(at: final) } // unregistered leftover
                try fm.moveItem(at: p.folder, to: final)
                moved.append((p, name, final))
            }
            let now = clock()
            return try db.write { c in
                let repo = ModelRepository(c)
                var out: [ModelVersionRecord] = []
                for (p, name, final) in moved {
                    out.append(try repo.create(name: name, kind: p.kind, parentID: p.parentID, path: final.path, runID: runID,
                                               labelsUsed: labelsUsed, metrics: p.metrics, now: now))
                }
                try alsoInTransaction(c, out)
                return out
            }
        } catch {
            for (_, _, url) in moved { try? fm.removeItem(at: url) }
            throw error
        }
    }

    // MARK: serving

    /// Makes a version serve (recorded with its trigger and reason). Throws for pruned versions and
    /// the reference (which is fixed).
    @discardableResult
    public func promote(_ id: Int64, trigger: ModelPromotion.Trigger, annotatorID: Int64? = nil, reason: String) throws -> ModelVersionRecord {
        let (m, changed) = try db.write { c in try promote(in: c, id, trigger: trigger, annotatorID: annotatorID, reason: reason) }
        if changed { servingChanged(m.kind, m) }
        return m
    }

    /// The promotion itself, inside the caller's transaction (a run registers and promotes its versions
    /// in one). Returns whether the serving version changed: the caller reports it with
    /// `servingChanged` once the transaction has committed.
    func promote(in c: Connection, _ id: Int64, trigger: ModelPromotion.Trigger, annotatorID: Int64? = nil,
                 reason: String) throws -> (ModelVersionRecord, changed: Bool) {
        let repo = ModelRepository(c)
        guard let m = try repo.record(id) else { throw StoreError.notFound("no model version \(id)") }
        guard m.kind != .reference else { throw StoreError.invalid("the reference is fixed; it changes only when a new --policy is registered") }
        guard !m.pruned else { throw StoreError.invalid("\(m.name) was pruned (its folder is deleted) and cannot serve") }
        if m.serving { return (m, false) }
        try repo.promote(id, trigger: trigger, annotatorID: annotatorID, reason: reason, now: clock())
        return (try repo.record(id)!, true)
    }

    /// The number `commit` gives versions of `kinds` committed together: one past the highest of any of them.
    func nextNumber(_ kinds: [ModelKind]) throws -> Int {
        try db.read { c in try kinds.map { try ModelRepository(c).nextVersionNumber($0) }.max() ?? 1 }
    }

    /// The name the next version of `kind` will get from `commit` of `kinds` (while no other commit runs).
    func nextName(_ kind: ModelKind, with kinds: [ModelKind]) throws -> String {
        "\(kind.rawValue)-v\(try nextNumber(kinds))"
    }

    /// Serves again the version of `kind` that served before the current one (the previous_id of the
    /// promotion that made the current one serve). Throws when there is none or it was pruned.
    @discardableResult
    public func rollback(kind: ModelKind, annotatorID: Int64?, note: String? = nil) throws -> ModelVersionRecord {
        let now = clock()
        let m: ModelVersionRecord = try db.write { c in
            let repo = ModelRepository(c)
            guard kind == .policy || kind == .reward else { throw StoreError.invalid("only policy and reward versions can be rolled back") }
            guard let current = try repo.servingRecord(kind) else { throw StoreError.invalid("no \(kind.rawValue) version is serving") }
            guard let last = try repo.promotions(kind: kind).last(where: { $0.modelID == current.id }), let previousID = last.previousID,
                  let previous = try repo.record(previousID) else {
                throw StoreError.invalid("\(current.name) has no earlier serving version to roll back to")
            }
            guard !previous.pruned else { throw StoreError.invalid("\(previous.name) was pruned; promote a version that still has its folder") }
            try repo.promote(previous.id, trigger: .rollback, annotatorID: annotatorID,
                             reason: "rolled back from \(current.name)" + (note.map { ": \($0)" } ?? ""), now: now)
            return try repo.record(previous.id)!
        }
        servingChanged(kind, m)
        return m
    }

    // MARK: pruning

    /// Deletes the folders of versions beyond the newest `keep` of each kind (policy, reward, value).
    /// Never pruned: a serving version, the parent of a serving version (a rollback target), and any
    /// folder a kept row shares (the reference shares policy-v1's). Returns the names pruned.
    @discardableResult
    public func prune(keep: Int) throws -> [String] {
        precondition(keep >= 1)
        let all = try db.read { try ModelRepository($0).records() }
        let servingIDs = Set(all.filter(\.serving).map(\.id))
        let parentsOfServing = Set(all.filter(\.serving).compactMap(\.version.parentID))
        let previousOfServing = Set(try db.read { c in try ModelRepository(c).promotions() }.compactMap { p in
            servingIDs.contains(p.modelID) ? p.previousID : nil })
        var doomed: [ModelVersionRecord] = []
        for kind in [ModelKind.policy, .reward, .value] {
            let live = all.filter { $0.kind == kind && !$0.pruned }.sorted { $0.id > $1.id }
            for m in live.dropFirst(keep) where !servingIDs.contains(m.id) && !parentsOfServing.contains(m.id) && !previousOfServing.contains(m.id) {
                doomed.append(m)
            }
        }
        let doomedIDs = Set(doomed.map(\.id))
        let keptPaths = Set(all.filter { !$0.pruned && !doomedIDs.contains($0.id) }.map(\.path))
        var pruned: [String] = []
        for m in doomed.sorted(by: { $0.id < $1.id }) {
            let now = clock()
            try db.write { try ModelRepository($0).markPruned(m.id, now: now) }
            if !keptPaths.contains(m.path) { try? FileManager.default.removeItem(atPath: m.path) }
            pruned.append(m.name)
        }
        return pruned
    }

    // MARK: JSON helpers

    static func json(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func metric(_ json: String, _ key: String) -> String? {
        ((try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any])?[key] as? String
    }
}
