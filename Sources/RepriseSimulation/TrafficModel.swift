import Foundation
import RepriseDomain

/// The simulated listening world: markets with their time zones and listeners, surfaces,
/// and the ad opportunities listeners create, hour by hour.
///
/// An opportunity belongs to a market and a surface, and to one listener. A listener is in
/// several segments at once (a superfan of the artist who mostly plays hip-hop), so the
/// supply of a segment node counts the opportunities of its listeners, and segment nodes
/// overlap: a targeting of two segments reaches the union of their listeners, not the sum.
/// Listeners differ in how much they listen (a Gamma-distributed activity), so reach
/// saturates as real reach does.
///
/// Expected supply has a daily shape by local hour (per surface), quieter weekends, a trend,
/// holidays per market and a day-level wobble; what is realised is Poisson around it. Every
/// number is drawn by `CounterRandom` from the seed and its keys, so any hour of any market
/// can be generated alone, in any order, and always comes out the same.
public struct TrafficModel: Sendable {
    public struct MarketProfile: Sendable {
        public var market: Market
        /// Offset of local time from UTC, in hours (standard time; no daylight saving).
        public var utcOffsetHours: Int
        /// Listeners simulated in this market.
        public var listeners: Int
        /// Opportunities per hour on an average weekday hour, all surfaces together.
        public var opportunitiesPerHour: Double
        /// Growth per week (0.01: 1% a week).
        public var weeklyTrend: Double
        /// Days (since the run's start) that are public holidays: supply × 1.25 (more listening).
        public var holidays: Set<Int>

        public init(market: Market, utcOffsetHours: Int, listeners: Int, opportunitiesPerHour: Double, weeklyTrend: Double, holidays: Set<Int>) {
            self.market = market
            self.utcOffsetHours = utcOffsetHours
            self.listeners = listeners
            self.opportunitiesPerHour = opportunitiesPerHour
            self.weeklyTrend = weeklyTrend
            self.holidays = holidays
        }
    }

    public struct SurfaceProfile: Sendable {
        public var surface: Surface
        /// Its share of a market's opportunities.
        public var share: Double
        /// Local hour of its daily peak.
        public var peakHour: Double

        public init(surface: Surface, share: Double, peakHour: Double) {
            self.surface = surface
            self.share = share
            self.peakHour = peakHour
        }
    }

    /// A realised shock: every market's supply × `factor` on `day` (since the run's start).
    public struct Shock: Sendable, Equatable {
        public var day: Int
        public var factor: Double

        public init(day: Int, factor: Double) {
            self.day = day
            self.factor = factor
        }
    }

    public let random: CounterRandom
    public let markets: [MarketProfile]
    public let surfaces: [SurfaceProfile]
    /// The segments, in a fixed order: bit i of a listener's segment set is `segments[i]`.
    public let segments: [Segment]
    /// The run's first hour: midnight UTC of its first day.
    public let start: Timestamp
    /// Weekday of the first day, 0 = Monday.
    public let startWeekday: Int
    public let shocks: [Shock]
    /// Per market: listeners' cumulative activity, for activity-weighted draws.
    private let cumulativeActivity: [[Double]]
    /// Per market: each listener's segments as bits over `segments`.
    private let listenerSegments: [[UInt32]]

    public init(
        seed: UInt64, markets: [MarketProfile], surfaces: [SurfaceProfile], segments: [Segment], start: Timestamp,
        shocks: [Shock] = []
    ) {
        precondition(segments.count <= 32, "a listener's segments are a 32-bit set")
        random = CounterRandom(seed: seed)
        self.markets = markets
        self.surfaces = surfaces
        self.segments = segments
        self.start = start
        let days = start.microsecondsSinceEpoch / 86_400_000_000
        // 1970-01-01 was a Thursday (weekday 3 when Monday is 0).
        startWeekday = Int(((days % 7) + 7 + 3) % 7)
        self.shocks = shocks
        var cumulative: [[Double]] = []
        var memberships: [[UInt32]] = []
        for (marketIndex, profile) in markets.enumerated() {
            var total = 0.0
            var running: [Double] = []
            var sets: [UInt32] = []
            running.reserveCapacity(profile.listeners)
            sets.reserveCapacity(profile.listeners)
            for listener in 0..<profile.listeners {
                let keys: (UInt64, UInt64) = (UInt64(marketIndex), UInt64(listener))
                // Gamma(shape 0.8) activity, as the sum of an exponential and a scaled one:
                // most listen a little, a few listen a lot.
                let activity = -log(random.unit(1, keys.0, keys.1)) * (0.4 + 1.2 * random.unit(2, keys.0, keys.1))
                total += activity
                running.append(total)
                var set: UInt32 = 0
                for (bit, _) in segments.enumerated() {
                    // The first segments are rarer (superfans), genre segments commoner.
                    let probability = Self.membershipProbability(bit: bit, of: segments.count)
                    if random.unit(3, keys.0, keys.1, UInt64(bit)) < probability { set |= 1 << UInt32(bit) }
                }
                if set == 0 { set = 1 << UInt32(random.bits(4, keys.0, keys.1) % UInt64(max(segments.count, 1))) }
                sets.append(set)
            }
            cumulative.append(running)
            memberships.append(sets)
        }
        cumulativeActivity = cumulative
        listenerSegments = memberships
    }

    static func membershipProbability(bit: Int, of count: Int) -> Double {
        0.08 + 0.3 * Double((bit * 7) % max(count, 1)) / Double(max(count, 1))
    }

    /// Expected opportunities of `surface` in `market` in run hour `hour`, before shocks.
    public func expected(market marketIndex: Int, surface surfaceIndex: Int, hour: Int) -> Double {
        let profile = markets[marketIndex]
        let surface = surfaces[surfaceIndex]
        let localHour = ((hour + profile.utcOffsetHours) % 24 + 24) % 24
        let localDay = (hour + profile.utcOffsetHours) >= 0 ? (hour + profile.utcOffsetHours) / 24 : -1
        let weekday = ((startWeekday + localDay) % 7 + 7) % 7
        // Listening is low at 4 in the morning and peaks at the surface's peak hour.
        let phase = (Double(localHour) - surface.peakHour) / 24 * 2 * Double.pi
        let daily = 1 + 0.65 * cos(phase) + 0.15 * cos(2 * phase)
        let weekly = weekday >= 5 ? 0.82 : (weekday == 4 ? 1.05 : 1.0)
        let trend = 1 + profile.weeklyTrend * Double(hour) / 168
        let holiday = profile.holidays.contains(localDay) ? 1.25 : 1.0
        // A day-level wobble of a few percent, per market: what no model sees coming.
        let wobble = 1 + 0.015 * random.normal(5, UInt64(marketIndex), UInt64(max(localDay, 0)))
        return profile.opportunitiesPerHour * surface.share * max(daily, 0.05) * weekly * trend * holiday * wobble
    }

    /// The shock factor of run hour `hour` (realised supply only: forecasts never see it).
    public func shock(hour: Int) -> Double {
        shocks.filter { $0.day == hour / 24 }.reduce(1) { $0 * $1.factor }
    }

    /// Opportunities that happen.
    public func realised(market marketIndex: Int, surface surfaceIndex: Int, hour: Int) -> Int {
        let mean = expected(market: marketIndex, surface: surfaceIndex, hour: hour) * shock(hour: hour)
        return random.poisson(mean: mean, 6, UInt64(marketIndex), UInt64(surfaceIndex), UInt64(hour))
    }

    /// The listener of opportunity `opportunity` (an index in the market's listeners),
    /// drawn by activity.
    public func listener(market marketIndex: Int, surface surfaceIndex: Int, hour: Int, opportunity: Int) -> Int {
        let running = cumulativeActivity[marketIndex]
        guard let total = running.last, total > 0 else { return 0 }
        let target = random.unit(7, UInt64(marketIndex), UInt64(surfaceIndex), UInt64(hour), UInt64(opportunity)) * total
        var low = 0
        var high = running.count - 1
        while low < high {
            let middle = (low + high) / 2
            if running[middle] < target { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The segments of a listener, as bits over `segments`.
    public func segmentBits(market marketIndex: Int, listener: Int) -> UInt32 {
        listenerSegments[marketIndex][listener]
    }

    /// Bits over `segments` for a set of them.
    public func bits(of wanted: some Sequence<Segment>) -> UInt32 {
        var bits: UInt32 = 0
        for segment in wanted { if let index = segments.firstIndex(of: segment) { bits |= 1 << UInt32(index) } }
        return bits
    }

    /// One hour of one market as the serving side counts it: opportunities per surface and
    /// segment (overlapping: an opportunity counts in each of its listener's segments).
    ///
    /// Like a real serving side's sampled logs, at most `sample` opportunities of a surface
    /// are looked at one by one and the segment counts scaled up to the surface's total
    /// (rounded); below that, every opportunity is counted. Totals per surface are exact.
    public func supplyCounts(market marketIndex: Int, hour: Int, sample: Int = 2_000) -> [(total: Int, segments: [Int])] {
        surfaces.indices.map { surfaceIndex in
            let total = realised(market: marketIndex, surface: surfaceIndex, hour: hour)
            let looked = min(total, max(sample, 1))
            var counts = [Int](repeating: 0, count: segments.count)
            for opportunity in 0..<looked {
                let bits = segmentBits(market: marketIndex, listener: listener(market: marketIndex, surface: surfaceIndex, hour: hour, opportunity: opportunity))
                for bit in segments.indices where bits & (1 << UInt32(bit)) != 0 { counts[bit] += 1 }
            }
            if looked < total {
                let scale = Double(total) / Double(looked)
                counts = counts.map { Int((Double($0) * scale).rounded()) }
            }
            return (total, counts)
        }
    }
}

extension TrafficModel {
    /// The default world of `reprise simulate`: `marketCount` markets from a fixed list with
    /// their time zones, the catalog's surfaces with shares and peaks, every segment.
    public static func standard(seed: UInt64, markets marketCount: Int, days: Int, start: Timestamp, shocks: [Shock] = [], listenersPerMarket: Int = 20_000) -> TrafficModel {
        let known: [(String, Int, Double)] = [
            ("SE", 1, 6_000), ("US", -5, 40_000), ("GB", 0, 18_000), ("DE", 1, 16_000), ("BR", -3, 22_000), ("JP", 9, 14_000),
            ("MX", -6, 12_000), ("FR", 1, 13_000), ("IN", 5, 25_000), ("AU", 10, 8_000), ("NG", 1, 7_000), ("ES", 1, 10_000),
        ]
        let chosen = known.prefix(max(1, min(marketCount, known.count)))
        let random = CounterRandom(seed: seed)
        let profiles = chosen.enumerated().map { index, entry in
            // Two holidays a month, on days chosen from the seed.
            let holidays = Set((0..<max(1, days / 15)).map { Int(random.bits(8, UInt64(index), UInt64($0)) % UInt64(max(days, 1))) })
            return MarketProfile(
                market: Market(rawValue: entry.0), utcOffsetHours: entry.1, listeners: listenersPerMarket,
                opportunitiesPerHour: entry.2, weeklyTrend: 0.005 + 0.01 * random.unit(9, UInt64(index)), holidays: holidays
            )
        }
        let surfaces = [
            SurfaceProfile(surface: Surface(rawValue: "home"), share: 0.3, peakHour: 19),
            SurfaceProfile(surface: Surface(rawValue: "search"), share: 0.15, peakHour: 18),
            SurfaceProfile(surface: Surface(rawValue: "now-playing"), share: 0.25, peakHour: 17),
            SurfaceProfile(surface: Surface(rawValue: "radio-autoplay"), share: 0.12, peakHour: 22),
            SurfaceProfile(surface: Surface(rawValue: "library"), share: 0.1, peakHour: 20),
            SurfaceProfile(surface: Surface(rawValue: "browse"), share: 0.08, peakHour: 16),
        ]
        let segments = Catalog.segments.sorted { $0.rawValue < $1.rawValue }
        return TrafficModel(seed: seed, markets: Array(profiles), surfaces: surfaces, segments: segments, start: start, shocks: shocks)
    }
}
