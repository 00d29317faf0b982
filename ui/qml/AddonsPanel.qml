import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier

// The library's LoRA / LyCORIS networks and embeddings as cards (preview, name, family), with
// search: a click puts the card's text (`<lora:NAME:1>` or the embedding's word) in the prompt.
// A card made for another family than the chosen model's says so.
ColumnLayout {
    id: panel
    required property AddonCatalog catalog
    signal chosen(string text)

    spacing: 6
    Connections { target: panel.catalog; function onRowsChanged() { kinds.showKind() } }
    RowLayout {
        Layout.fillWidth: true
        TabBar {
            id: kinds
            objectName: "addonKinds"
            // The tab bar sets its index as its buttons are added, so it follows the kind by hand.
            function showKind() { currentIndex = panel.catalog.kind === "embedding" ? 1 : 0 }
            Component.onCompleted: showKind()
            TabButton { text: qsTr("LoRA"); width: implicitWidth; onClicked: panel.catalog.kind = "lora" }
            TabButton { text: qsTr("Embeddings"); width: implicitWidth; onClicked: panel.catalog.kind = "embedding" }
        }
        TextField {
            objectName: "addonSearch"
            Layout.fillWidth: true
            placeholderText: qsTr("Search…")
            text: panel.catalog.search
            onTextEdited: panel.catalog.search = text
        }
    }
    Label {
        visible: panel.catalog.count === 0
        text: panel.catalog.refreshing ? qsTr("Reading the library…")
            : panel.catalog.search !== "" ? qsTr("Nothing matches “%1”").arg(panel.catalog.search)
            : kinds.currentIndex === 0 ? qsTr("No LoRA in the library: put them in a library folder's loras (A1111: models/Lora)")
            : qsTr("No embedding in the library: put them in a library folder's embeddings")
        wrapMode: Text.Wrap
        opacity: 0.7
        Layout.fillWidth: true
    }
    GridView {
        id: grid
        objectName: "addonGrid"
        Layout.fillWidth: true
        Layout.preferredHeight: 300
        visible: panel.catalog.count > 0
        clip: true
        cellWidth: 112
        cellHeight: 164
        model: panel.catalog
        ScrollBar.vertical: ScrollBar {}
        delegate: ItemDelegate {
            id: card
            required property string name
            required property string family
            required property url preview
            required property string insertText
            required property string warning
            required property string problem
            width: grid.cellWidth - 6
            height: grid.cellHeight - 6
            padding: 4
            onClicked: panel.chosen(insertText)
            ToolTip.text: problem !== "" ? problem : warning !== "" ? warning : insertText
            ToolTip.visible: hovered
            contentItem: ColumnLayout {
                spacing: 2
                Rectangle {
                    Layout.fillWidth: true
                    Layout.preferredHeight: 96
                    color: "#33808080"
                    radius: 4
                    Image {
                        anchors.fill: parent
                        source: card.preview
                        sourceSize.width: 192
                        fillMode: Image.PreserveAspectCrop
                        asynchronous: true
                        visible: status === Image.Ready
                    }
                    Label {
                        anchors.centerIn: parent
                        visible: card.preview.toString() === ""
                        text: card.name.charAt(0).toUpperCase()
                        font.pixelSize: 36
                        opacity: 0.4
                    }
                }
                Label { text: card.name; font.bold: true; elide: Text.ElideRight; Layout.fillWidth: true }
                Label { text: card.family; font.pixelSize: 11; opacity: 0.6; elide: Text.ElideRight; Layout.fillWidth: true }
                Label {
                    objectName: "cardWarning"
                    text: card.problem !== "" ? qsTr("unreadable") : card.warning
                    visible: text !== ""
                    color: "#ff8a80"
                    font.pixelSize: 11
                    wrapMode: Text.Wrap
                    maximumLineCount: 2
                    elide: Text.ElideRight
                    Layout.fillWidth: true
                }
            }
        }
    }
}
