import RepriseSettings
import Testing

@Suite struct SettingsResolverTests {
    @Test func flagBeatsEnvironmentBeatsDefault() {
        let environment = ["REPRISE_POSTGRES_URL": "postgresql://env@host/db"]
        let resolver = SettingsResolver(environment: environment)

        let fromFlag = resolver.resolve(Settings.postgresURL, flag: "postgresql://flag@host/db")
        #expect(fromFlag.value == "postgresql://flag@host/db")
        #expect(fromFlag.source == .flag)

        let fromEnvironment = resolver.resolve(Settings.postgresURL, flag: nil)
        #expect(fromEnvironment.value == "postgresql://env@host/db")
        #expect(fromEnvironment.source == .environment)

        let fromDefault = SettingsResolver(environment: [:]).resolve(Settings.postgresURL, flag: nil)
        #expect(fromDefault.value == Settings.postgresURL.defaultValue)
        #expect(fromDefault.source == .default)
    }

    @Test func emptyValuesDoNotOverride() {
        let resolver = SettingsResolver(environment: ["REPRISE_NATS_URL": ""])
        #expect(resolver.resolve(Settings.natsURL, flag: "").source == .default)
    }

    @Test func namesFollowTheDottedKey() {
        #expect(Settings.postgresURL.environmentVariable == "REPRISE_POSTGRES_URL")
        #expect(Settings.natsURL.environmentVariable == "REPRISE_NATS_URL")
        #expect(Settings.postgresPoolSize.flag == "postgres-pool-size")
        #expect(Settings.postgresPoolSize.environmentVariable == "REPRISE_POSTGRES_POOL_SIZE")
        #expect(Set(Settings.all.map(\.environmentVariable)).count == Settings.all.count)
    }

    @Test func integersAreValidatedWithTheirOrigin() throws {
        let resolver = SettingsResolver(environment: ["REPRISE_POSTGRES_POOL_SIZE": "lots", "REPRISE_HTTP_PORT": "70000"])
        let notANumber = #expect(throws: SettingError.self) {
            try resolver.integer(Settings.postgresPoolSize, flag: nil, in: 1...1_000)
        }
        #expect(notANumber?.code == .invalidValue)
        #expect(notANumber?.source == .environment)
        #expect(notANumber?.description == "invalid postgres.pool-size from REPRISE_POSTGRES_POOL_SIZE: 'lots' is not a whole number from 1 to 1000")

        let outOfRange = #expect(throws: SettingError.self) { try resolver.integer(Settings.httpPort, flag: nil, in: 0...65_535) }
        #expect(outOfRange?.description == "invalid http.port from REPRISE_HTTP_PORT: '70000' is not a whole number from 0 to 65535")
        let badFlag = #expect(throws: SettingError.self) { try resolver.integer(Settings.httpPort, flag: "-1", in: 0...65_535) }
        #expect(badFlag?.source == .flag)
        #expect(badFlag?.description.hasPrefix("invalid http.port from --http-port:") == true)

        #expect(try resolver.integer(Settings.postgresPoolSize, flag: "32", in: 1...1_000) == 32)
        #expect(try resolver.integer(Settings.httpPort, flag: "0", in: 0...65_535) == 0)
        #expect(try SettingsResolver(environment: [:]).integer(Settings.httpPort, flag: nil, in: 0...65_535) == 8080)
    }

    @Test func secretsAreRedacted() {
        #expect(Redaction.redact("nats://reprise:s3cret@127.0.0.1:4222") == "nats://reprise:***@127.0.0.1:4222")
        #expect(Redaction.redact("postgresql://reprise@127.0.0.1/db") == "postgresql://reprise@127.0.0.1/db")
        let resolved = SettingsResolver(environment: [:]).resolve(Settings.natsURL, flag: "nats://a:b@h:1")
        #expect(resolved.displayValue == "nats://a:***@h:1")
    }
}
