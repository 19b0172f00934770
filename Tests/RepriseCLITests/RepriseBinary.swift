import Foundation
import RepriseTestSupport

/// Runs the built `reprise` executable, which sits beside the test bundle in the build folder.
struct RepriseBinary {
    struct Run {
        let status: Int32
        let output: String
        let error: String
    }

    static var url: URL {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // `swift test` runs `<build>/debug/RepriseP…Tests.xctest`; the executable is in `<build>/debug`.
        while !FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent("reprise").path), folder.path != "/" {
            folder.deleteLastPathComponent()
        }
        return folder.appendingPathComponent("reprise")
    }

    /// Runs `body`, which blocks (waiting for a child process, reading a pipe), on a thread
    /// of its own: blocking one of the two cooperative threads can stall every test in the
    /// process, including ones whose open transactions the child is waiting for.
    static func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }

    /// `input` is written to the child's standard input, which is then closed.
    static func run(_ arguments: [String], environment extra: [String: String] = [:], input: String? = nil) async throws -> Run {
        try await offload { try runBlocking(arguments, environment: extra, input: input) }
    }

    private static func runBlocking(_ arguments: [String], environment extra: [String: String], input: String?) throws -> Run {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["REPRISE_LOG_LEVEL"] = "warning"
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        let standardInput = Pipe()
        process.standardInput = standardInput
        try process.run()
        // Small inputs fit the pipe's buffer, so this write does not wait for the child.
        if let input { standardInput.fileHandleForWriting.write(Data(input.utf8)) }
        try standardInput.fileHandleForWriting.close()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus,
            output: String(decoding: outputData, as: UTF8.self),
            error: String(decoding: errorData, as: UTF8.self)
        )
    }
}
