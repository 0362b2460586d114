// Shape legend: S cached tokens, Hkv KV heads, Dh head dim, L layers.

/// Keys and values of one sequence, per layer: (S, Hkv·Dh) each. Positions are 0 ..< `count`.
public final class KVCache {
    /// Per layer, (S, Hkv·Dh) row-major.
    public internal(set) var keys: [[Float]]
    /// Per layer, (S, Hkv·Dh) row-major.
    public internal(set) var values: [[Float]]
    /// Hkv·Dh.
    public let width: Int

    public init(layers: Int, width: Int) {
        keys = [[Float]](repeating: [], count: layers)
        values = keys
        self.width = width
    }

    /// S: tokens cached (the same in every layer once a forward call returns).
    public var count: Int { keys.isEmpty ? 0 : keys[keys.count - 1].count / width }

    /// Drops every token at position ≥ `length` (to rerun a last token with other interventions).
    public func truncate(to length: Int) {
        precondition(length >= 0 && length <= count, "truncate to \(length) of \(count) cached tokens")
        for l in keys.indices {
            keys[l].removeLast(keys[l].count - length * width)
            values[l].removeLast(values[l].count - length * width)
        }
    }

    /// An independent copy (the prefix of a prompt shared by several continuations).
    public func copy() -> KVCache {
        let c = KVCache(layers: keys.count, width: width)
        c.keys = keys
        c.values = values
        return c
    }

    /// Bytes held by the cached keys and values.
    public var byteCount: Int { (keys.reduce(0) { $0 + $1.count } + values.reduce(0) { $0 + $1.count }) * 4 }
}
