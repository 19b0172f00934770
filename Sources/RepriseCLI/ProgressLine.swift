import Foundation
import RepriseProjections
import Synchronization

/// One line on a terminal that a long command rewrites in place: done, rate, ETA.
/// Quiet when standard error is not a terminal, so pipes and logs get no noise.
final class ProgressLine: Sendable {
    private let label: String
    private let enabled = isatty(STDERR_FILENO) == 1
    private let shown = Mutex(false)

    init(label: String) {
        self.label = label
    }

    func show(_ progress: RebuildProgress) {
        guard enabled else { return }
        let eta = progress.remainingSeconds.map { String(format: "%.0f s", $0) } ?? "?"
        let text = "\(label): \(progress.done) of \(progress.total) events, \(Int(progress.rate)) events/s, ETA \(eta)"
        shown.withLock { $0 = true }
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + text).utf8))
    }

    /// Ends the line, so what is printed next starts on a fresh one.
    func finish() {
        guard enabled, shown.withLock({ $0 }) else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
