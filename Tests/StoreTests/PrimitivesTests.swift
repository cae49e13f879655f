// SHA-256 against the FIPS 180-4 examples; the JSON parser and writer; UTF-8 validation.
import Testing
@testable import Store

@Test func sha256MatchesFIPSVectors() {
    #expect(SHA256.hex(SHA256.hash("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(SHA256.hex(SHA256.hash("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(SHA256.hex(SHA256.hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    // A message exactly one block long after padding boundaries (55, 56, 64 bytes) must not crash or differ.
    let a1000 = String(repeating: "a", count: 1000)
    #expect(SHA256.hex(SHA256.hash(a1000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
}

@Test func tokenHashIsSHA256OfTheToken() {
    let t = Token.generate()
    #expect(t.count == 64)
    #expect(Token.hash(t) == SHA256.hash(t))
    #expect(Token.generate() != t)
}

@Test func jsonParsesNestedValuesEscapesAndSurrogatePairs() throws {
    let v = try JSONValue.parse(#" {"a": [1, -2.5e2, true, false, null], "s": "x\"\\\/\n\u00e9\ud83d\ude00"} "#)
    #expect(v["a"] == .array([.number(1), .number(-250), .bool(true), .bool(false), .null]))
    #expect(v["s"] == .string("x\"\\/\né😀"))
}

@Test(arguments: [
    ("{\"a\":1,}", "expected a string key"),
    ("{\"a\":1 \"b\":2}", "expected ',' or '}'"),
    ("{\"a\":1,\"a\":2}", "duplicate key"),
    ("[1,2", "unexpected end"),
    ("\"abc", "unterminated string"),
    ("\"a\u{01}b\"", "control character"),
    ("\"\\ud800\"", "unpaired surrogate"),
    ("01", "unexpected text after"),
    ("{} x", "unexpected text after"),
    ("tru", "unexpected"),
])
func jsonRejectsMalformedTextWithAReason(text: String, reason: String) {
    #expect {
        _ = try JSONValue.parse(text)
    } throws: { error in
        (error as? JSONError)?.message.contains(reason) == true
    }
}

@Test func jsonWriterEscapesControlsAndRoundTrips() throws {
    let original = JSONValue.object([("k", .string("a\"b\\c\n\t\u{01}é")), ("n", .number(3)), ("l", .array([.null, .bool(true)]))])
    let text = original.serialized
    #expect(text == #"{"k":"a\"b\\c\n\t\u0001é","n":3,"l":[null,true]}"#)
    #expect(try JSONValue.parse(text) == original)
}

@Test func utf8ValidationFindsOverlongsSurrogatesAndTruncation() {
    func check(_ bytes: [UInt8]) -> Int? { bytes.withUnsafeBufferPointer { UTF8Validation.firstInvalidOffset($0) } }
    #expect(check(Array("héllo 😀".utf8)) == nil)
    #expect(check([0x41, 0xC0, 0x80]) == 1)          // overlong NUL
    #expect(check([0xED, 0xA0, 0x80]) == 0)          // UTF-16 surrogate
    #expect(check([0x41, 0x42, 0xE2, 0x82]) == 2)    // truncated sequence
    #expect(check([0xF4, 0x90, 0x80, 0x80]) == 0)    // above U+10FFFF
    #expect(check([0xFF]) == 0)
}

@Test func hhTranscriptsSplitIntoTurns() {
    let turns = Conversation.parseHH("\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Bye")
    #expect(turns == [Message(role: "user", content: "Hi"), Message(role: "assistant", content: "Hello"), Message(role: "user", content: "Bye")])
    #expect(Conversation.hhText(turns!) == "\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Bye")
    #expect(Conversation.parseHH("no markers") == nil)
}
