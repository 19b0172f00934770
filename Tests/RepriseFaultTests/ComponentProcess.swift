import Foundation
import Glibc

/// One part of Reprise (`reprise serve --components <name>`) as a child process of the
/// test, so that a crash is a real `kill -9`: no graceful shutdown, no `defer`, sessions
/// and subscriptions cut by the kernel.
actor ComponentProcess {
    let component: String
    private let environment: [String: String]
    private let logDirectory: URL
    private var process: Process?
    private var exit: ExitSignal?
    private var launches = 0

    init(component: String, environment: [String: String], logDirectory: URL) {
        self.component = component
        self.environment = environment
        self.logDirectory = logDirectory
    }

    /// The built `reprise`, which sits beside the test bundle in the build folder.
    static var executable: URL {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent("reprise").path), folder.path != "/" {
            folder.deleteLastPathComponent()
        }
        return folder.appendingPathComponent("reprise")
    }

    /// Starts the component; each launch logs to a file of its own in `logDirectory`.
    func start() throws {
        precondition(process == nil, "\(component) is already running")
        launches += 1
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        let log = logDirectory.appendingPathComponent("\(component)-\(launches).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["serve", "--components", component]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, ours in ours }
        process.standardOutput = output
        process.standardError = output
        let exit = ExitSignal(for: process)
        try process.run()
        try? output.close()
        self.process = process
        self.exit = exit
    }

    /// SIGKILL, and waits until the process is gone.
    func kill9() async {
        guard let process, let exit else { return }
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
        _ = await exit.wait()
        self.process = nil
        self.exit = nil
    }

    /// SIGTERM (a graceful shutdown), and waits until the process is gone. Returns its exit status.
    @discardableResult
    func stop() async -> Int32? {
        guard let process, let exit else { return nil }
        _ = Glibc.kill(process.processIdentifier, SIGTERM)
        let status = await exit.wait()
        self.process = nil
        self.exit = nil
        return status
    }

    /// True when the process was started and has exited by itself.
    var hasDied: Bool { exit?.hasExited ?? false }
}
