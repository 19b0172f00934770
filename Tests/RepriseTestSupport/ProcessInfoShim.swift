import Foundation

enum ProcessInfoShim {
    static func value(of name: String) -> String? { ProcessInfo.processInfo.environment[name] }
}
