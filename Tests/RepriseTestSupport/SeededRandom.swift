import RepriseWorkload

/// The tests' seeded randomness is the workload's: one SplitMix64 for the whole project.
public typealias SeededRandom = RepriseWorkload.SeededRandom
