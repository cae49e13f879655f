// Serves files from one directory (Public/): index.html for a directory, content types by extension,
// ETag + If-None-Match (304), no listings, and no way out: dot segments, hidden names, encoded
// slashes and NUL are refused, and the real path (symlinks resolved) must stay inside the root.
import Foundation
import Glibc

public struct StaticFiles: Sendable {
    /// The root's real path, without a trailing slash.
    public let root: String
    /// Files up to this size are read into memory; larger ones are streamed.
    public var maxInMemoryBytes = 1 << 20
    /// Sent with every file: browsers revalidate with the ETag, so a new UI version shows at once.
    public var cacheControl = "no-cache"

    /// Throws when `root` does not exist or is not a directory.
    public init(root: URL) throws {
        guard let real = Self.realPath(root.path), Self.isDirectory(real) else {
            throw HTTPError(.internalServerError, "static file directory not found: \(root.path)")
        }
        self.root = real == "/" ? "" : real
    }

    /// A handler for a catch-all route such as `router.get("/*path", files.handler)`.
    public var handler: Handler { { request in try self.respond(to: request) } }

    public func respond(to request: Request) throws -> Response {
        let segments = request.route == nil ? request.pathSegments : request.wildcard
        guard let file = resolve(segments.isEmpty ? [""] : segments) else { throw HTTPError.notFound() }
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw HTTPError.notFound() }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { throw HTTPError.notFound() }
        let size = Int(st.st_size)
        let etag = "\"\(String(size, radix: 16))-\(String(st.st_mtim.tv_sec, radix: 16))\(String(st.st_mtim.tv_nsec, radix: 16))\""
        var headers: HTTPHeaders = ["ETag": etag, "Cache-Control": cacheControl]
        if let inm = request.headers["If-None-Match"], Self.matches(inm, etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers.add("Content-Type", Self.contentType(for: file))
        if size <= maxInMemoryBytes {
            var data = Data(count: size)
            let read = data.withUnsafeMutableBytes { p -> Int in
                var done = 0
                while done < size {
                    let n = Glibc.read(fd, p.baseAddress! + done, size - done)
                    if n <= 0 { if n < 0 && errno == EINTR { continue }; break }
                    done += n
                }
                return done
            }
            guard read == size else { throw HTTPError(.internalServerError, "could not read \(request.path)") }
            return Response(status: .ok, headers: headers, body: .bytes(data))
        }
        return Response(status: .ok, headers: headers, body: .stream(try BodyStream.file(URL(fileURLWithPath: file))))
    }

    /// The real path of the file for these decoded segments, or nil if it must not be served.
    func resolve(_ segments: [String]) -> String? {
        for (i, s) in segments.enumerated() {
            if s.isEmpty {
                guard i == segments.count - 1 else { return nil }   // "//" inside a path
                continue
            }
            guard !s.hasPrefix("."), !s.contains("/"), !s.contains("\\"), !s.utf8.contains(0) else { return nil }
        }
        let relative = segments.filter { !$0.isEmpty }.joined(separator: "/")
        guard var real = Self.realPath(root + "/" + relative), isInside(real) else { return nil }
        if Self.isDirectory(real) {
            guard let index = Self.realPath(real + "/index.html"), isInside(index) else { return nil }
            real = index
        }
        return real
    }

    private func isInside(_ path: String) -> Bool { path == root || path.hasPrefix(root + "/") }

    static func realPath(_ path: String) -> String? {
        guard let p = Glibc.realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// If-None-Match: "*" or a list of (weak or strong) tags, compared weakly (RFC 9110 §13.1.2).
    static func matches(_ header: String, _ etag: String) -> Bool {
        HTTPGrammar.commaList(header).contains { tag in
            tag == "*" || (tag.hasPrefix("W/") ? tag.dropFirst(2) : tag) == etag
        }
    }

    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8",
        "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "mjs": "text/javascript; charset=utf-8", "json": "application/json",
        "map": "application/json", "txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8",
        "svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
        "gif": "image/gif", "webp": "image/webp", "ico": "image/x-icon", "avif": "image/avif",
        "woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf", "otf": "font/otf",
        "wasm": "application/wasm", "webmanifest": "application/manifest+json", "xml": "application/xml",
        "pdf": "application/pdf", "csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl",
    ]

    static func contentType(for path: String) -> String {
        let name = path.split(separator: "/").last ?? ""
        guard let dot = name.lastIndex(of: ".") else { return "application/octet-stream" }
        return contentTypes[name[name.index(after: dot)...].lowercased()] ?? "application/octet-stream"
    }
}
