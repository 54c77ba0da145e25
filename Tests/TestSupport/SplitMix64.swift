/// A small deterministic PRNG (SplitMix64) for reproducible generated inputs: the same seed gives the same
/// sequence on every machine, so a failing generated case can be replayed. One copy for every test target.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The current state.
    public var state: UInt64

    /// Starts from `seed`.
    public init(seed: UInt64) { state = seed }

    /// Starts from `state` (the same as ``init(seed:)``).
    public init(state: UInt64) { self.state = state }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
