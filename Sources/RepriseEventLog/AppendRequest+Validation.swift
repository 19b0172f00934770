import Foundation
import RepriseDomain

extension AppendRequest {
    /// The request's streams in stream-id order, after the checks every store makes
    /// before it looks at the log: a command id, at least one stream, each stream once
    /// and with events, exact versions of 1 or more, and every event's data a JSON object
    /// in UTF-8, and a request fingerprint, if any, a SHA-256 in hex. One order for every writer is also one lock order: no deadlocks.
    public func validatedStreams() throws(EventStoreError) -> [StreamAppend] {
        guard !streams.isEmpty else {
            throw EventStoreError(code: .invalidAppend, message: "an append needs at least one stream")
        }
        guard !commandID.isEmpty else {
            throw EventStoreError(code: .invalidAppend, message: "an append needs a command id")
        }
        // Checked here, because one bad value would fail a whole group-committed batch.
        if let requestFingerprint, Hex.decode(requestFingerprint)?.count != 32 {
            throw EventStoreError(code: .invalidAppend, message: "a request fingerprint is a SHA-256 in 64 hex digits")
        }
        let sorted = streams.sorted { $0.streamID.rawValue < $1.streamID.rawValue }
        var seen = Set<StreamID>()
        for stream in sorted {
            guard seen.insert(stream.streamID).inserted else {
                throw EventStoreError(code: .invalidAppend, message: "stream \(stream.streamID) appears twice in one append", streamID: stream.streamID)
            }
            guard !stream.events.isEmpty else {
                throw EventStoreError(code: .invalidAppend, message: "no events for stream \(stream.streamID)", streamID: stream.streamID)
            }
            if case .exactly(let version) = stream.expectedVersion, version < 1 {
                throw EventStoreError(code: .invalidAppend, message: "an exact expected version is 1 or more", streamID: stream.streamID)
            }
            for event in stream.events {
                guard let object = try? JSONSerialization.jsonObject(with: Data(event.data)), object is [String: Any],
                      String(validating: event.data, as: UTF8.self) != nil
                else {
                    throw EventStoreError(code: .invalidAppend, message: "event \(event.type) data is not a JSON object", streamID: stream.streamID)
                }
            }
        }
        return sorted
    }
}
