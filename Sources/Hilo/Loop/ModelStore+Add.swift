// `hilo models add`: a checkpoint trained elsewhere (TRL, OpenRLHF) comes back as a candidate
// version. It is checked as `hilo serve --policy` checks a folder, copied into the models directory
// and registered without serving, so an admin can run a blind evaluation against the serving version
// and promote it (the admin page, `POST /api/v1/models/{id}/promote`).
import Engine
import Foundation
import Store

extension ModelStore {
    /// Registers `source` as a new `kind` version (policy or reward) that does not serve. `name`
    /// defaults to the next `<kind>-vN`; a folder already registered (same files) is refused by name.
    public func addCandidate(from source: URL, kind: ModelKind, name given: String? = nil) throws -> ModelVersionRecord {
        guard kind == .policy || kind == .reward else {
            throw StoreError.invalid("--kind: a checkpoint comes back as a policy or a reward model, not \(kind.rawValue)")
        }
        let info = try ModelFolder.describe(at: source)
        switch (kind, info.kind) {
        case (.policy, .reward):
            throw EngineError.badFile(path: source.path, reason: "config.json describes a reward model (\(info.architecture)); --kind policy needs a language model")
        case (.reward, let k) where k != .reward:
            throw EngineError.badFile(path: source.path, reason: "config.json describes a language model (\(info.architecture)); --kind reward needs a sequence-classification model")
        default: break
        }
        try Self.checkUsable(source, kind: info.kind)
        let fingerprint = try Self.fingerprint(of: source)
        let existing = try db.read { try ModelRepository($0).records() }
        if let same = existing.first(where: { Self.metric($0.version.metrics, "fingerprint") == fingerprint && !$0.pruned }) {
            throw StoreError.invalid("\(source.path) is already registered as \(same.name)")
        }
        let name = try given ?? nextName(kind, with: [kind])
        try Self.checkVersionName(name)
        if existing.contains(where: { $0.name == name }) { throw StoreError.invalid("a model version named \(name) exists already") }
        let folder = try copyIn(source, as: name)
        let metrics = Self.json(["source": source.standardizedFileURL.path, "fingerprint": fingerprint, "origin": "added"])
        let now = clock()
        do {
            return try db.write { c in
                let repo = ModelRepository(c)
                let version = try repo.create(name: name, kind: kind, parentID: nil, path: folder.path, runID: nil, labelsUsed: 0,
                                              metrics: metrics, now: now)
                return try repo.record(version.id)!
            }
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
    }

    /// A version name is also its folder's name: letters, digits, '.', '_' and '-', at most 64, not
    /// starting with '.' (hidden folders are an interrupted write's leftovers).
    static func checkVersionName(_ name: String) throws {
        let allowed = name.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x5F || b == 0x2D
        }
        guard !name.isEmpty, name.utf8.count <= 64, allowed, !name.hasPrefix(".") else {
            throw StoreError.invalid("--name \"\(name)\": use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'")
        }
    }
}
