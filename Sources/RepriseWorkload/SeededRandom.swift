/// SplitMix64: seeded randomness that is the same on every platform and every run, so a
/// synthetic log, a simulation or a "random" test can be replayed from its seed. Never
/// `SystemRandomNumberGenerator` where a result must repeat.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound (bound > 0); the modulo bias is irrelevant here.
    public mutating func below(_ bound: UInt64) -> UInt64 { next() % bound }
}
