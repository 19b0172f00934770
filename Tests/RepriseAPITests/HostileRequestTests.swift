import Foundation
import HTTPTypes
import RepriseTestSupport
import Testing

/// Seeded random requests, most of them broken or hostile, at every endpoint: none gets a
/// 5xx, none that is refused appends anything, and the server is still ready afterwards.
@Suite struct HostileRequestTests {
    static let requestCount = 2_000

    @Test func noFiveHundredsAndRefusalsAppendNothing() async throws {
        try await APIHarness.with { api in
            try await api.activeCampaign("cmp-1")
            var random = SeededRandom(seed: 0x5EED_0F_4E9)
            let templates = AccessTests.endpoints
            var statuses: [Int: Int] = [:]
            for index in 0..<Self.requestCount {
                let endpoint = templates[Int(random.next() % UInt64(templates.count))]
                var path = endpoint.path
                var body = endpoint.json ?? "{}"
                var headers: [String: String] = ["Content-Type": "application/json"]
                var key: String? = APIHarness.Key.admin
                switch random.next() % 12 {
                case 0: body = String(body.prefix(Int(random.next() % UInt64(body.count + 1))))
                case 1: body = Self.replacingOneCharacter(body, &random)
                case 2: body = body.replacingOccurrences(of: ":", with: ":{\"x\":", options: [], range: nil)
                case 3: body = Self.replacingNumbers(body, with: ["1e400", "-99999999999999999999", "1.5", "\"7\"", "null", "true", "[]"], &random)
                case 4: body = Self.replacingStrings(body, with: ["", "\u{0}", String(repeating: "x", count: 300), "../../etc", "1", "{}"], &random)
                case 5: body = String(repeating: "[", count: 5_000)
                case 6: headers["Content-Type"] = ["text/plain", "application/xml", "application/json-patch", ""][Int(random.next() % 4)]
                case 7: path = path.replacingOccurrences(of: "cmp-1", with: ["%00", "..", "cmp%2F1", "-x-", String(repeating: "c", count: 300), "cmp-404"][Int(random.next() % 6)])
                case 8: key = ["", "Bearer", "bearer  ", APIHarness.Key.auditor, "x"][Int(random.next() % 5)]
                case 9: headers["If-Match"] = ["\"1\"", "\"99\"", "*", "W/\"3\"", "garbage", ""][Int(random.next() % 6)]
                case 10: headers["Idempotency-Key"] = ["a", "same-key", " ", String(repeating: "k", count: 300)][Int(random.next() % 4)]
                default: body = String(decoding: (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }, as: UTF8.self)
                }
                let before = try await api.eventCount()
                let reply = try await api.send(endpoint.method, path, key: key, json: endpoint.method == .get ? nil : body, headers: headers)
                let after = try await api.eventCount()
                statuses[reply.status, default: 0] += 1
                #expect(reply.status < 500, "request \(index): \(endpoint.method) \(path) \(body.prefix(200)) → \(reply.status) \(reply.body)")
                if reply.status >= 400 {
                    #expect(after == before, "request \(index) was refused (\(reply.status)) but appended \(after - before) event(s)")
                    #expect(reply.contentType == "application/problem+json", "request \(index): \(reply.status)")
                }
            }
            // Not a vacuous run: some requests got through, and many kinds of refusal were seen.
            #expect(statuses.keys.contains { $0 < 300 }, "\(statuses)")
            #expect(Set([400, 401, 403, 404, 409, 412, 415, 422]).isSubset(of: statuses.keys), "\(statuses)")
            #expect(try await api.send(.get, "/health/ready", key: nil).status == 200)
            #expect(try await api.send(.get, "/campaigns/cmp-1").status == 200)
        }
    }

    private static func replacingOneCharacter(_ text: String, _ random: inout SeededRandom) -> String {
        guard !text.isEmpty else { return "\"" }
        var characters = Array(text)
        characters[Int(random.next() % UInt64(characters.count))] = ["\"", "{", "}", ",", ":", "\\", "9", "]"][Int(random.next() % 8)]
        return String(characters)
    }

    private static func replacingNumbers(_ text: String, with choices: [String], _ random: inout SeededRandom) -> String {
        let pick = choices[Int(random.next() % UInt64(choices.count))]
        return text.replacingOccurrences(of: #"(?<=:)-?[0-9]+"#, with: pick, options: .regularExpression)
    }

    private static func replacingStrings(_ text: String, with choices: [String], _ random: inout SeededRandom) -> String {
        let pick = choices[Int(random.next() % UInt64(choices.count))].replacingOccurrences(of: "\u{0}", with: "\\u0000")
        return text.replacingOccurrences(of: #"(?<=:)"[^"]*""#, with: "\"\(pick)\"", options: .regularExpression)
    }
}

