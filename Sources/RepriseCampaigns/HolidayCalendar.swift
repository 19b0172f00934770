import Foundation
import RepriseDomain
import RepriseEventLog

/// A market's declared holiday as the calendar answers it.
public struct DeclaredHoliday: Sendable, Equatable, Encodable {
    public let market: Market
    public let from: Timestamp
    public let to: Timestamp
    public let name: String

    public init(_ event: HolidayDeclared) {
        market = event.market
        from = event.from
        to = event.to
        name = event.name
    }
}

/// The holiday calendar: one stream of `calendar.holiday-declared` events per market
/// (`calendar-<market>`), appended by admins and read by supply forecasting.
public struct HolidayCalendar: Sendable {
    private let store: any EventStore
    private let eventIDs: EventIDGenerator

    public init(store: any EventStore, eventIDs: EventIDGenerator = EventIDGenerator()) {
        self.store = store
        self.eventIDs = eventIDs
    }

    /// What declaring `holiday` did.
    public enum Outcome: Sendable, Equatable {
        /// Appended now.
        case declared
        /// The same holiday was declared already; nothing was appended.
        case alreadyDeclared
    }

    /// The market's holidays, in the order they were declared.
    public func holidays(of market: Market) async throws(CommandError) -> [HolidayDeclared] {
        try await read(market).holidays
    }

    /// Declares `holiday`, deciding against the market's calendar; a lost race is decided
    /// again on the winner's declaration.
    public func declare(_ holiday: HolidayDeclared, envelope: CommandEnvelope) async throws(CommandError) -> Outcome {
        let streamID = StreamID(holiday.streamID)
        for _ in 0..<8 {
            let (calendar, version) = try await read(holiday.market)
            let events: [HolidayDeclared]
            do {
                events = try HolidayDeclared.decide(holiday, calendar: calendar)
            } catch {
                throw CommandError.rejected(error)
            }
            guard !events.isEmpty else { return .alreadyDeclared }
            let request = AppendRequest(
                // The request's own id, not one per holiday: a racing declaration with other
                // contents must meet the version check, not the command-id replay.
                commandID: envelope.commandID,
                streams: [StreamAppend(
                    streamID: streamID, expectedVersion: version == 0 ? .noStream : .exactly(version),
                    events: events.map { event in
                        let stored = HolidayDeclared.encode(event)
                        return NewEvent(eventID: eventIDs.next(), type: stored.type, schemaVersion: stored.schemaVersion, data: stored.data)
                    }
                )],
                metadata: EventMetadata(correlationID: envelope.correlationID, causationID: envelope.causationID, actor: envelope.actor)
            )
            do {
                _ = try await store.append(request)
                return .declared
            } catch where error.code == .wrongExpectedVersion {
                continue
            } catch {
                throw CommandError.store(error)
            }
        }
        throw CommandError(.conflict, "the calendar of \(holiday.market) kept changing under this declaration; try again")
    }

    private func read(_ market: Market) async throws(CommandError) -> (holidays: [HolidayDeclared], version: Int) {
        let streamID = StreamID(HolidayDeclared.streamID(market: market))
        var holidays: [HolidayDeclared] = []
        var version = 0
        while true {
            let page: [RecordedEvent]
            do {
                page = try await store.readStream(streamID, from: .version(version + 1), direction: .forward, limit: 1_000)
            } catch {
                throw CommandError.store(error)
            }
            for recorded in page {
                do {
                    holidays.append(try HolidayDeclared.decode(type: recorded.type, schemaVersion: recorded.schemaVersion, data: recorded.data))
                } catch {
                    throw CommandError(
                        .unreadableHistory,
                        "event \(recorded.eventID) (\(streamID) version \(recorded.streamVersion)) cannot be read: \(error.message)"
                    )
                }
                version = recorded.streamVersion
            }
            guard page.count == 1_000 else { return (holidays, version) }
        }
    }
}
