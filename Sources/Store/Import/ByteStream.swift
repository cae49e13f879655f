// Reads a file (or standard input) in fixed chunks and hands out lines or bytes, so import runs in
// constant memory whatever the file size. Line numbers are 1-based.
import Foundation

final class ByteStream {
    private let fd: Int32
    private let ownsFD: Bool
    private var chunk: [UInt8]
    private var pos = 0
    private var end = 0
    private var eof = false
    /// The line the next byte belongs to.
    private(set) var line = 1
    let path: String

    /// Opens `path` for reading; "-" is standard input.
    init(path: String, chunkSize: Int = 1 << 20) throws {
        self.path = path
        if path == "-" {
            fd = 0; ownsFD = false
        } else {
            fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw StoreError.invalid("\(path): cannot open: \(String(cString: strerror(errno)))") }
            ownsFD = true
            var st = stat()
            if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
                close(fd)
                throw StoreError.invalid("\(path): is a directory")
            }
        }
        chunk = [UInt8](repeating: 0, count: chunkSize)
    }

    deinit { if ownsFD { close(fd) } }

    private func fill() throws -> Bool {
        if eof { return false }
        let n = chunk.withUnsafeMutableBytes { buf in
            var r: Int
            repeat { r = read(fd, buf.baseAddress, buf.count) } while r < 0 && errno == EINTR
            return r
        }
        if n < 0 { throw StoreError.invalid("\(path):\(line): read error: \(String(cString: strerror(errno)))") }
        if n == 0 { eof = true; return false }
        pos = 0; end = n
        return true
    }

    /// The next byte, or nil at the end.
    @inline(__always) func nextByte() throws -> UInt8? {
        if pos == end, try !fill() { return nil }
        let b = chunk[pos]
        pos += 1
        if b == 0x0A { line += 1 }
        return b
    }

    /// Peeks at the next byte without consuming it.
    func peekByte() throws -> UInt8? {
        if pos == end, try !fill() { return nil }
        return chunk[pos]
    }

    /// Reads the next line (without "\n" or "\r\n") into `into`. Returns the line's number, or nil
    /// at the end of input. A line longer than `maxBytes` is consumed and reported as `.tooLong`.
    enum LineResult { case line(Int), tooLong(Int), end }

    func nextLine(into out: inout [UInt8], maxBytes: Int) throws -> LineResult {
        out.removeAll(keepingCapacity: true)
        let number = line
        var tooLong = false
        var sawAny = false
        while true {
            if pos == end, try !fill() {
                if !sawAny { return .end }
                break
            }
            sawAny = true
            let found: Int? = chunk.withUnsafeBufferPointer { buf in
                guard let base = buf.baseAddress else { return nil }
                let p = memchr(base + pos, 0x0A, end - pos)
                return p.map { UnsafeRawPointer($0) - UnsafeRawPointer(base) }
            }
            let stop = found ?? end
            if !tooLong {
                if out.count + (stop - pos) > maxBytes { tooLong = true; out.removeAll(keepingCapacity: true) }
                else { out.append(contentsOf: chunk[pos..<stop]) }
            }
            if let found {
                pos = found + 1
                line += 1
                break
            }
            pos = end
        }
        if out.last == 0x0D { out.removeLast() }
        if number == 1, out.starts(with: [0xEF, 0xBB, 0xBF]) { out.removeFirst(3) }
        return tooLong ? .tooLong(number) : .line(number)
    }
}
