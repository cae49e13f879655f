// Prometheus metrics (text exposition format 0.0.4) for GET /metrics: requests by route, method and
// status; a latency histogram by route; labels in the database; the training loop's state.
import Foundation
import HTTP
import Store

final class Metrics: @unchecked Sendable {
    /// Upper bounds (seconds) of the latency buckets.
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10]

    struct Key: Hashable { var route: String; var method: String; var status: Int }
    struct Histogram { var counts = [Int](repeating: 0, count: Metrics.buckets.count); var sum = 0.0; var count = 0 }

    // Everything below is read and written only while holding `lock`.
    private let lock = NSLock()
    private var requests: [Key: Int] = [:]
    private var latency: [String: Histogram] = [:]

    func record(route: String, method: String, status: Int, seconds: Double) {
        lock.lock(); defer { lock.unlock() }
        requests[Key(route: route, method: method, status: status), default: 0] += 1
        var h = latency[route] ?? Histogram()
        if let i = Self.buckets.firstIndex(where: { seconds <= $0 }) { h.counts[i] += 1 }
        h.sum += seconds
        h.count += 1
        latency[route] = h
    }

    /// Times every routed request; `clock` gives monotonic nanoseconds.
    func middleware(clock: @escaping @Sendable () -> UInt64) -> Middleware {
        { [self] request, next in
            let start = clock()
            let route = request.route ?? "unmatched"
            do {
                let response = try await next(request)
                record(route: route, method: request.method.rawValue, status: response.status.code, seconds: Double(clock() - start) / 1e9)
                return response
            } catch let e as HTTPError {
                record(route: route, method: request.method.rawValue, status: e.status.code, seconds: Double(clock() - start) / 1e9)
                throw e
            } catch {
                record(route: route, method: request.method.rawValue, status: 500, seconds: Double(clock() - start) / 1e9)
                throw error
            }
        }
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    func render(labels: [(origin: String, count: Int)], trainingState: String) -> String {
        lock.lock()
        let requests = self.requests, latency = self.latency
        lock.unlock()
        var out = "# HELP hilo_http_requests_total HTTP requests by route pattern, method and status.\n# TYPE hilo_http_requests_total counter\n"
        for (k, v) in requests.sorted(by: { ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status) }) {
            out += "hilo_http_requests_total{route=\"\(Self.escape(k.route))\",method=\"\(k.method)\",status=\"\(k.status)\"} \(v)\n"
        }
        out += "# HELP hilo_http_request_duration_seconds Time to produce a response, by route pattern.\n# TYPE hilo_http_request_duration_seconds histogram\n"
        for (route, h) in latency.sorted(by: { $0.key < $1.key }) {
            let r = Self.escape(route)
            var cumulative = 0
            for (i, le) in Self.buckets.enumerated() {
                cumulative += h.counts[i]
                out += "hilo_http_request_duration_seconds_bucket{route=\"\(r)\",le=\"\(le)\"} \(cumulative)\n"
            }
            out += "hilo_http_request_duration_seconds_bucket{route=\"\(r)\",le=\"+Inf\"} \(h.count)\n"
            out += "hilo_http_request_duration_seconds_sum{route=\"\(r)\"} \(h.sum)\n"
            out += "hilo_http_request_duration_seconds_count{route=\"\(r)\"} \(h.count)\n"
        }
        out += "# HELP hilo_labels_total Live labels (judgments that are not skips or undone), by origin.\n# TYPE hilo_labels_total gauge\n"
        for (origin, count) in labels { out += "hilo_labels_total{origin=\"\(origin)\"} \(count)\n" }
        out += "# HELP hilo_training_state The retraining loop's state (1 for the current one).\n# TYPE hilo_training_state gauge\n"
        for state in ["idle", "queued", "running"] {
            out += "hilo_training_state{state=\"\(state)\"} \(state == trainingState ? 1 : 0)\n"
        }
        return out
    }
}

extension HiloApp {
    func metricsResponse() async throws -> HTTP.Response {
        let (labels, state) = try db.read { c -> ([(origin: String, count: Int)], String) in
            let stats = StatsRepository(c)
            return (try stats.labelsByOrigin().map { (origin: $0.origin.rawValue, count: $0.count) }, try stats.trainingState())
        }
        return .text(metrics.render(labels: labels, trainingState: state), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}
