// The training loop: the label threshold queues exactly one run, the minimum interval holds back the
// next, an admin's retrain gets 409 while one is active, cancelling leaves no version, a failing run is
// marked failed and the serving policy stays, promote/rollback/prune keep their rules, and start-up
// recovery cleans up after a crash. Runs use a tiny random GPT-2 and 3-step phases (seconds).
import Foundation
import TestHelpers
import Testing
@testable import Engine
@testable import Hilo
@testable import Store

@Suite(.serialized) struct LoopTests {
    @Test func reachingTheThresholdQueuesExactlyOneRunThatWritesBothVersionsWithLineage() async throws {
        let h = try LoopHarness(promotion: { c, s in
            var m = EvalMeasures(prompts: 3)
            m.meanRewardB = try MeanEstimate([0, 0.25, 0.5])
            return .init(promote: true, reason: "test rule: \(c.name) beats \(s.name)", measures: m)
        })
        try h.settings(#"{"retraining": {"min_new_labels": 5, "min_interval_seconds": 0}}"#)
        try h.label(4)
        try h.loop.scheduler.checkThreshold()   // what the scheduler's thread does on each pass
        #expect(try h.runs().isEmpty, "4 new pairs are below the threshold of 5")
        try h.loop.start()
        try h.label(2)
        try h.wait("a threshold run") { try !h.runs().isEmpty }
        let run = try h.finished(h.runs()[0].id)
        #expect(run.status == .succeeded, "\(run.run.error ?? "")")
        #expect(run.trigger == .threshold && run.run.labelsUsed == 6 && run.run.labelWatermark == 6)
        try h.loop.scheduler.checkThreshold()
        #expect(try h.runs().count == 1, "the labels were used: no second run")

        let byName = Dictionary(uniqueKeysWithValues: try h.models().map { ($0.name, $0) })
        let v1 = try #require(byName["policy-v1"]), v2 = try #require(byName["policy-v2"]), rm = try #require(byName["reward-v2"])
        #expect(v2.version.parentID == v1.id && v2.runID == run.id && v2.labelsUsed == 6 && v2.serving && !v1.serving)
        #expect(rm.serving && rm.version.parentID == v1.id && rm.runID == run.id)
        #expect(run.run.outputModelID == v2.id)
        #expect(try h.folders() == ["policy-v1", "policy-v2", "reward-v2"], "no temporary folder is left")
        for m in [v2, rm] { _ = try ModelFolder.inspect(at: URL(fileURLWithPath: m.path)) }
        let metrics = try JSONSerialization.jsonObject(with: Data(v2.version.metrics.utf8)) as! [String: Any]
        #expect((metrics["training"] as? [String: Double])?["loss"]?.isFinite == true)
        let promotion = try #require(metrics["promotion"] as? [String: Any])
        #expect(promotion["reason"] as? String == "test rule: policy-v2 beats policy-v1" && promotion["promote"] as? Bool == true)
        let measures = try #require(promotion["measures"] as? [String: Any], "the measures behind the verdict are kept")
        #expect(measures["prompts"] as? Int == 3 && (measures["mean_reward_b"] as? [String: Any])?["mean"] as? Double == 0.25)
        let promotions = try h.db.read { try ModelRepository($0).promotions(kind: .policy) }
        #expect(promotions.map(\.trigger) == [.bootstrap, .automatic] && promotions.last?.previousID == v1.id)

        // The routes show it: runs, detail with metrics and log, the event stream, status, models.
        let admin = try await h.admin()
        let list = try await h.call(.get, "/api/v1/training/runs", token: admin)
        #expect(list.status == 200 && list.json.list("runs").first?["status"] as? String == "succeeded")
        let detail = try await h.call(.get, "/api/v1/training/runs/\(run.id)", token: admin)
        #expect(detail.json.list("metrics").contains { $0["name"] as? String == "rm/loss" })
        #expect(detail.json.list("metrics").contains { $0["name"] as? String == "loss" })
        #expect(detail.json.list("log").contains { ($0["message"] as? String)?.hasPrefix("wrote reward-v2 and policy-v2") == true })
        let events = try await h.call(.get, "/api/v1/training/runs/\(run.id)/events", token: admin)
        #expect(events.headers["Content-Type"] == "text/event-stream")
        for e in ["event: progress", "event: metric", "event: log", "event: done"] { #expect(events.text.contains(e), "\(e) missing") }
        let status = try await h.call(.get, "/api/v1/training/status", token: admin)
        #expect(status.json["state"] as? String == "idle" && status.json.int("new_labels") == 0 && status.json.int("threshold") == 5)
        #expect(status.json["serving_policy"] as? String == "policy-v2")
        let models = try await h.call(.get, "/api/v1/models", token: admin)
        let m2 = try #require(models.json.list("models").first { $0["name"] as? String == "policy-v2" })
        #expect(m2["parent"] as? String == "policy-v1" && m2.int("run_id") == run.id && m2.int("labels_used") == 6)
        #expect(m2["serving"] as? Bool == true && m2["pruned"] as? Bool == false && m2.dict("metrics")["promotion"] != nil)
    }

    @Test func theMinimumIntervalHoldsBackTheNextThresholdRunUntilItHasPassed() throws {
        let h = try LoopHarness(promotion: { _, _ in .init(promote: false, reason: "kept") })
        try h.settings(#"{"retraining": {"min_new_labels": 3, "min_interval_seconds": 600}}"#)
        try h.label(3)
        try h.loop.start()
        try h.wait("the first run") { try h.runs().count == 1 }
        try h.finished(h.runs()[0].id)
        try h.label(5)
        try h.loop.scheduler.checkThreshold()
        #expect(try h.runs().count == 1, "600 s have not passed on the clock")
        h.clock.advance(seconds: 599)
        try h.loop.scheduler.checkThreshold()
        #expect(try h.runs().count == 1)
        h.clock.advance(seconds: 2)
        try h.wait("the second run") { try h.runs().count == 2 }
        let second = try h.finished(h.runs()[0].id)
        #expect(second.status == .succeeded && second.run.labelsUsed == 8 && second.trigger == .threshold)
        // Not promoted ("kept"): policy-v1 still serves, policy-v2 and -v3 wait for an admin.
        #expect(try h.loop.servingPolicy()?.name == "policy-v1")
    }

    @Test func anAdminRetrainIsRefusedWith409WhileARunIsQueuedAndCancellingAQueuedRunEndsIt() async throws {
        let h = try LoopHarness()
        try h.label(2)
        let admin = try await h.admin()
        // The scheduler is not started: the run stays queued.
        let first = try await h.call(.post, "/api/v1/training/runs", json: [String: Any](), token: admin)
        #expect(first.status == 201 && first.json.dict("run")["status"] as? String == "queued" && first.json.dict("run")["trigger"] as? String == "admin")
        let second = try await h.call(.post, "/api/v1/training/runs", json: [String: Any](), token: admin)
        #expect(second.status == 409 && second.message.contains("already queued"))
        let id = try #require(first.json.dict("run").int("id"))
        let cancel = try await h.call(.post, "/api/v1/training/runs/\(id)/cancel", json: [String: Any](), token: admin)
        #expect(cancel.status == 200 && cancel.json.dict("run")["status"] as? String == "cancelled")
        #expect(try await h.call(.post, "/api/v1/training/runs/\(id)/cancel", json: [String: Any](), token: admin).status == 409)
        #expect(try await h.call(.post, "/api/v1/training/runs/999/cancel", json: [String: Any](), token: admin).status == 404)
        #expect(try await h.call(.post, "/api/v1/training/runs", json: [String: Any](), token: admin).status == 201, "free again")
    }

    @Test func cancellingARunningJobLeavesNoVersionAndMarksItCancelled() async throws {
        let h = try LoopHarness(recipe: { $0.reward.maxSteps = 100_000; $0.reward.epochs = 100_000 })
        try h.label(8)
        try h.loop.start()
        let admin = try await h.admin()
        let created = try await h.call(.post, "/api/v1/training/runs", json: [String: Any](), token: admin)
        let id = try #require(created.json.dict("run").int("id"))
        try h.wait("the run to be training") { try h.db.read { try TrainingRunRepository($0).record(id) }.map { $0.status == .running && $0.step >= 2 } ?? false }
        #expect(try await h.call(.post, "/api/v1/training/runs/\(id)/cancel", json: [String: Any](), token: admin).status == 200)
        let run = try h.finished(id)
        #expect(run.status == .cancelled && run.run.outputModelID == nil)
        #expect(try h.models().map(\.name) == ["policy-v1", "reference-v1"])
        let left = try h.folders()
        #expect(left == ["policy-v1"], "no temporary folder or checkpoint is left: \(left)")
        #expect(try h.db.read { try TrainingRunRepository($0).log(id) }.last?.message == "cancelled; no version was written")
    }

    @Test func aCancelDuringTheEvaluationChangesNothingThatServesAndRegistersNoVersion() async throws {
        // Before, both versions were registered and the reward model served before the evaluation,
        // and a cancel during it was not seen: the "cancelled" run still promoted its policy.
        let scheduler = LockedBox<Scheduler?>(nil)
        let seen = LockedBox<[String]>([])
        let h = try LoopHarness(promotion: { c, s in
            seen.mutate { $0.append("\(c.name) judged by \(c.rewardName) against \(s.name)") }
            _ = try scheduler.value?.cancel(try #require(scheduler.value?.runningID))   // an admin presses Cancel now
            return .init(promote: true, reason: "would have won")
        })
        scheduler.mutate { $0 = h.loop.scheduler }
        let servingReward = try h.db.read { try ModelRepository($0).servingRecord(.reward) }
        try h.label(6)
        try h.loop.start()
        let admin = try await h.admin()
        let created = try await h.call(.post, "/api/v1/training/runs", json: [String: Any](), token: admin)
        let id = try #require(created.json.dict("run").int("id"))
        let run = try h.finished(id)
        #expect(seen.value == ["policy-v2 judged by reward-v2 against policy-v1"], "the run's own, unregistered folders are evaluated")
        #expect(run.status == .cancelled && run.run.outputModelID == nil)
        #expect(try h.models().map(\.name) == ["policy-v1", "reference-v1"], "no version of the run is registered")
        #expect(try h.loop.servingPolicy()?.name == "policy-v1")
        #expect(try h.db.read { try ModelRepository($0).servingRecord(.reward) }?.id == servingReward?.id, "the reward model serving is unchanged")
        #expect(try h.folders() == ["policy-v1"])
        #expect(try h.db.read { try ModelRepository($0).promotions() }.allSatisfy { $0.trigger == .bootstrap })
    }

    @Test func anEvaluationThatFailsKeepsTheServingPolicyAndStillRegistersTheRunsVersions() throws {
        let h = try LoopHarness(promotion: { _, _ in throw LoopError("the evaluation broke") })
        try h.settings(#"{"retraining": {"min_new_labels": 5, "min_interval_seconds": 0}}"#)
        try h.label(6)
        try h.loop.start()
        try h.wait("a run") { try !h.runs().isEmpty }
        let run = try h.finished(h.runs()[0].id)
        #expect(run.status == .succeeded)
        #expect(try h.loop.servingPolicy()?.name == "policy-v1", "a failed evaluation never promotes")
        #expect(try h.models().map(\.name).sorted() == ["policy-v1", "policy-v2", "reference-v1", "reward-v2"])
        let log = try h.db.read { try TrainingRunRepository($0).log(run.id) }.map(\.message)
        #expect(log.contains { $0.hasPrefix("automatic evaluation failed, policy-v1 keeps serving: the evaluation broke") })
        #expect(log.contains("wrote reward-v2 and policy-v2"))
    }

    @Test func aRunFromACorruptPolicyFolderFailsWithTheMessageAndTheServingPolicyStays() throws {
        let h = try LoopHarness()
        try h.label(3)
        let v1 = try #require(try h.loop.servingPolicy())
        try Data("not safetensors".utf8).write(to: URL(fileURLWithPath: v1.path).appendingPathComponent("model.safetensors"))
        try h.loop.start()
        let run = try h.loop.scheduler.requestRun(requestedBy: nil)
        let done = try h.finished(run.id)
        #expect(done.status == .failed)
        #expect(done.run.error?.contains("model.safetensors") == true, "\(done.run.error ?? "")")
        #expect(try h.loop.servingPolicy()?.id == v1.id)
        #expect(try h.models().count == 2 && h.folders() == ["policy-v1"])
        #expect(try h.db.read { try TrainingRunRepository($0).log(run.id) }.last?.level == .error)
    }

    @Test func aRunWithNoLabelsFailsWithAClearMessage() throws {
        let h = try LoopHarness()
        try h.loop.start()
        let run = try h.loop.scheduler.requestRun(requestedBy: nil)
        let done = try h.finished(run.id)
        #expect(done.status == .failed && done.run.error?.contains("no preference pairs") == true)
    }
}
