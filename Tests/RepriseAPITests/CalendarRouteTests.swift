import Foundation
import RepriseTestSupport
import Testing

/// Issue 12: the holiday calendar supply forecasting reads, declared by admins over HTTP.
@Suite("Holiday calendar over HTTP")
struct CalendarRouteTests {
    @Test func anAdminDeclaresAHolidayOnceAndAnotherAtTheSameStartIsAConflict() async throws {
        try await APIHarness.with { api in
            let path = "/calendar/SE/holidays/2026-12-24T23:00:00Z"
            let declared = try await api.send(.put, path, json: #"{"to":"2026-12-25T23:00:00Z","name":"Juldagen"}"#)
            #expect(declared.status == 201, "\(declared.body)")
            #expect(declared.json["from"] == .string("2026-12-24T23:00:00.000000Z"))
            let before = try await api.eventCount()
            let again = try await api.send(.put, path, json: #"{"to":"2026-12-25T23:00:00Z","name":"Juldagen"}"#)
            #expect(again.status == 200)
            #expect(try await api.eventCount() == before)
            let other = try await api.send(.put, path, json: #"{"to":"2026-12-26T00:00:00Z","name":"Juldagen"}"#)
            #expect(other.status == 409)
            #expect(other.problemType == "holiday_conflict")

            let tooLong = try await api.send(.put, "/calendar/SE/holidays/2026-12-30T23:00:00Z", json: #"{"to":"2027-01-02T23:00:00Z","name":"Long"}"#)
            #expect(tooLong.status == 422)
            #expect(tooLong.problemField == "to")
            let unknown = try await api.send(.put, "/calendar/XX/holidays/2026-12-30T23:00:00Z", json: #"{"to":"2026-12-31T23:00:00Z","name":"X"}"#)
            #expect(unknown.problemType == "unknown_market")
            #expect(try await api.send(.put, path, json: #"{"to":"2026-12-25T23:00:00Z"}"#).problemType == "missing_field")

            let list = try await api.send(.get, "/calendar/SE/holidays", key: APIHarness.Key.auditor)
            #expect(list.status == 200)
            #expect(list.body.contains("Juldagen"))
        }
    }
}
