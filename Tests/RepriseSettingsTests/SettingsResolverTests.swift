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
        let resolver = SettingsResolver(environment: ["REPRISE_POSTGRES_POOL_SIZE": "lots"])
        #expect(throws: SettingError.self) {
            _ = try resolver.resolveInt(Settings.postgresPoolSize, flag: nil, range: 1...512)
        }
        do {
            _ = try resolver.resolveInt(Settings.postgresPoolSize, flag: nil, range: 1...512)
        } catch {
            #expect(error.description.contains("REPRISE_POSTGRES_POOL_SIZE"))
            #expect(error.description.contains("lots"))
        }
        #expect(try resolver.resolveInt(Settings.postgresPoolSize, flag: "32", range: 1...512) == 32)
    }

    @Test func secretsAreRedacted() {
        #expect(Redaction.redact("nats://reprise:s3cret@127.0.0.1:4222") == "nats://reprise:***@127.0.0.1:4222")
        #expect(Redaction.redact("postgresql://reprise@127.0.0.1/db") == "postgresql://reprise@127.0.0.1/db")
        let resolved = SettingsResolver(environment: [:]).resolve(Settings.natsURL, flag: "nats://a:b@h:1")
        #expect(resolved.displayValue == "nats://a:***@h:1")
    }
}
