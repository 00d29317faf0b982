import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier

// A multi-line prompt with A1111's token counter and keys: Ctrl+Up/Down change the emphasis
// of the selection (or the word under the cursor, or a `<lora:…>` tag's weight), Ctrl+Enter
// submits. Warnings about the prompt are listed under it.
ColumnLayout {
    id: editor
    property alias text: area.text
    property alias placeholder: area.placeholderText
    property string label
    property var embeddings: ({})  // word -> vectors, counted as A1111 counts them
    property var warnings: []      // lines shown under the text
    property alias accessory: accessoryLoader.sourceComponent  // beside the counter
    readonly property string counter: Prompts.tokenCounter(area.text, embeddings)
    signal submitted()

    // Puts `text` at the cursor, a space apart from the words around it.
    function insertAtCursor(text) {
        const at = area.cursorPosition
        const before = at > 0 && !/\s/.test(area.text.charAt(at - 1)) ? " " : ""
        const after = at < area.length && !/\s/.test(area.text.charAt(at)) ? " " : ""
        area.insert(at, before + text + after)
        area.cursorPosition = at + before.length + text.length
    }

    // Applies Ctrl+Up (increase) or Ctrl+Down to the editor's text and selection.
    function adjustEmphasis(increase) {
        const edit = Prompts.adjustEmphasis(area.text, area.selectionStart, area.selectionEnd, increase)
        if (edit.text === area.text) return
        area.text = edit.text
        area.select(edit.selectionStart, edit.selectionEnd)
    }

    spacing: 2
    RowLayout {
        Label { text: editor.label; font.bold: true; Layout.fillWidth: true }
        Label {
            objectName: "tokenCounter"
            text: editor.counter
            opacity: 0.7
            elide: Text.ElideRight
            Layout.maximumWidth: 240
        }
        Loader { id: accessoryLoader }
    }
    ScrollView {
        Layout.fillWidth: true
        Layout.preferredHeight: 96
        TextArea {
            id: area
            objectName: "textArea"
            wrapMode: TextEdit.Wrap
            selectByMouse: true
            Keys.onPressed: event => {
                if (!(event.modifiers & Qt.ControlModifier)) return
                if (event.key === Qt.Key_Up || event.key === Qt.Key_Down) {
                    editor.adjustEmphasis(event.key === Qt.Key_Up)
                    event.accepted = true
                } else if (event.key === Qt.Key_Return || event.key === Qt.Key_Enter) {
                    editor.submitted()
                    event.accepted = true
                }
            }
        }
    }
    Repeater {
        model: editor.warnings
        Label {
            required property string modelData
            objectName: "promptWarning"
            text: "⚠ " + modelData
            color: "#ff8a80"
            wrapMode: Text.Wrap
            Layout.fillWidth: true
        }
    }
}
