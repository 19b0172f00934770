import Foundation
import RepriseTestSupport
import Synchronization
import Testing

/// The fault tests' own PostgreSQL and nats-server, run by `ops/services.sh` with its
/// overrides, so that restarting them never disturbs anyone else's tests.
enum PrivateServers {
    /// The suite runs only when asked to: it restarts servers and takes minutes.
    static var enabled: Bool { ProcessInfo.processInfo.environment["REPRISE_FAULT_TESTS"] == "1" }

    /// Fixed ports, each overridable (`REPRISE_FAULT_PG_PORT`, `REPRISE_FAULT_NATS_PORT`,
    /// `REPRISE_FAULT_NATS_MONITOR_PORT`) so two checkouts can run the suite side by side.
    static let postgresPort = port("REPRISE_FAULT_PG_PORT", default: 55439)
    static let natsPort = port("REPRISE_FAULT_NATS_PORT", default: 54229)
    static let natsMonitorPort = port("REPRISE_FAULT_NATS_MONITOR_PORT", default: 58229)

    private static func port(_ name: String, default fallback: Int) -> Int {
        ProcessInfo.processInfo.environment[name].flatMap(Int.init) ?? fallback
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Data, server logs and the components' logs: `.run-faults/` (ignored by git).
    static var runDirectory: URL { repositoryRoot.appendingPathComponent(".run-faults") }

    static var postgresURL: String { "postgresql://reprise@127.0.0.1:\(postgresPort)/reprise" }
    static var natsURL: String { "nats://reprise:reprise-dev@127.0.0.1:\(natsPort)" }

    static func start() async throws { try await services("start") }
    static func stop() async throws { try await services("stop") }
    /// A fast shutdown (every session is cut), then a start on the same data.
    static func restartPostgres() async throws { try await services("restart-postgres") }
    /// SIGTERM, then a start on the same JetStream store.
    static func restartNATS() async throws { try await services("restart-nats") }
    /// SIGKILL (no flush: JetStream writes not yet on disk are lost), then a start on the
    /// same store.
    static func killNATS() async throws { try await services("kill-nats") }

    /// SIGKILL, then the last `bytes` of the newest message block of each of `streams` are
    /// cut off, as if the machine had died before they reached the disk, then a start on
    /// what is left. nats-server 2.9 writes each message to the file before acking it, so
    /// a SIGKILL alone loses nothing; this is the crash that loses acked messages.
    static func killNATSLosingTail(of streams: [String], bytes: Int) async throws {
        let pidFile = runDirectory.appendingPathComponent("nats.pid")
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw FaultTestFailure("no nats-server pid in \(pidFile.path)")
        }
        kill(pid, SIGKILL)
        try await waitUntil("nats-server is gone", every: .milliseconds(10)) { kill(pid, 0) != 0 }
        let accounts = runDirectory.appendingPathComponent("nats/jetstream")
        let files = FileManager.default
        for account in try files.contentsOfDirectory(atPath: accounts.path) {
            for stream in streams {
                let messages = accounts.appendingPathComponent("\(account)/streams/\(stream)/msgs")
                guard let names = try? files.contentsOfDirectory(atPath: messages.path) else { continue }
                let blocks = names.filter { $0.hasSuffix(".blk") }.compactMap { Int($0.dropLast(4)) }
                guard let last = blocks.max() else { continue }
                let block = messages.appendingPathComponent("\(last).blk")
                let size = (try files.attributesOfItem(atPath: block.path)[.size] as? NSNumber)?.intValue ?? 0
                let handle = try FileHandle(forWritingTo: block)
                try handle.truncate(atOffset: UInt64(max(0, size - bytes)))
                try handle.close()
                // The block's index describes what is gone; the server rebuilds it from the block.
                try? files.removeItem(at: messages.appendingPathComponent("\(last).idx"))
            }
        }
        try await start()
    }

    /// Runs `ops/services.sh <command>` with the private ports and run directory.
    private static func services(_ command: String) async throws {
        try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
        let log = runDirectory.appendingPathComponent("services.log")
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let output = try FileHandle(forWritingTo: log)
        defer { try? output.close() }
        output.seekToEndOfFile()
        let process = Process()
        process.executableURL = repositoryRoot.appendingPathComponent("ops/services.sh")
        process.arguments = [command]
        var environment = ProcessInfo.processInfo.environment
        environment["REPRISE_RUN_DIR"] = runDirectory.path
        environment["REPRISE_PG_PORT"] = "\(postgresPort)"
        environment["REPRISE_NATS_PORT"] = "\(natsPort)"
        environment["REPRISE_NATS_MONITOR_PORT"] = "\(natsMonitorPort)"
        process.environment = environment
        process.standardOutput = output
        process.standardError = output
        let status = try await ExitSignal.run(process)
        guard status == 0 else {
            throw FaultTestFailure("ops/services.sh \(command) exited with \(status); see \(log.path)")
        }
    }
}

/// Starts the private servers before the suite and stops them after it.
struct PrivateServersTrait: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        guard PrivateServers.enabled else { return try await function() }
        try await PrivateServers.start()
        do {
            try await function()
        } catch {
            try? await PrivateServers.stop()
            throw error
        }
        try await PrivateServers.stop()
    }
}

extension Trait where Self == PrivateServersTrait {
    /// The suite gets a PostgreSQL and a nats-server of its own.
    static var privateServers: Self { Self() }
}

/// Waits for a child process's exit without blocking a thread of Swift's cooperative pool.
final class ExitSignal: Sendable {
    private struct State {
        var status: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []
    }

    private let state = Mutex(State())

    /// Arms `process` (before it runs) so that its exit is reported here.
    init(for process: Process) {
        process.terminationHandler = { [self] finished in exited(finished.terminationStatus) }
    }

    /// Runs `process` and returns its exit status once it exits.
    static func run(_ process: Process) async throws -> Int32 {
        let signal = ExitSignal(for: process)
        try process.run()
        return await signal.wait()
    }

    var hasExited: Bool { state.withLock { $0.status != nil } }

    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let status = state.withLock { state -> Int32? in
                if let status = state.status { return status }
                state.waiters.append(continuation)
                return nil
            }
            if let status { continuation.resume(returning: status) }
        }
    }

    private func exited(_ status: Int32) {
        let waiters = state.withLock { state in
            state.status = status
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: status) }
    }
}

/// A fault test could not set up, or a wait ran out.
struct FaultTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
