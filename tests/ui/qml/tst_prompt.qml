import QtQuick
import QtTest
import Atelier

// The prompt editor's logic: A1111's token counter and its Ctrl+Up/Down emphasis editing.
TestCase {
    name: "Prompt"

    function test_token_counter_data() {
        return [
            { tag: "empty", prompt: "", expected: "0/75" },
            { tag: "words", prompt: "a photo of a cat", expected: "5/75" },
            { tag: "emphasis is not counted", prompt: "a (photo:1.3) of a [cat]", expected: "5/75" },
            { tag: "second chunk", prompt: Array(80).fill("cat").join(" "), expected: "80/150" },
            { tag: "BREAK pads to a new chunk", prompt: "a cat BREAK a dog", expected: "77/150" },
            { tag: "network tags are not text", prompt: "a cat <lora:ink:0.8>, <hypernet:x:1>", expected: "3/75" },
            // tinystyle is 2 BPE ids as a word, 3 vectors as an embedding.
            { tag: "a word without embeddings", prompt: "tinystyle, a cat", expected: "5/75" },
            { tag: "an embedding counts its vectors", prompt: "tinystyle, a cat", embeddings: { tinystyle: 3 }, expected: "6/75" },
            { tag: "an embedding in emphasis", prompt: "a (tinystyle:1.2) cat", embeddings: { tinystyle: 3 }, expected: "5/75" },
            // The first chunk closes early and counts as its 75, as A1111 counts it.
            { tag: "an embedding does not straddle chunks", prompt: Array(74).fill("cat").join(" ") + " tinystyle",
              embeddings: { tinystyle: 3 }, expected: "78/150" },
        ]
    }
    function test_token_counter(data) { compare(Prompts.tokenCounter(data.prompt, data.embeddings ?? {}), data.expected) }

    function test_token_counter_reports_parse_errors() {
        verify(Prompts.tokenCounter("(cat:1.2.3)").startsWith("?/75"))
    }

    function emphasis(text, start, end, up) { return Prompts.adjustEmphasis(text, start, end, up) }

    function test_emphasis_data() {
        return [
            { tag: "selection up", text: "a cat", start: 2, end: 5, up: true, expected: "a (cat:1.1)", selStart: 3, selEnd: 6 },
            { tag: "selection down", text: "a cat", start: 2, end: 5, up: false, expected: "a (cat:0.9)", selStart: 3, selEnd: 6 },
            { tag: "word under cursor", text: "a dog, a cat", start: 3, end: 3, up: true, expected: "a (dog:1.1), a cat", selStart: 3, selEnd: 6 },
            { tag: "inside a weight", text: "a (cat:1.1)", start: 4, end: 4, up: true, expected: "a (cat:1.2)", selStart: 3, selEnd: 6 },
            { tag: "back to 1 drops brackets", text: "a (cat:1.1)", start: 3, end: 6, up: false, expected: "a cat", selStart: 2, selEnd: 5 },
            { tag: "old-style nesting", text: "((cat))", start: 3, end: 3, up: true, expected: "(cat:1.3)", selStart: 1, selEnd: 4 },
            { tag: "trailing space not wrapped", text: "big cat ", start: 4, end: 8, up: true, expected: "big (cat:1.1) ", selStart: 5, selEnd: 8 },
            { tag: "lora steps by 0.05", text: "<lora:x:0.5>", start: 2, end: 2, up: true, expected: "<lora:x:0.55>", selStart: 1, selEnd: 7 },
            { tag: "the tag under the cursor", text: "<lora:a:1> <lora:b:0.8>", start: 14, end: 14, up: false, expected: "<lora:a:1> <lora:b:0.75>", selStart: 12, selEnd: 18 },
            { tag: "a tag's weight back at 1 stays", text: "a <lora:x:0.95>", start: 5, end: 5, up: true, expected: "a <lora:x:1.0>", selStart: 3, selEnd: 9 },
            { tag: "a tag without weight is left", text: "<lora:x>", start: 3, end: 3, up: true, expected: "<lora:x>", selStart: 3, selEnd: 3 },
            { tag: "multi-word selection", text: "red hat", start: 0, end: 7, up: true, expected: "(red hat:1.1)", selStart: 1, selEnd: 8 },
        ]
    }
    function test_emphasis(data) {
        const edit = emphasis(data.text, data.start, data.end, data.up)
        compare(edit.text, data.expected)
        compare(edit.selectionStart, data.selStart)
        compare(edit.selectionEnd, data.selEnd)
    }

    function test_emphasis_round_trip() {
        let edit = emphasis("a cat", 2, 5, true)
        edit = emphasis(edit.text, edit.selectionStart, edit.selectionEnd, true)
        compare(edit.text, "a (cat:1.2)")
        edit = emphasis(edit.text, edit.selectionStart, edit.selectionEnd, false)
        edit = emphasis(edit.text, edit.selectionStart, edit.selectionEnd, false)
        compare(edit.text, "a cat")
    }

    function test_emphasis_on_nothing_leaves_text() {
        compare(emphasis("   ", 1, 1, true).text, "   ")
    }
}
