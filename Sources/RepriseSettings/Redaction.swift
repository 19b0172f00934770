/// The one redactor: masks every form a secret takes in Reprise's settings, logs and
/// errors, wherever it sits in a text.
///
/// - the password in a URL's user info (`postgresql://user:secret@host`, and each URL of a
///   comma-separated list such as `nats://a:x@h1,nats://b:y@h2`);
/// - a token in a NATS URL's user info (`nats://s3cr3t@host`), since NATS reads a user
///   without a password as a token; a libpq URL's lone user info is a user name and stays;
/// - `key=value` secrets in a libpq connection string or a URL's query (`password=…`,
///   `sslpassword=…`, `token=…`, `api_key=…`, quoted or not);
/// - bearer tokens (`Bearer …`) and NATS seeds (`SU…`, `SA…`, `SO…`).
///
/// Each secret becomes `***`; what it belonged to (user, host, key name) stays readable.
public enum Redaction {
    public static let mask = "***"

    /// Key names (lowercased) whose value is a secret in `key=value` and `key: value` forms.
    static let secretKeys: Set<String> = [
        "password", "passwd", "pass", "pwd", "sslpassword", "secret", "token", "auth_token", "access_token",
        "api_key", "apikey", "api-key", "nkey", "seed", "jwt",
    ]

    /// URL schemes whose user info, alone, is a token rather than a user name.
    static let tokenSchemes: Set<String> = ["nats", "tls", "ws", "wss"]

    public static func redact(_ text: String) -> String {
        var result = redactURLUserInfo(text)
        result = redactKeyValues(result)
        result = redactBearer(result)
        result = redactSeeds(result)
        return result
    }

    // MARK: URLs

    private static func redactURLUserInfo(_ text: String) -> String {
        var output = ""
        var rest = Substring(text)
        while let separator = rest.range(of: "://") {
            // The scheme is the run of scheme characters just before `://`.
            let schemeStart = rest[..<separator.lowerBound].lastIndex(where: { !isSchemeCharacter($0) })
                .map { rest.index(after: $0) } ?? rest.startIndex
            let scheme = rest[schemeStart..<separator.lowerBound].lowercased()
            output += rest[..<separator.upperBound]
            rest = rest[separator.upperBound...]
            // The authority ends at the first '/', '?', '#', whitespace, quote or ',' (a list of URLs).
            let authorityEnd = rest.firstIndex(where: { "/?#,\"' \t\n\r".contains($0) }) ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            guard let at = authority.lastIndex(of: "@") else { continue }
            let userInfo = authority[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                output += userInfo[..<colon] + ":" + mask
            } else if tokenSchemes.contains(scheme) {
                output += mask
            } else {
                output += userInfo
            }
            rest = rest[at...]
        }
        return output + rest
    }

    private static func isSchemeCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "+" || character == "-" || character == ".")
    }

    // MARK: key=value

    /// `password=secret`, `password = 'a secret'`, `?token=abc&x=1`, `"api_key": "abc"`.
    private static func redactKeyValues(_ text: String) -> String {
        let characters = Array(text)
        var output = ""
        var index = 0
        while index < characters.count {
            guard isKeyCharacter(characters[index]), index == 0 || !isKeyCharacter(characters[index - 1]) else {
                output.append(characters[index])
                index += 1
                continue
            }
            var keyEnd = index
            while keyEnd < characters.count, isKeyCharacter(characters[keyEnd]) { keyEnd += 1 }
            let key = String(characters[index..<keyEnd])
            output += key
            index = keyEnd
            guard secretKeys.contains(key.lowercased()) else { continue }
            // A closing quote of a JSON key, then spaces, then '=' or ':', then spaces.
            var cursor = index
            if cursor < characters.count, characters[cursor] == "\"" { cursor += 1 }
            while cursor < characters.count, characters[cursor] == " " { cursor += 1 }
            guard cursor < characters.count, characters[cursor] == "=" || characters[cursor] == ":" else { continue }
            // `password:` followed by `//` is a URL scheme, not a key.
            if characters[cursor] == ":", cursor + 2 < characters.count, characters[cursor + 1] == "/", characters[cursor + 2] == "/" { continue }
            cursor += 1
            while cursor < characters.count, characters[cursor] == " " { cursor += 1 }
            output += String(characters[index..<cursor])
            index = cursor
            guard index < characters.count else { break }
            if characters[index] == "'" || characters[index] == "\"" {
                // A quoted value, with backslash escapes as libpq and JSON write them.
                let quote = characters[index]
                var end = index + 1
                while end < characters.count, characters[end] != quote {
                    end += characters[end] == "\\" ? 2 : 1
                }
                output += String(quote) + mask + String(quote)
                index = min(end + 1, characters.count)
            } else {
                var end = index
                while end < characters.count, !" \t\n\r&;,\"'}".contains(characters[end]) { end += 1 }
                if end > index { output += mask }
                index = end
            }
        }
        return output
    }

    private static func isKeyCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == "-")
    }

    // MARK: Bearer tokens and seeds

    private static func redactBearer(_ text: String) -> String {
        var output = ""
        var rest = Substring(text)
        while let bearer = rest.range(of: "bearer ", options: .caseInsensitive) {
            output += rest[..<bearer.upperBound]
            rest = rest[bearer.upperBound...]
            let tokenEnd = rest.firstIndex(where: { $0.isWhitespace || $0 == "\"" || $0 == "'" || $0 == "," }) ?? rest.endIndex
            if tokenEnd > rest.startIndex { output += mask }
            rest = rest[tokenEnd...]
        }
        return output + rest
    }

    /// NATS nkey seeds: 'S', the key type, then base32 (58 characters in all).
    private static func redactSeeds(_ text: String) -> String {
        let characters = Array(text)
        var output = ""
        var index = 0
        while index < characters.count {
            let startsWord = index == 0 || !(characters[index - 1].isLetter || characters[index - 1].isNumber)
            if startsWord, characters[index] == "S", index + 58 <= characters.count, "UAOCNX".contains(characters[index + 1]),
               characters[(index + 2)..<(index + 58)].allSatisfy({ ("A"..."Z").contains($0) || ("2"..."7").contains($0) })
            {
                output += mask
                index += 58
                continue
            }
            output.append(characters[index])
            index += 1
        }
        return output
    }
}
