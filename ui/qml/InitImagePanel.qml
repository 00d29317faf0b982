import QtQuick
import QtQuick.Controls
import QtQuick.Dialogs
import QtQuick.Layouts

// img2img's init image: chosen from a file dialog, dropped here or pasted, with a preview of how
// it will be fitted to the generation size under the chosen resize mode.
DropArea {
    id: panel
    property string path
    property int targetWidth: 512
    property int targetHeight: 512
    property int resizeMode: 0  // A1111's order: just resize, crop and resize, resize and fill
    signal pasteRequested()

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

    FileDialog {
        id: dialog
        title: qsTr("Choose an init image")
        nameFilters: [qsTr("Images (*.png *.jpg *.jpeg *.bmp)")]
        onAccepted: panel.path = decodeURIComponent(selectedFile.toString().replace(/^file:\/\//, ""))
    }
}
