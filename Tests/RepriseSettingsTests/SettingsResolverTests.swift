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

    /// Every form a secret takes, masked by the one redactor; what it belongs to stays.
    @Test(arguments: [
        // URLs: a password, a list of NATS URLs, a NATS token, a libpq user alone, no user.
        ("postgresql://reprise:s3cret@127.0.0.1:5432/reprise", "postgresql://reprise:***@127.0.0.1:5432/reprise"),
        ("nats://token@host:4222,nats://a:b@other:4222", "nats://***@host:4222,nats://a:***@other:4222"),
        ("nats://127.0.0.1:4222", "nats://127.0.0.1:4222"),
        ("postgres://u@h/db?sslmode=require&password=s3cret", "postgres://u@h/db?sslmode=require&password=***"),
        ("postgresql://h/db?sslpassword=abc&user=u", "postgresql://h/db?sslpassword=***&user=u"),
        // libpq key/value connection strings, quoted or not, any case.
        ("host=127.0.0.1 port=5432 user=reprise password=s3cret dbname=reprise", "host=127.0.0.1 port=5432 user=reprise password=*** dbname=reprise"),
        ("host=h password = 'a \\' secret' dbname=d", "host=h password = '***' dbname=d"),
        ("HOST=h PASSWORD=x", "HOST=h PASSWORD=***"),
        // Tokens and API keys, in headers, JSON and key/value form.
        ("Authorization: Bearer abc.def-123", "Authorization: Bearer ***"),
        (#"{"token":"t0k3n","user":"u"}"#, #"{"token":"***","user":"u"}"#),
        ("api_key=k3y api-key: k3y2 apikey=k3y3", "api_key=*** api-key: *** apikey=***"),
        ("seed SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4 here", "seed *** here"),
        // Nothing secret: left alone.
        ("http.port 8080, passwordless login", "http.port 8080, passwordless login"),
    ])
    func everySecretFormIsMasked(input: String, expected: String) {
        #expect(Redaction.redact(input) == expected)
    }

    /// `reprise config` shows a secret setting through the redactor, whatever its form.
    @Test func secretSettingsAreShownRedacted() {
        let resolver = SettingsResolver(environment: ["REPRISE_POSTGRES_URL": "host=h user=u password=hunter2"])
        #expect(resolver.resolve(Settings.postgresURL, flag: nil).displayValue == "host=h user=u password=***")
    }
}
