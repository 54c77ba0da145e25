/// Line-based unified diffs (as `diff -u` prints them) for changed text files.
public enum UnifiedDiff {
    /// Why no diff was produced.
    public enum Omission: Error, Sendable, Equatable {
        /// The files differ in too many lines to diff within the work bound.
        case tooLarge(linesA: Int, linesB: Int)
    }

    private enum Edit { case same(Int, Int), delete(Int), insert(Int) }

    /// A unified diff of `a` and `b` with `context` lines around each change, headed by `--- labelA` / `+++ labelB`.
    /// Returns "" when the texts are equal.
    /// - Throws: ``Omission/tooLarge(linesA:linesB:)`` when the differing middle parts exceed `maxCells`
    ///   (lines of A × lines of B).
    public static func diff(_ a: String, _ b: String, labelA: String, labelB: String, context: Int = 3,
                            maxCells: Int = 4_000_000) throws(Omission) -> String {
        if a == b { return "" }
        let linesA = splitLines(a)
        let linesB = splitLines(b)
        let edits = try editScript(linesA, linesB, maxCells: maxCells)
        var out = "--- \(labelA)\n+++ \(labelB)\n"
        // Group edits into hunks.
        var index = 0
        while index < edits.count {
            guard let firstChange = edits[index...].firstIndex(where: { if case .same = $0 { return false }; return true })
            else { break }
            var start = max(index, firstChange - context)
            if start < index { start = index }
            var end = firstChange
            var lastChange = firstChange
            while end < edits.count {
                if case .same = edits[end] {
                    if end - lastChange > 2 * context { break }
                } else {
                    lastChange = end
                }
                end += 1
            }
            let hunkEnd = min(edits.count, lastChange + context + 1)
            let hunk = edits[start..<hunkEnd]
            var aStart = 0, aCount = 0, bStart = 0, bCount = 0
            var firstA: Int?, firstB: Int?
            var body = ""
            for edit in hunk {
                switch edit {
                case .same(let i, let j):
                    if firstA == nil { firstA = i }
                    if firstB == nil { firstB = j }
                    aCount += 1
                    bCount += 1
                    body += " " + linesA[i].text + (linesA[i].newline ? "\n" : "\n\\ No newline at end of file\n")
                case .delete(let i):
                    if firstA == nil { firstA = i }
                    aCount += 1
                    body += "-" + linesA[i].text + (linesA[i].newline ? "\n" : "\n\\ No newline at end of file\n")
                case .insert(let j):
                    if firstB == nil { firstB = j }
                    bCount += 1
                    body += "+" + linesB[j].text + (linesB[j].newline ? "\n" : "\n\\ No newline at end of file\n")
                }
            }
            // Line numbers are 1-based; an empty range names the line before it.
            aStart = firstA.map { $0 + 1 } ?? positionInA(edits, before: start)
            bStart = firstB.map { $0 + 1 } ?? positionInB(edits, before: start)
            if aCount == 0 { aStart -= 1 }
            if bCount == 0 { bStart -= 1 }
            out += "@@ -\(range(aStart, aCount)) +\(range(bStart, bCount)) @@\n" + body
            index = hunkEnd
        }
        return out
    }

    private static func range(_ start: Int, _ count: Int) -> String {
        count == 1 ? "\(start)" : "\(start),\(count)"
    }

    /// The 1-based line number on side A before `edits[index]`.
    private static func positionInA(_ edits: [Edit], before index: Int) -> Int {
        position(edits, before: index) { if case .insert = $0 { return false } else { return true } }
    }

    /// The 1-based line number on side B before `edits[index]`.
    private static func positionInB(_ edits: [Edit], before index: Int) -> Int {
        position(edits, before: index) { if case .delete = $0 { return false } else { return true } }
    }

    /// 1 + the edits before `index` that hold a line of the side `onSide` picks.
    private static func position(_ edits: [Edit], before index: Int, onSide: (Edit) -> Bool) -> Int {
        edits[..<index].reduce(1) { $0 + (onSide($1) ? 1 : 0) }
    }

    struct Line: Equatable {
        var text: String
        var newline: Bool
    }

    static func splitLines(_ s: String) -> [Line] {
        var lines: [Line] = []
        var current = Substring(s)
        while let nl = current.firstIndex(of: "\n") {
            lines.append(Line(text: String(current[..<nl]), newline: true))
            current = current[current.index(after: nl)...]
        }
        if !current.isEmpty { lines.append(Line(text: String(current), newline: false)) }
        return lines
    }

    /// LCS edit script after trimming the common prefix and suffix.
    private static func editScript(_ a: [Line], _ b: [Line], maxCells: Int) throws(Omission) -> [Edit] {
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix,
              a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        let midA = Array(a[prefix..<(a.count - suffix)])
        let midB = Array(b[prefix..<(b.count - suffix)])
        let n = midA.count, m = midB.count
        guard n * m <= maxCells, n < Int(UInt16.max), m < Int(UInt16.max) else {
            throw .tooLarge(linesA: a.count, linesB: b.count)
        }
        var edits: [Edit] = (0..<prefix).map { .same($0, $0) }
        if n == 0 || m == 0 {
            edits += (0..<n).map { .delete(prefix + $0) }
            edits += (0..<m).map { .insert(prefix + $0) }
        } else {
            // lcs[i][j] = LCS length of midA[i...] and midB[j...].
            let width = m + 1
            var lcs = [UInt16](repeating: 0, count: (n + 1) * width)
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    lcs[i * width + j] = midA[i] == midB[j]
                        ? lcs[(i + 1) * width + j + 1] + 1
                        : max(lcs[(i + 1) * width + j], lcs[i * width + j + 1])
                }
            }
            var i = 0, j = 0
            while i < n || j < m {
                if i < n, j < m, midA[i] == midB[j] {
                    edits.append(.same(prefix + i, prefix + j)); i += 1; j += 1
                } else if j < m, i == n || lcs[i * width + j + 1] >= lcs[(i + 1) * width + j] {
                    edits.append(.insert(prefix + j)); j += 1
                } else {
                    edits.append(.delete(prefix + i)); i += 1
                }
            }
            // Prefer deletions before insertions within a change block (as diff -u does).
            edits = reorderChangeBlocks(edits)
        }
        edits += (0..<suffix).map { .same(a.count - suffix + $0, b.count - suffix + $0) }
        return edits
    }

    private static func reorderChangeBlocks(_ edits: [Edit]) -> [Edit] {
        var result: [Edit] = []
        var deletes: [Edit] = []
        var inserts: [Edit] = []
        func flush() {
            result += deletes + inserts
            deletes = []
            inserts = []
        }
        for edit in edits {
            switch edit {
            case .same: flush(); result.append(edit)
            case .delete: deletes.append(edit)
            case .insert: inserts.append(edit)
            }
        }
        flush()
        return result
    }
}
