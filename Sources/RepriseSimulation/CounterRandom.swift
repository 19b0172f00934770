import Foundation

/// Counter-based randomness: a number is a pure function of the seed and a tuple of keys
/// (hour, market, surface, opportunity, ...), never of how many numbers were drawn before.
/// Threads can draw in any order and a run repeats exactly; adding a market does not shift
/// the draws of another.
///
/// Each key is folded in with SplitMix64's finaliser, which mixes every input bit into
/// every output bit.
public struct CounterRandom: Sendable, Hashable {
    public let seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 64 random bits for `keys`.
    public func bits(_ keys: UInt64...) -> UInt64 { bits(keys) }

    public func bits(_ keys: [UInt64]) -> UInt64 {
        var state = Self.mix(seed)
        for key in keys { state = Self.mix(state ^ key) }
        return state
    }

    /// A uniform number in (0, 1) for `keys`: never exactly 0 or 1, so logarithms are safe.
    public func unit(_ keys: UInt64...) -> Double { unit(keys) }

    func unit(_ keys: [UInt64]) -> Double {
        (Double(bits(keys) >> 11) + 0.5) / 9_007_199_254_740_992
    }

    /// A standard normal number for `keys` (Box-Muller on two derived uniforms).
    public func normal(_ keys: UInt64...) -> Double { normal(keys) }

    func normal(_ keys: [UInt64]) -> Double {
        (-2 * log(unit(keys + [1]))).squareRoot() * cos(2 * .pi * unit(keys + [2]))
    }

    /// A Poisson count with mean `mean` for `keys`: exact (Knuth) for small means, a rounded
    /// normal approximation above 30, where the two differ by less than the noise.
    public func poisson(mean: Double, _ keys: UInt64...) -> Int {
        guard mean > 0 else { return 0 }
        if mean > 30 {
            return max(0, Int((mean + normal(keys) * mean.squareRoot()).rounded()))
        }
        let limit = exp(-mean)
        var product = 1.0
        var count = -1
        var draw: UInt64 = 0
        repeat {
            draw += 1
            product *= unit(keys + [draw])
            count += 1
        } while product > limit
        return count
    }
}
