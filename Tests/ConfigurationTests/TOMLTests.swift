@testable import Configuration
import Foundation
import Testing
import TestSupport
import Watch

/// The JSON text `TOML.jsonData` makes of `toml` (keys in file order, so comparisons are exact).
private func json(_ toml: String) throws -> String {
    String(decoding: try TOML.jsonData(from: Data(toml.utf8), file: "t.toml"), as: UTF8.self)
}

/// The error `TOML.jsonData` throws for `toml`.
private func failure(_ toml: String, sourceLocation: SourceLocation = #_sourceLocation) -> TOMLError? {
    do {
        let out = try json(toml)
        Issue.record("accepted: \(out)", sourceLocation: sourceLocation)
        return nil
    } catch let error as TOMLError {
        return error
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Expects `toml` to fail at `line`:`column` with a message containing `text`.
private func expectFailure(_ toml: String, line: Int, column: Int, _ text: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
    guard let error = failure(toml, sourceLocation: sourceLocation) else { return }
    #expect(error.file == "t.toml", sourceLocation: sourceLocation)
    #expect(error.line == line && error.column == column, "\(error)", sourceLocation: sourceLocation)
    #expect(error.message.contains(text), "\(error)", sourceLocation: sourceLocation)
}

@Suite("TOML 1.0 reader: the specification's examples")
struct TOMLSpecificationExampleTests {
    @Test func theFrontPageExample() throws {
        let toml = #"""
        # This is a TOML document

        title = "TOML Example"

        [owner]
        name = "Tom Preston-Werner"
        dob = 1979-05-27T07:32:00-08:00

        [database]
        enabled = true
        ports = [ 8000, 8001, 8002 ]
        data = [ ["delta", "phi"], [3.14] ]
        temp_targets = { cpu = 79.5, case = 72.0 }

        [servers]

        [servers.alpha]
        ip = "10.0.0.1"
        role = "frontend"

        [servers.beta]
        ip = "10.0.0.2"
        role = "backend"
        """#
        #expect(try json(toml) == #"{"title":"TOML Example","owner":{"name":"Tom Preston-Werner","dob":"1979-05-27T07:32:00-08:00"},"#
            + #""database":{"enabled":true,"ports":[8000,8001,8002],"data":[["delta","phi"],[3.14]],"temp_targets":{"cpu":79.5,"case":72.0}},"#
            + #""servers":{"alpha":{"ip":"10.0.0.1","role":"frontend"},"beta":{"ip":"10.0.0.2","role":"backend"}}}"#)
    }

    @Test func keys() throws {
        #expect(try json("""
            key = "value"
            bare_key = "value"
            bare-key = "value"
            1234 = "value"
            """) == #"{"key":"value","bare_key":"value","bare-key":"value","1234":"value"}"#)
        #expect(try json(#"""
            "127.0.0.1" = "value"
            "character encoding" = "value"
            "ʎǝʞ" = "value"
            'key2' = "value"
            'quoted "value"' = "value"
            "" = "blank"
            """#) == #"{"127.0.0.1":"value","character encoding":"value","ʎǝʞ":"value","key2":"value","quoted \"value\"":"value","":"blank"}"#)
        #expect(try json(#"""
            name = "Orange"
            physical.color = "orange"
            physical.shape = "round"
            site."google.com" = true
            fruit.name = "banana"     # this is best practice
            fruit. color = "yellow"    # same as fruit.color
            fruit . flavor = "banana"   # same as fruit.flavor
            3.14159 = "pi"
            """#) == #"{"name":"Orange","physical":{"color":"orange","shape":"round"},"site":{"google.com":true},"#
                + #""fruit":{"name":"banana","color":"yellow","flavor":"banana"},"3":{"14159":"pi"}}"#)
        // Out-of-order dotted keys are valid (discouraged).
        #expect(try json("""
            apple.type = "fruit"
            orange.type = "fruit"
            apple.skin = "thin"
            """) == #"{"apple":{"type":"fruit","skin":"thin"},"orange":{"type":"fruit"}}"#)
    }

    @Test func strings() throws {
        #expect(try json(#"""
            str = "I'm a string. \"You can quote me\". Name\tJos\u00E9\nLocation\tSF."
            esc = "\b\f\r\\\U0001F600"
            """#) == #"{"str":"I'm a string. \"You can quote me\". Name\u0009José\u000aLocation\u0009SF.","esc":"\u0008\u000c\u000d\\😀"}"#)
        let multiline = #"""
            str1 = """
            Roses are red
            Violets are blue"""
            str2 = """
            The quick brown \


              fox jumps over \
                the lazy dog."""
            str3 = """\
                   The quick brown \
                   fox jumps over \
                   the lazy dog.\
                   """
            str4 = """Here are two quotation marks: "". Simple enough."""
            str5 = """Here are three quotation marks: ""\"."""
            str6 = """Here are fifteen quotation marks: ""\"""\"""\"""\"""\"."""
            str7 = """"This," she said, "is just a pointless statement.""""
            """#
        #expect(try json(multiline) == #"{"str1":"Roses are red\u000aViolets are blue","#
            + #""str2":"The quick brown fox jumps over the lazy dog.","str3":"The quick brown fox jumps over the lazy dog.","#
            + #""str4":"Here are two quotation marks: \"\". Simple enough.","str5":"Here are three quotation marks: \"\"\".","#
            + #""str6":"Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\".","#
            + #""str7":"\"This,\" she said, \"is just a pointless statement.\""}"#)
        let literal = #"""
            winpath  = 'C:\Users\nodejs\templates'
            winpath2 = '\\ServerX\admin$\system32\'
            quoted   = 'Tom "Dubs" Preston-Werner'
            regex    = '<\i\c*\s*>'
            regex2 = '''I [dw]on't need \d{2} apples'''
            lines  = '''
            The first newline is
            trimmed in raw strings.
               All other whitespace
               is preserved.
            '''
            quot15 = '''Here are fifteen quotation marks: """""""""""""""'''
            apos15 = "Here are fifteen apostrophes: '''''''''''''''"
            str = ''''That,' she said, 'She said it.''''
            """#
        #expect(try json(literal) == #"{"winpath":"C:\\Users\\nodejs\\templates","winpath2":"\\\\ServerX\\admin$\\system32\\","#
            + #""quoted":"Tom \"Dubs\" Preston-Werner","regex":"<\\i\\c*\\s*>","regex2":"I [dw]on't need \\d{2} apples","#
            + #""lines":"The first newline is\u000atrimmed in raw strings.\u000a   All other whitespace\u000a   is preserved.\u000a","#
            + #""quot15":"Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\"","#
            + #""apos15":"Here are fifteen apostrophes: '''''''''''''''","str":"'That,' she said, 'She said it.'"}"#)
        // CRLF line endings are newlines.
        #expect(try json("a = \"\"\"\r\nx\r\ny\"\"\"\r\nb = 1\r\n") == #"{"a":"x\u000d\u000ay","b":1}"#)
    }

    @Test func integersFloatsBooleans() throws {
        #expect(try json("""
            int1 = +99
            int2 = 42
            int3 = 0
            int4 = -17
            int5 = 1_000
            int6 = 5_349_221
            int7 = 53_49_221
            int8 = 1_2_3_4_5
            hex1 = 0xDEADBEEF
            hex2 = 0xdeadbeef
            hex3 = 0xdead_beef
            oct1 = 0o01234567
            oct2 = 0o755
            bin1 = 0b11010110
            max = 9_223_372_036_854_775_807
            min = -9223372036854775808
            zeros = [+0, -0]
            """) == #"{"int1":99,"int2":42,"int3":0,"int4":-17,"int5":1000,"int6":5349221,"int7":5349221,"int8":12345,"#
                + #""hex1":3735928559,"hex2":3735928559,"hex3":3735928559,"oct1":342391,"oct2":493,"bin1":214,"#
                + #""max":9223372036854775807,"min":-9223372036854775808,"zeros":[0,0]}"#)
        let floats = try JSONSerialization.jsonObject(with: TOML.jsonData(from: Data("""
            flt1 = +1.0
            flt2 = 3.1415
            flt3 = -0.01
            flt4 = 5e+22
            flt5 = 1e06
            flt6 = -2E-2
            flt7 = 6.626e-34
            flt8 = 224_617.445_991_228
            flt9 = -0.0
            """.utf8))) as? [String: Double]
        #expect(floats == ["flt1": 1.0, "flt2": 3.1415, "flt3": -0.01, "flt4": 5e22, "flt5": 1e6, "flt6": -0.02,
                           "flt7": 6.626e-34, "flt8": 224617.445991228, "flt9": -0.0])
        #expect(try json("bool1 = true\nbool2 = false") == #"{"bool1":true,"bool2":false}"#)
    }

    @Test func datesAndTimesKeepTheirText() throws {
        #expect(try json("""
            odt1 = 1979-05-27T07:32:00Z
            odt2 = 1979-05-27T00:32:00-07:00
            odt3 = 1979-05-27T00:32:00.999999-07:00
            odt4 = 1979-05-27 07:32:00Z
            ldt1 = 1979-05-27T07:32:00
            ldt2 = 1979-05-27t00:32:00.999999
            ld1 = 1979-05-27
            lt1 = 07:32:00
            lt2 = 00:32:00.999999
            leap = 2024-02-29
            """) == #"{"odt1":"1979-05-27T07:32:00Z","odt2":"1979-05-27T00:32:00-07:00","odt3":"1979-05-27T00:32:00.999999-07:00","#
                + #""odt4":"1979-05-27T07:32:00Z","ldt1":"1979-05-27T07:32:00","ldt2":"1979-05-27T00:32:00.999999","#
                + #""ld1":"1979-05-27","lt1":"07:32:00","lt2":"00:32:00.999999","leap":"2024-02-29"}"#)
    }

    @Test func arrays() throws {
        #expect(try json(#"""
            integers = [ 1, 2, 3 ]
            colors = [ "red", "yellow", "green" ]
            nested_arrays_of_ints = [ [ 1, 2 ], [3, 4, 5] ]
            nested_mixed_array = [ [ 1, 2 ], ["a", "b", "c"] ]
            string_array = [ "all", 'strings', """are the same""", '''type''' ]
            numbers = [ 0.1, 0.2, 0.5, 1, 2, 5 ]
            contributors = [
              "Foo Bar <foo@example.com>",
              { name = "Baz Qux", email = "bazqux@example.com", url = "https://example.com/bazqux" }
            ]
            integers2 = [
              1, 2, 3
            ]
            integers3 = [
              1,
              2, # this is ok
            ]
            empty = [ ]
            """#) == #"{"integers":[1,2,3],"colors":["red","yellow","green"],"nested_arrays_of_ints":[[1,2],[3,4,5]],"#
                + #""nested_mixed_array":[[1,2],["a","b","c"]],"string_array":["all","strings","are the same","type"],"#
                + #""numbers":[0.1,0.2,0.5,1,2,5],"contributors":["Foo Bar <foo@example.com>",{"name":"Baz Qux","email":"bazqux@example.com","url":"https://example.com/bazqux"}],"#
                + #""integers2":[1,2,3],"integers3":[1,2],"empty":[]}"#)
    }

    @Test func tables() throws {
        #expect(try json(#"""
            [table-1]
            key1 = "some string"
            key2 = 123

            [table-2]
            key1 = "another string"
            key2 = 456

            [dog."tater.man"]
            type.name = "pug"

            [a.b.c]            # this is best practice
            [ d.e.f ]          # same as [d.e.f]
            [ g .  h  . i ]    # same as [g.h.i]
            [ j . "ʞ" . 'l' ]  # same as [j."ʞ".'l']
            """#) == #"{"table-1":{"key1":"some string","key2":123},"table-2":{"key1":"another string","key2":456},"#
                + #""dog":{"tater.man":{"type":{"name":"pug"}}},"a":{"b":{"c":{}}},"d":{"e":{"f":{}}},"g":{"h":{"i":{}}},"j":{"ʞ":{"l":{}}}}"#)
        // Super-tables are implicit and may be defined later, once.
        #expect(try json("[x.y.z.w]\n[x]\nk = 1") == #"{"x":{"y":{"z":{"w":{}}},"k":1}}"#)
        // Headers may add sub-tables to a table defined by dotted keys.
        #expect(try json("""
            [fruit]
            apple.color = "red"
            apple.taste.sweet = true

            [fruit.apple.texture]  # you can add sub-tables
            smooth = true
            """) == #"{"fruit":{"apple":{"color":"red","taste":{"sweet":true},"texture":{"smooth":true}}}}"#)
        #expect(try json(#"""
            name = { first = "Tom", last = "Preston-Werner" }
            point = { x = 1, y = 2 }
            animal = { type.name = "pug" }
            empty = {}
            """#) == #"{"name":{"first":"Tom","last":"Preston-Werner"},"point":{"x":1,"y":2},"animal":{"type":{"name":"pug"}},"empty":{}}"#)
    }

    @Test func arraysOfTables() throws {
        #expect(try json(#"""
            [[products]]
            name = "Hammer"
            sku = 738594937

            [[products]]  # empty table within the array

            [[products]]
            name = "Nail"
            sku = 284758393

            color = "gray"
            """#) == #"{"products":[{"name":"Hammer","sku":738594937},{},{"name":"Nail","sku":284758393,"color":"gray"}]}"#)
        #expect(try json(#"""
            [[fruits]]
            name = "apple"

            [fruits.physical]  # subtable
            color = "red"
            shape = "round"

            [[fruits.varieties]]  # nested array of tables
            name = "red delicious"

            [[fruits.varieties]]
            name = "granny smith"


            [[fruits]]
            name = "banana"

            [[fruits.varieties]]
            name = "plantain"
            """#) == #"{"fruits":[{"name":"apple","physical":{"color":"red","shape":"round"},"#
                + #""varieties":[{"name":"red delicious"},{"name":"granny smith"}]},{"name":"banana","varieties":[{"name":"plantain"}]}]}"#)
        #expect(try json(#"""
            points = [ { x = 1, y = 2, z = 3 },
                       { x = 7, y = 8, z = 9 },
                       { x = 2, y = 4, z = 8 } ]
            """#) == #"{"points":[{"x":1,"y":2,"z":3},{"x":7,"y":8,"z":9},{"x":2,"y":4,"z":8}]}"#)
    }
}

@Suite("TOML 1.0 reader: errors name the line, the column and the problem")
struct TOMLErrorTests {
    @Test func duplicateKeys() {
        expectFailure("name = \"Tom\"\nname = \"Pradyun\"", line: 2, column: 1, "duplicate key name (first defined on line 1)")
        expectFailure("spelling = \"favorite\"\n\"spelling\" = \"favourite\"", line: 2, column: 1, "duplicate key spelling")
        expectFailure("fruit.apple = 1\nfruit.apple.smooth = true", line: 2, column: 7, "fruit.apple is already defined (line 1)")
        expectFailure("[t]\na = { b = 1, b = 2 }", line: 2, column: 14, "duplicate key b")
    }

    @Test func redefinedTables() {
        expectFailure("[fruit]\napple = \"red\"\n\n[fruit]\norange = \"orange\"", line: 4, column: 1,
                      "table [fruit] is defined twice (first on line 1)")
        expectFailure("[fruit]\napple = \"red\"\n\n[fruit.apple]\ntexture = \"smooth\"", line: 4, column: 1,
                      "table [fruit.apple] is already a value (line 2)")
        expectFailure("[fruit]\napple.color = \"red\"\n\n[fruit.apple]", line: 4, column: 1,
                      "table [fruit.apple] is already defined by dotted keys (line 2)")
        expectFailure("[x.y]\n[x.y]", line: 2, column: 1, "defined twice")
        expectFailure("a.b = 1\n[a]", line: 2, column: 1, "table [a] is already defined by dotted keys (line 1)")
        expectFailure("[[a]]\nb.c = 1\n[a.b]", line: 3, column: 1, "already defined by dotted keys")
        expectFailure("[a.b.c]\nz = 9\n[a]\nb.c.t = 1", line: 4, column: 1, "b is already defined as a table")
        // Arrays of tables and tables do not mix.
        expectFailure("fruits = []\n\n[[fruits]]", line: 3, column: 1, "a static array cannot be extended")
        expectFailure("[[fruits]]\nname = \"apple\"\n[fruits]", line: 3, column: 1, "already an array of tables")
        expectFailure("[fruit.physical]\ncolor = \"red\"\n[[fruit]]", line: 3, column: 1, "not an array of tables")
        expectFailure("[[fruits]]\n[fruits.varieties]\n[[fruits.varieties]]", line: 3, column: 1, "not an array of tables")
    }

    @Test func inlineTablesAreComplete() {
        expectFailure("[product]\ntype = { name = \"Nail\" }\ntype.edible = false", line: 3, column: 1,
                      "type is an inline table (line 2), which cannot be extended")
        expectFailure("[product]\ntype.name = \"Nail\"\ntype = { edible = false }", line: 3, column: 1, "duplicate key type")
        expectFailure("a = { b = 1 }\n[a.c]", line: 2, column: 2, "a is an inline table")
        expectFailure("a = { b = 1 }\n[a]", line: 2, column: 1, "already defined as an inline table")
        expectFailure("a = { b = { c = 1 }, b.d = 2 }", line: 1, column: 22, "b is an inline table")
        expectFailure("a = { b = 1, }", line: 1, column: 14, "trailing comma")
        expectFailure("a = { b = 1\n}", line: 1, column: 12, "on one line")
    }

    @Test func badEscapesAndControlCharacters() {
        expectFailure(#"s = "a\qb""#, line: 1, column: 7, #"invalid escape sequence "\q""#)
        expectFailure("a = 1\ns = \"x\\u12\"", line: 2, column: 7, "needs 4 hexadecimal digits")
        expectFailure(#"s = "\uD800""#, line: 1, column: 6, "not a Unicode scalar value")
        expectFailure(#"s = "\U00110000""#, line: 1, column: 6, "not a Unicode scalar value")
        expectFailure(#"s = """a \x""""#, line: 1, column: 10, "invalid escape sequence")
        expectFailure("s = \"a\u{7}b\"", line: 1, column: 7, "must be escaped")
        expectFailure("s = 'a\u{0}b'", line: 1, column: 7, "not allowed in a literal string")
        expectFailure("a = 1 # bell \u{7}", line: 1, column: 14, "not allowed in a comment")
    }

    @Test func unterminatedStrings() {
        expectFailure("a = 1\ns = \"abc\nb = 2", line: 2, column: 5, "unterminated string")
        expectFailure("s = 'abc", line: 1, column: 5, "unterminated string")
        expectFailure("x = 1\ns = \"\"\"abc\n\nmore", line: 2, column: 5, "unterminated multi-line string")
        expectFailure("s = '''abc", line: 1, column: 5, "unterminated multi-line string")
        expectFailure("\"key = 1", line: 1, column: 1, "unterminated string")
    }

    @Test func badNumbers() {
        expectFailure("a = 1\nx = 01", line: 2, column: 5, "leading zeros")
        expectFailure("x = 1__000", line: 1, column: 5, "underscore")
        expectFailure("x = _1", line: 1, column: 5, "strings must be quoted")
        expectFailure("x = 1_", line: 1, column: 5, "underscore")
        expectFailure("x = 9223372036854775808", line: 1, column: 5, "64-bit integer range")
        expectFailure("x = 0x1_0000_0000_0000_0000", line: 1, column: 5, "64-bit integer range")
        expectFailure("x = 0o8", line: 1, column: 5, "not a base-8 digit")
        expectFailure("x = +0x1", line: 1, column: 5, "invalid number")
        expectFailure("x = 1.", line: 1, column: 5, "digits expected")
        expectFailure("x = .7", line: 1, column: 5, "strings must be quoted")
        expectFailure("x = 3.e+20", line: 1, column: 5, "digits expected")
        expectFailure("x = 1e", line: 1, column: 5, "digits expected")
        expectFailure("x = 1e400", line: 1, column: 5, "finite")
        expectFailure("x = nan", line: 1, column: 5, "no JSON equivalent")
        expectFailure("x = -inf", line: 1, column: 5, "no JSON equivalent")
        expectFailure("x = 1979-02-29", line: 1, column: 5, "invalid date")
        expectFailure("x = 1979-05-27T25:00:00Z", line: 1, column: 5, "invalid date")
        expectFailure("x = 1979-05-27T07:32Z", line: 1, column: 5, "invalid date")
    }

    @Test func otherSyntax() {
        expectFailure("key = # INVALID", line: 1, column: 7, "expected a value")
        expectFailure("first = \"Tom\" last = \"Preston-Werner\"", line: 1, column: 15, "expected a newline")
        expectFailure("= \"no key name\"", line: 1, column: 1, "expected a key")
        expectFailure("key\n= 1", line: 1, column: 4, "expected \"=\"")
        expectFailure("x = [1,,2]", line: 1, column: 8, "expected a value")
        expectFailure("x = [1 2]", line: 1, column: 8, "expected \",\" or \"]\"")
        expectFailure("x = tru", line: 1, column: 5, "strings must be quoted")
        expectFailure("[a]]\n", line: 1, column: 4, "expected a newline")
        expectFailure("[[a]\n", line: 1, column: 5, "\"]]\"")
        expectFailure("[a\nb = 1", line: 1, column: 3, "expected \"]\"")
        expectFailure("a = \"\"\"x\"\"\"\"\"\"", line: 1, column: 14, "expected a newline")
        expectFailure("a = 1\rb = 2", line: 1, column: 6, "carriage return")
    }

    @Test func invalidUTF8IsRejected() throws {
        #expect(throws: TOMLError.self) { try TOML.jsonData(from: Data([0x61, 0x20, 0x3D, 0x20, 0x22, 0xFF, 0x22])) }
    }

    @Test func columnsCountCharactersNotBytes() {
        expectFailure("\"ключ\" = \"é\" x", line: 1, column: 14, "expected a newline")
        expectFailure("ключ = 1", line: 1, column: 1, "expected a key")
    }
}

@Suite("TOML 1.0 reader: hostile input is bounded")
struct TOMLBoundsTests {
    private func expectFastFailure(_ toml: String, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            guard let error = failure(toml, sourceLocation: sourceLocation) else { return }
            #expect(error.message.contains(text), "\(error)", sourceLocation: sourceLocation)
        }
        #expect(elapsed < .seconds(5), "\(elapsed)", sourceLocation: sourceLocation)
    }

    @Test func nestingBombsFailFast() {
        let n = 200_000
        expectFastFailure("a = " + String(repeating: "[", count: n), "nested more than 64 deep")
        expectFastFailure("a = " + String(repeating: "{b=", count: n), "nested more than 64 deep")
        expectFastFailure(String(repeating: "a.", count: n) + "a = 1", "more than 64 parts")
        expectFastFailure("[" + String(repeating: "a.", count: n) + "a]", "more than 64 parts")
        // Depth adds up across headers, dotted keys and inline values.
        let deepKey = Array(repeating: "k", count: 40).joined(separator: ".")
        expectFastFailure("[\(deepKey)]\n\(deepKey) = 1", "nested more than 64 deep")
        expectFastFailure("\(deepKey) = { \(deepKey) = 1 }", "nested more than 64 deep")
        expectFastFailure("a = " + String(repeating: "[{b=", count: 40), "nested more than 64 deep")
        // The limit itself is accepted.
        #expect((try? json("a = " + String(repeating: "[", count: 63) + String(repeating: "]", count: 63))) != nil)
    }

    @Test func largeDocumentsParseInLinearTime() throws {
        let clock = ContinuousClock()
        let count = 20_000
        var text = ""
        for i in 0..<count { text += "[[t]]\nk\(i % 7) = \"\(i)\"\n" }
        var data = Data()
        let elapsed = try clock.measure { data = try TOML.jsonData(from: Data(text.utf8)) }
        #expect(elapsed < .seconds(10), "\(elapsed)")
        let object = try JSONSerialization.jsonObject(with: data) as? [String: [Any]]
        #expect(object?["t"]?.count == count)
    }
}

@Suite("TOML policy and watch files")
struct TOMLDocumentTests {
    static let examples = Fixtures.repositoryRoot.appendingPathComponent("docs/examples")

    /// The JSON value a file holds, `$comment` left out (TOML has `#` comments instead).
    static func jsonValue(_ url: URL) throws -> NSDictionary {
        var data = try Data(contentsOf: url)
        if url.pathExtension == "toml" { data = try TOML.jsonData(from: data, file: url.path) }
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return object.filter { $0.key != "$comment" } as NSDictionary
    }

    @Test func everyExamplePolicyHasAnEqualTOMLTwin() throws {
        let jsonFiles = try FileManager.default.contentsOfDirectory(at: Self.examples, includingPropertiesForKeys: nil)
            .filter { $0.lastPathComponent.hasSuffix(".policy.json") }
        #expect(jsonFiles.count >= 2)
        for jsonFile in jsonFiles {
            let tomlFile = jsonFile.deletingPathExtension().appendingPathExtension("toml")
            #expect(try Self.jsonValue(jsonFile) == Self.jsonValue(tomlFile), "\(tomlFile.lastPathComponent)")
            let fromJSON = try PolicyDocument.load(contentsOf: jsonFile)
            var fromTOML = try PolicyDocument.load(contentsOf: tomlFile)
            #expect(fromTOML.source == tomlFile.path)
            #expect(fromTOML.sha256 == SHA256Hex.of(try Data(contentsOf: tomlFile)))
            fromTOML.source = fromJSON.source
            fromTOML.sha256 = fromJSON.sha256
            #expect(fromTOML == fromJSON, "\(tomlFile.lastPathComponent)")
        }
    }

    @Test func theExampleWatchConfigurationHasAnEqualTOMLTwin() throws {
        let jsonFile = Self.examples.appendingPathComponent("watch.json")
        let tomlFile = Self.examples.appendingPathComponent("watch.toml")
        #expect(try Self.jsonValue(jsonFile) == Self.jsonValue(tomlFile))
        let fromTOML = try WatchConfiguration.load(contentsOf: tomlFile)
        #expect(fromTOML.packages == (try WatchConfiguration.load(contentsOf: jsonFile)).packages)
        #expect(fromTOML.packages.map(\.name) == ["gundam-visor", "@trishankatdatadog/supreme-goggles", "ms"])
        #expect(fromTOML.source == tomlFile.path)
    }

    @Test func formatIsChosenByExtensionThenByContent() {
        #expect(ConfigurationFormat.detect(path: "p.toml", data: Data("{}".utf8)) == .toml)
        #expect(ConfigurationFormat.detect(path: "P.JSON", data: Data("a = 1".utf8)) == .json)
        #expect(ConfigurationFormat.detect(path: "policy", data: Data(" \n\t{\"version\": 1}".utf8)) == .json)
        #expect(ConfigurationFormat.detect(path: "policy.conf", data: Data("# c\nversion = 1".utf8)) == .toml)
        #expect(ConfigurationFormat.detect(path: "policy", data: Data()) == .toml)
    }

    @Test func policyFilesOfEitherFormatLoadFromDisk() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-toml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let sniffedTOML = directory.appendingPathComponent("release-policy")
        try Data("provenance = \"required\"\nrefs = [\"refs/tags/v*\"]\n".utf8).write(to: sniffedTOML)
        let doc = try PolicyDocument.load(contentsOf: sniffedTOML)
        #expect(doc.provenance == .required && doc.refs == ["refs/tags/v*"])
        let sniffedJSON = directory.appendingPathComponent("other-policy")
        try Data(#"{"provenance": "optional"}"#.utf8).write(to: sniffedJSON)
        #expect(try PolicyDocument.load(contentsOf: sniffedJSON).provenance == .optional)

        // Field rules and their messages are the JSON ones; syntax errors name the line and column.
        let typo = directory.appendingPathComponent("typo.policy.toml")
        try Data("version = 1\nworkfow = \".github/workflows/x.yml\"\n".utf8).write(to: typo)
        #expect { try PolicyDocument.load(contentsOf: typo) } throws: {
            ($0 as? PolicyFileError)?.description.hasPrefix("policy \(typo.path): field \"workfow\": unknown field") == true
        }
        let badRef = directory.appendingPathComponent("ref.policy.toml")
        try Data("refs = [\"refs/tags/v*\", \"v*\"]\n".utf8).write(to: badRef)
        #expect { try PolicyDocument.load(contentsOf: badRef) } throws: {
            ($0 as? PolicyFileError)?.description == "policy \(badRef.path): field \"refs[1]\": \"v*\" must be a full ref glob starting with refs/ (e.g. refs/tags/v*)"
        }
        let broken = directory.appendingPathComponent("broken.policy.toml")
        try Data("version = 1\nprovenance = \"required\nrefs = []\n".utf8).write(to: broken)
        #expect { try PolicyDocument.load(contentsOf: broken) } throws: {
            ($0 as? PolicyFileError)?.description
                == "policy \(broken.path): not valid TOML: line 2, column 14: unterminated string: no closing \" before the end of the line"
        }
    }

    @Test func watchConfigurationErrorsNameTheFieldOrThePosition() throws {
        #expect {
            try WatchConfiguration.parse(Data("version = 1\n[[packages]]\nname = \"a\"\nrebuld = true\n".utf8), format: .toml, source: "w.toml")
        } throws: { ($0 as? WatchConfigurationError)?.field == "packages[0].rebuld" }
        #expect {
            try WatchConfiguration.parse(Data("version = 1\n[[packages]]\nname = \"a\"\nname = \"b\"\n".utf8), format: .toml, source: "w.toml")
        } throws: { ($0 as? WatchConfigurationError)?.description == "w.toml: not valid TOML: line 4, column 1: duplicate key name (first defined on line 3)" }
        let since = try WatchConfiguration.parse(Data("version = 1\npackages = [{ name = \"a\", versions = { since = 2026-01-01T00:00:00Z } }]\n".utf8),
                                                 format: .toml)
        #expect(since.packages[0].versions == .since(Date(timeIntervalSince1970: 1_767_225_600)))
    }
}
