/// Hides credentials carried in URLs (`scheme://user:password@host`) wherever provcheck shows text that may hold a
/// URL: error messages, progress, JSON and SARIF output, git's messages echoed in errors.
///
/// `https://user:secret@host/x` becomes `https://user:***@host/x`; a user name alone (often a token, as in
/// `https://TOKEN@github.com/o/r.git`) becomes `***`. npm's own redaction keeps the user name and hides the
/// password the same way.
///
/// (It lives in Digest only because every module that shows a URL depends on Digest.)
public enum URLCredentials {
    /// `text` with the user information of every `scheme://…@` URL in it replaced.
    public static func redact(_ text: String) -> String {
        guard text.contains("@"), text.contains("://") else { return text }
        var output = ""
        output.reserveCapacity(text.utf8.count)
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            // Find "://" preceded by a scheme.
            if scalars[index] == ":", index + 2 < scalars.count, scalars[index + 1] == "/", scalars[index + 2] == "/",
               index > 0, isSchemeCharacter(scalars[index - 1]) {
                output.unicodeScalars.append(contentsOf: scalars[index...(index + 2)])
                let start = index + 3
                var end = start
                while end < scalars.count, !terminatesUserInfo(scalars[end]) { end += 1 }
                if end < scalars.count, scalars[end] == "@", end > start {
                    let userInfo = String(String.UnicodeScalarView(scalars[start..<end]))
                    if let colon = userInfo.firstIndex(of: ":") {
                        output += userInfo[..<colon] + ":***@"
                    } else {
                        output += "***@"
                    }
                    index = end + 1
                } else {
                    index = start
                }
                continue
            }
            output.unicodeScalars.append(scalars[index])
            index += 1
        }
        return output
    }

    private static func isSchemeCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isASCIIHexDigit || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
            || scalar == "+" || scalar == "-" || scalar == "."
    }

    private static func terminatesUserInfo(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "@" || scalar == "/" || scalar == "?" || scalar == "#" || scalar == "\"" || scalar == "'"
            || scalar == "<" || scalar == ">" || scalar == "`" || scalar.properties.isWhitespace
    }
}
