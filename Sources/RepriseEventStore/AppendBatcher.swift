import RepriseEventLog
import Synchronization

/// Group commit for appends: what arrives while a batch is in flight goes together in the
/// next one, so sixteen writers pay for a few transactions instead of sixteen.
///
/// There is no background task. A caller that finds fewer than `maxConcurrentBatches`
/// batches in flight runs one itself, taking whatever is queued (its own append among
/// it), and keeps going while the queue is not empty; everybody else waits for their
/// outcome. A batch that fails as a whole (say, one event's id already stored) is retried
/// command by command, so one bad append never fails its neighbours.
final class AppendBatcher: Sendable {
    typealias Execute = @Sendable ([AppendCall]) async throws(EventStoreError) -> [Result<AppendResult, EventStoreError>]

    private struct State {
        var queue: [Pending] = []
        var batchesInFlight = 0
    }

    private let state = Mutex(State())
    private let maxConcurrentBatches: Int
    private let maxCommandsPerBatch = 64
    private let maxEventsPerBatch = 2_000
    private let execute: Execute

    init(maxConcurrentBatches: Int, execute: @escaping Execute) {
        self.maxConcurrentBatches = max(1, maxConcurrentBatches)
        self.execute = execute
    }

    func submit(_ call: AppendCall) async throws(EventStoreError) -> AppendResult {
        let pending = Pending(call)
        let runsBatches = state.withLock { state in
            state.queue.append(pending)
            guard state.batchesInFlight < maxConcurrentBatches else { return false }
            state.batchesInFlight += 1
            return true
        }
        if runsBatches {
            while let batch = nextBatch() {
                await run(batch)
            }
        }
        return try await pending.outcome()
    }

    /// Takes the next batch off the queue in arrival order, or, when the queue is empty,
    /// gives up this caller's batch slot (in the same critical section, so nothing queued
    /// is left without a runner).
    private func nextBatch() -> [Pending]? {
        state.withLock { state in
            guard !state.queue.isEmpty else {
                state.batchesInFlight -= 1
                return nil
            }
            var batch: [Pending] = []
            var left: [Pending] = []
            var events = 0
            var commandIDs = Set<String>()
            for pending in state.queue {
                let fits = batch.count < maxCommandsPerBatch && (batch.isEmpty || events + pending.call.eventCount <= maxEventsPerBatch)
                // A command id appears once per batch; a retry racing its first attempt waits for the next.
                if fits, commandIDs.insert(pending.call.commandID).inserted {
                    batch.append(pending)
                    events += pending.call.eventCount
                } else {
                    left.append(pending)
                }
            }
            state.queue = left
            return batch
        }
    }

    private func run(_ batch: [Pending]) async {
        do {
            let outcomes = try await execute(batch.map(\.call))
            for (pending, outcome) in zip(batch, outcomes) { pending.complete(outcome) }
        } catch {
            guard batch.count > 1 else {
                batch[0].complete(.failure(error))
                return
            }
            for pending in batch {
                do {
                    let outcome = try await execute([pending.call])
                    pending.complete(outcome.first ?? .failure(EventStoreError(code: .unavailable, message: "no outcome for the append")))
                } catch {
                    pending.complete(.failure(error))
                }
            }
        }
    }
}

/// One queued append and its caller, who may or may not be waiting yet.
private final class Pending: Sendable {
    private enum State {
        case waitingForOutcome
        case waitingCaller(CheckedContinuation<Result<AppendResult, EventStoreError>, Never>)
        case done(Result<AppendResult, EventStoreError>)
    }

    let call: AppendCall
    private let state = Mutex(State.waitingForOutcome)

    init(_ call: AppendCall) {
        self.call = call
    }

    func complete(_ outcome: Result<AppendResult, EventStoreError>) {
        let caller = state.withLock { state -> CheckedContinuation<Result<AppendResult, EventStoreError>, Never>? in
            if case .waitingCaller(let continuation) = state {
                state = .done(outcome)
                return continuation
            }
            state = .done(outcome)
            return nil
        }
        caller?.resume(returning: outcome)
    }

    func outcome() async throws(EventStoreError) -> AppendResult {
        let outcome = await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Result<AppendResult, EventStoreError>? in
                if case .done(let outcome) = state { return outcome }
                state = .waitingCaller(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        return try outcome.get()
    }
}
