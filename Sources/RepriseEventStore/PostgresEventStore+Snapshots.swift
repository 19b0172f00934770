import Postgres
import RepriseEventLog

extension PostgresEventStore: StreamSnapshotStore {
    public func snapshot(of streamID: StreamID) async throws(EventStoreError) -> StreamSnapshot? {
        do {
            let rows = try await pool.query("SELECT version, format, state FROM stream_snapshots WHERE stream_id = \(streamID.rawValue)")
            guard let row = rows.first else { return nil }
            return StreamSnapshot(
                streamID: streamID, version: try row.decode(Int.self, at: 0), format: try row.decode(Int.self, at: 1),
                state: try row.decode([UInt8].self, at: 2)
            )
        } catch let error as PostgresError {
            throw Self.map(error)
        } catch {
            throw EventStoreError(code: .unavailable, message: "reading the snapshot of \(streamID) failed: \(error)")
        }
    }

    public func saveSnapshot(_ snapshot: StreamSnapshot) async throws(EventStoreError) {
        do {
            try await pool.query(
                """
                INSERT INTO stream_snapshots (stream_id, version, format, state)
                VALUES (\(snapshot.streamID.rawValue), \(snapshot.version), \(snapshot.format), \(snapshot.state))
                ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, format = excluded.format,
                    state = excluded.state, taken_at = now()
                WHERE stream_snapshots.version < excluded.version
                """
            )
        } catch let error as PostgresError {
            throw Self.map(error)
        } catch {
            throw EventStoreError(code: .unavailable, message: "saving the snapshot of \(snapshot.streamID) failed: \(error)")
        }
    }
}
