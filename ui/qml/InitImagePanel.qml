import QtQuick
import QtQuick.Controls
import QtQuick.Dialogs
import QtQuick.Layouts

// img2img's init image: chosen from a file dialog, dropped here or pasted, with a preview of how
// it will be fitted to the generation size under the chosen resize mode, and the inpainting mask
// painted over it in the mask editor.
DropArea {
    id: panel
    property string path
    property int targetWidth: 512
    property int targetHeight: 512
    property int resizeMode: 0  // A1111's order: just resize, crop and resize, resize and fill
    readonly property bool hasMask: path !== "" && !maskEditor.canvas.blank
    readonly property MaskEditor maskEditor: maskEditor
    signal pasteRequested()
    signal failed(string message)

    function openMaskEditor() { maskPopup.open() }
    // The painted mask as a PNG at the init image's size; false after `failed` when it cannot be written.
    function writeMask(file) {
        if (maskEditor.canvas.saveMask(file)) return true
        failed(maskEditor.canvas.error())
        return false
    }

    implicitWidth: column.implicitWidth
    implicitHeight: column.implicitHeight
    onDropped: drop => { if (drop.hasUrls) panel.path = decodeURIComponent(drop.urls[0].toString().replace(/^file:\/\//, "")) }

    ColumnLayout {
        id: column
        anchors.fill: parent

        Label { text: qsTr("Init image (img2img)"); font.bold: true }
        RowLayout {
            Layout.fillWidth: true
            Label {
                text: panel.path === "" ? qsTr("None: text to image. Drop, paste or browse for an image.") : panel.path
                elide: Text.ElideMiddle
                opacity: 0.7
                Layout.fillWidth: true
            }
            Button { text: qsTr("Browse…"); onClicked: dialog.open() }
            Button { text: qsTr("Paste"); onClicked: panel.pasteRequested() }
            Button { text: qsTr("Clear"); visible: panel.path !== ""; onClicked: panel.path = "" }
        }
        RowLayout {
            visible: panel.path !== ""
            Layout.fillWidth: true
            Label {
                text: panel.hasMask ? qsTr("Inpainting the painted mask") : qsTr("No mask: the whole image is repainted")
                opacity: 0.7
                Layout.fillWidth: true
            }
            Button {
                objectName: "maskButton"
                text: panel.hasMask ? qsTr("Edit mask…") : qsTr("Paint mask…")
                onClicked: panel.openMaskEditor()
                ToolTip.text: qsTr("Paint where the image is repainted (inpainting)"); ToolTip.visible: hovered
            }
            Button { text: qsTr("Clear mask"); visible: panel.hasMask; onClicked: maskEditor.canvas.clear() }
        }

        Rectangle {
            id: frame
            visible: panel.path !== ""
            readonly property real aspect: panel.targetWidth / panel.targetHeight
            Layout.preferredHeight: 160
            Layout.preferredWidth: 160 * aspect
            Layout.alignment: Qt.AlignHCenter
            color: "#202020"
            border.color: "#7e57c2"
            clip: true
            Image {
                anchors.fill: parent
                source: panel.path === "" ? "" : "file://" + panel.path
                asynchronous: true
                sourceSize.height: 320
                fillMode: [Image.Stretch, Image.PreserveAspectCrop, Image.PreserveAspectFit][panel.resizeMode] ?? Image.Stretch
            }
        }
    }

    Popup {
        id: maskPopup
        objectName: "maskPopup"
        parent: Overlay.overlay
        anchors.centerIn: parent
        width: parent ? parent.width - 60 : 800
        height: parent ? parent.height - 60 : 600
        modal: true
        onOpened: maskEditor.forceActiveFocus()
        MaskEditor {
            id: maskEditor
            anchors.fill: parent
            imagePath: panel.path
            onDone: maskPopup.close()
            onFailed: message => panel.failed(message)
        }
    }

    FileDialog {
        id: dialog
        title: qsTr("Choose an init image")
        nameFilters: [qsTr("Images (*.png *.jpg *.jpeg *.bmp)")]
        onAccepted: panel.path = decodeURIComponent(selectedFile.toString().replace(/^file:\/\//, ""))
    }
}
