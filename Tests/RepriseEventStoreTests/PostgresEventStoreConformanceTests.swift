import RepriseEventStore
import RepriseTestSupport
import Testing

@Suite("PostgreSQL event store: the port's conformance")
struct PostgresEventStoreConformanceTests {
    /// The same checks run against `InMemoryEventStore` in RepriseEventLogTests; each
    /// gets a schema of its own.
    @Test(arguments: EventStoreConformance.Check.allCases)
    func conformsToTheEventStorePort(_ check: EventStoreConformance.Check) async throws {
        try await MigratedDatabase.with { pool, database in
            try await check.run(on: PostgresEventStore(pool: pool, logger: database.logger))
        }
    }

    @Test func keepsIdempotencyKeysAsThePortSays() async throws {
        try await MigratedDatabase.with { pool, database in
            try await IdempotencyKeyConformance.run(on: PostgresEventStore(pool: pool, logger: database.logger))
        }
    }
}
