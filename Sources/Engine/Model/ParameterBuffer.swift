// One contiguous, 64-byte-aligned float buffer (huge pages on Linux: FloatStorage) laid out by a ParameterLayout: the weights, or
// their gradients, or an AdamW moment. Tensors are views into it by name.

public final class ParameterBuffer {
    public let layout: ParameterLayout
    /// The whole buffer, `layout.totalCount` floats, zero-initialised.
    public let base: UnsafeMutablePointer<Float>
    private let storage: FloatStorage

    public init(layout: ParameterLayout) {
        self.layout = layout
        storage = FloatStorage(count: layout.totalCount)
        base = storage.base
    }

    /// The first float of the named tensor.
    public subscript(name: String) -> UnsafeMutablePointer<Float> { base + layout[name].offset }

    /// The named tensor as a buffer pointer of its exact size.
    public func view(_ name: String) -> UnsafeMutableBufferPointer<Float> {
        let t = layout[name]
        return UnsafeMutableBufferPointer(start: base + t.offset, count: t.count)
    }

    /// Sets every float (padding included) to zero.
    public func zero() { base.update(repeating: 0, count: layout.totalCount) }

    /// Copies all values from another buffer of the same layout.
    public func copy(from other: ParameterBuffer) {
        precondition(other.layout == layout, "layouts differ")
        base.update(from: other.base, count: layout.totalCount)
    }
}
