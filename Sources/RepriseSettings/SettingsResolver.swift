/// Where a resolved value came from, so operators can tell why a value is what it is.
public enum SettingSource: String, Sendable, Codable {
    case flag
    case environment
    case `default`
}

/// A setting's value after precedence was applied.
public struct ResolvedSetting: Sendable, Equatable {
    public let setting: Setting
    public let value: String
    public let source: SettingSource

    /// The value as it may be shown in logs and on screen.
    public var displayValue: String { setting.isSecret ? Redaction.redact(value) : value }
}

/// A setting's value failed validation.
public struct SettingError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        public let rawValue: String
        public static let invalidValue = Code(rawValue: "invalid_value")
    }

    public let code: Code
    public let setting: Setting
    public let source: SettingSource
    public let reason: String

    public init(code: Code, setting: Setting, source: SettingSource, reason: String) {
        self.code = code
        self.setting = setting
        self.source = source
        self.reason = reason
    }

    public var description: String {
        let origin: String
        switch source {
        case .flag: origin = "--\(setting.flag)"
        case .environment: origin = setting.environmentVariable
        case .default: origin = "the default"
        }
        return "invalid \(setting.key) from \(origin): \(reason)"
    }
}

/// Applies the one precedence rule: a flag beats an environment variable beats the default.
public struct SettingsResolver: Sendable {
    private let environment: [String: String]

    /// `environment` is passed in rather than read here, so tests never touch the process's.
    public init(environment: [String: String]) {
        self.environment = environment
    }

    public func resolve(_ setting: Setting, flag: String?) -> ResolvedSetting {
        if let flag, !flag.isEmpty {
            return ResolvedSetting(setting: setting, value: flag, source: .flag)
        }
        if let fromEnvironment = environment[setting.environmentVariable], !fromEnvironment.isEmpty {
            return ResolvedSetting(setting: setting, value: fromEnvironment, source: .environment)
        }
        return ResolvedSetting(setting: setting, value: setting.defaultValue, source: .default)
    }

    /// The setting as a whole number in `range`; anything else is an error that names where
    /// the value came from (`--http-port`, `REPRISE_HTTP_PORT` or the default).
    public func integer(_ setting: Setting, flag: String?, in range: ClosedRange<Int>) throws(SettingError) -> Int {
        let resolved = resolve(setting, flag: flag)
        guard let value = Int(resolved.value), range.contains(value) else {
            throw SettingError(
                code: .invalidValue, setting: setting, source: resolved.source,
                reason: "'\(resolved.value)' is not a whole number from \(range.lowerBound) to \(range.upperBound)"
            )
        }
        return value
    }
}
