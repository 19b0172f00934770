import RepriseRuntime
import Testing

private struct Failure: Error, Equatable {
    var attempt = 0
}

private struct Fatal: Error {}

@Suite("Restart policy")
struct RestartPolicyTests {
    @Test("the services' waits double from 100 ms and stop growing at 5 s")
    func servicesSchedule() {
        let delays = (1...9).map { RestartPolicy.services.delay(afterFailures: $0) }
        #expect(delays == [
            .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600),
            .milliseconds(3200), .seconds(5), .seconds(5), .seconds(5),
        ])
    }

    @Test("a factor of 1 waits the same every time, and a long outage does not overflow")
    func constantAndLong() {
        let constant = RestartPolicy(initialDelay: .milliseconds(100), factor: 1, maxDelay: .milliseconds(100))
        #expect(constant.delay(afterFailures: 1) == .milliseconds(100))
        #expect(constant.delay(afterFailures: 10_000) == .milliseconds(100))
        #expect(RestartPolicy.services.delay(afterFailures: Int.max) == .seconds(5))
    }
}

@Suite("withRestarts")
struct WithRestartsTests {
    @Test("an operation that succeeds runs once and never waits")
    func succeedsAtOnce() async throws {
        var attempts = 0
        var waits: [Duration] = []
        let value = try await withRestarts(policy: .services, sleep: { waits.append($0) }) { _ in
            attempts += 1
            return 42
        }
        #expect(value == 42)
        #expect(attempts == 1)
        #expect(waits == [])
    }

    @Test("failures are retried with growing waits, each reported before its wait")
    func retriesWithBackoff() async throws {
        var attempts = 0
        var waits: [Duration] = []
        var reported: [(failures: Int, delay: Duration, attempt: Int?)] = []
        let value = try await withRestarts(
            policy: .services,
            onFailure: { reported.append(($0.failures, $0.delay, ($0.error as? Failure)?.attempt)) },
            sleep: { waits.append($0) }
        ) { _ in
            attempts += 1
            if attempts <= 4 { throw Failure(attempt: attempts) }
            return "done"
        }
        #expect(value == "done")
        #expect(waits == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800)])
        #expect(reported.map(\.failures) == [1, 2, 3, 4])
        #expect(reported.map(\.delay) == waits)
        #expect(reported.map(\.attempt) == [1, 2, 3, 4])
    }

    @Test("progress starts the backoff over: the next failure waits the initial delay")
    func progressResetsBackoff() async throws {
        var attempts = 0
        var waits: [Duration] = []
        _ = try await withRestarts(policy: .services, sleep: { waits.append($0) }) { progress in
            attempts += 1
            switch attempts {
            case 1, 2, 3: throw Failure()
            case 4:
                progress.record()
                throw Failure()
            case 5: throw Failure()
            default: return ()
            }
        }
        #expect(waits == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(100), .milliseconds(200)])
    }

    @Test("progress in an attempt that then returns is not carried into a later call")
    func progressIsPerCall() async throws {
        var waits: [Duration] = []
        _ = try await withRestarts(policy: .services, sleep: { waits.append($0) }) { $0.record() }
        var failed = false
        _ = try await withRestarts(policy: .services, sleep: { waits.append($0) }) { _ in
            if !failed {
                failed = true
                throw Failure()
            }
        }
        #expect(waits == [.milliseconds(100)])
    }

    @Test("a fatal error is rethrown at once, without a wait or a report")
    func fatalStops() async throws {
        var attempts = 0
        var waits: [Duration] = []
        var reports = 0
        await #expect(throws: Fatal.self) {
            try await withRestarts(
                policy: .services, isFatal: { $0 is Fatal }, onFailure: { _ in reports += 1 }, sleep: { waits.append($0) }
            ) { _ in
                attempts += 1
                if attempts < 3 { throw Failure() }
                throw Fatal()
            }
        }
        #expect(attempts == 3)
        #expect(waits.count == 2)
        #expect(reports == 2)
    }

    @Test("it gives up after maxFailures consecutive failures, with the last error")
    func givesUp() async throws {
        let policy = RestartPolicy(initialDelay: .milliseconds(100), factor: 1, maxDelay: .milliseconds(100), maxFailures: 3)
        var attempts = 0
        var waits: [Duration] = []
        do {
            _ = try await withRestarts(policy: policy, sleep: { waits.append($0) }) { _ in
                attempts += 1
                throw Failure(attempt: attempts)
            }
            Issue.record("it did not give up")
        } catch let error as RestartError {
            #expect(error.code == .gaveUp)
            #expect(error.failures == 3)
            #expect(error.lastError as? Failure == Failure(attempt: 3))
        }
        #expect(attempts == 3)
        #expect(waits == [.milliseconds(100), .milliseconds(100)])
    }

    @Test("progress keeps a limited policy from giving up")
    func progressPostponesGivingUp() async throws {
        let policy = RestartPolicy(initialDelay: .milliseconds(100), factor: 1, maxDelay: .milliseconds(100), maxFailures: 2)
        var attempts = 0
        let value = try await withRestarts(policy: policy, sleep: { _ in }) { progress in
            attempts += 1
            if attempts < 6 {
                progress.record()
                throw Failure()
            }
            return attempts
        }
        #expect(value == 6)
    }
}

@Suite("withRestarts under cancellation")
struct WithRestartsCancellationTests {
    @Test("a task cancelled before the first attempt returns nil without running the operation")
    func cancelledBeforeStart() async throws {
        let task = Task { () async throws -> Bool? in
            while !Task.isCancelled { await Task.yield() }
            return try await withRestarts(policy: .services) { _ in true }
        }
        task.cancel()
        #expect(try await task.value == nil)
    }

    @Test("cancellation during the wait ends the loop with nil")
    func cancelledWhileWaiting() async throws {
        let (waits, waitsContinuation) = AsyncStream.makeStream(of: Duration.self)
        let task = Task { () async throws -> Int? in
            try await withRestarts(policy: .services, sleep: { delay in
                waitsContinuation.yield(delay)
                try await Task.sleep(for: .seconds(3600))
            }) { _ in throw Failure() }
        }
        var iterator = waits.makeAsyncIterator()
        #expect(await iterator.next() == .milliseconds(100))
        task.cancel()
        #expect(try await task.value == nil)
    }

    @Test("a failure caused by cancellation is not reported and ends the loop")
    func failureWhileCancelled() async throws {
        let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
        let (reports, reportsContinuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task { () async throws -> Int? in
            defer { reportsContinuation.finish() }
            return try await withRestarts(policy: .services, onFailure: { reportsContinuation.yield($0.failures) }) { _ in
                startedContinuation.yield()
                while !Task.isCancelled { await Task.yield() }
                throw CancellationError()
            }
        }
        // Cancelled while the attempt runs, not before it.
        for await _ in started { break }
        task.cancel()
        #expect(try await task.value == nil)
        var reported: [Int] = []
        for await failures in reports { reported.append(failures) }
        #expect(reported == [])
    }

    @Test("a fatal error is rethrown even when the task is cancelled")
    func fatalWhileCancelled() async throws {
        let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
        let task = Task { () async throws -> Int? in
            try await withRestarts(policy: .services, isFatal: { $0 is Fatal }) { _ in
                startedContinuation.yield()
                while !Task.isCancelled { await Task.yield() }
                throw Fatal()
            }
        }
        for await _ in started { break }
        task.cancel()
        await #expect(throws: Fatal.self) { try await task.value }
    }
}
