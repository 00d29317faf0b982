import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier

// One gallery image with zoom (wheel) and pan (drag), its parameters (from whichever tool
// wrote them), and the actions on it.
ColumnLayout {
    id: viewer
    required property StudioController controller
    property var entry: ({})  // a gallery row's roles (GalleryModel.entry)
    readonly property string path: entry.path ?? ""
    readonly property var details: path !== "" ? controller.imageDetails(path) : ({})
    readonly property var parameters: details.parameters ?? ({})
    readonly property bool hasParameters: details.parameters !== undefined
    signal recall(var params)
    signal rerun(var params)
    signal sendToImg2img(string path)
    signal favouriteToggled(bool favourite)
    signal trash()

    // A variation of an image as A1111's variation seeds make one: its own seed, a new random
    // variation seed, at the strength it had or a light 0.25.
    function variation(params) {
        return Object.assign({}, params, {
            variationSeed: -1, batchCount: 1,
            variationStrength: params.variationStrength > 0 ? params.variationStrength : 0.25
        })
    }

    spacing: 8

    UpscalePopup {
        id: upscalePopup
        objectName: "upscalePopup"
        controller: viewer.controller
        path: viewer.path
        imageWidth: viewer.entry.imageWidth ?? 0
        imageHeight: viewer.entry.imageHeight ?? 0
        x: (viewer.width - width) / 2
        y: (viewer.height - height) / 2
    }

    Flickable {
        id: flick
        Layout.fillWidth: true
        Layout.fillHeight: true
        clip: true
        contentWidth: Math.max(width, picture.width * picture.scale)
        contentHeight: Math.max(height, picture.height * picture.scale)
        Image {
            id: picture
            objectName: "viewerImage"
            width: flick.width
            height: flick.height
            transformOrigin: Item.TopLeft
            fillMode: Image.PreserveAspectFit
            source: viewer.entry.url ?? ""
            asynchronous: true
            onSourceChanged: scale = 1
        }
        WheelHandler {
            onWheel: event => picture.scale = Math.min(8, Math.max(1, picture.scale * (event.angleDelta.y > 0 ? 1.2 : 1 / 1.2)))
        }
        Label { anchors.centerIn: parent; visible: viewer.path === ""; text: qsTr("Select an image"); opacity: 0.5 }
    }

    Label {
        Layout.leftMargin: 8
        visible: viewer.path !== ""
        opacity: 0.7
        text: viewer.details.error !== undefined ? qsTr("Unreadable: %1").arg(viewer.details.error)
            : viewer.hasParameters ? qsTr("%1 · %2×%3 · written by %4").arg(viewer.entry.fileName)
                                     .arg(viewer.entry.imageWidth).arg(viewer.entry.imageHeight).arg(viewer.details.sourceName)
            : qsTr("%1 · no generation parameters in this file").arg(viewer.entry.fileName)
    }

    ScrollView {
        Layout.fillWidth: true
        Layout.preferredHeight: 140
        Layout.leftMargin: 8
        Layout.rightMargin: 8
        visible: viewer.hasParameters
        contentWidth: availableWidth
        TextArea {
            readOnly: true
            wrapMode: TextEdit.Wrap
            selectByMouse: true
            text: [viewer.details.text ?? "", viewer.details.notes ?? ""].filter(t => t !== "").join("\n\n")
        }
    }

    Flow {
        Layout.fillWidth: true
        Layout.margins: 8
        spacing: 6
        visible: viewer.path !== ""
        Button { text: qsTr("Recall"); enabled: viewer.hasParameters; onClicked: viewer.recall(viewer.parameters) }
        Button { text: qsTr("Re-run"); enabled: viewer.hasParameters; onClicked: viewer.rerun(viewer.parameters) }
        Button { text: qsTr("Vary"); enabled: viewer.hasParameters; onClicked: viewer.rerun(viewer.variation(viewer.parameters))
            ToolTip.text: qsTr("The same seed moved a little towards a new variation seed"); ToolTip.visible: hovered }
        Button { text: qsTr("To img2img"); onClicked: viewer.sendToImg2img(viewer.path) }
        Button {
            objectName: "upscaleButton"
            text: qsTr("Upscale…")
            onClicked: upscalePopup.open()
            ToolTip.text: qsTr("A larger copy, as A1111's Extras tab makes one"); ToolTip.visible: hovered
        }
        Button { text: qsTr("Copy prompt"); enabled: viewer.hasParameters; onClicked: viewer.controller.copyText(viewer.parameters.prompt) }
        Button { text: qsTr("Copy seed"); enabled: viewer.parameters.seed !== undefined; onClicked: viewer.controller.copyText(String(viewer.parameters.seed)) }
        Button { text: qsTr("Open folder"); onClicked: viewer.controller.openFolder(viewer.path.substring(0, viewer.path.lastIndexOf("/"))) }
        Button {
            text: viewer.entry.favourite ? qsTr("★ Favourite") : qsTr("☆ Favourite")
            onClicked: viewer.favouriteToggled(!viewer.entry.favourite)
        }
        Button { text: qsTr("Move to trash"); onClicked: viewer.trash() }
    }
}
