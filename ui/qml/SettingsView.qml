import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier

// Preferences, saved as they change.
ScrollView {
    id: page
    required property StudioController controller
    readonly property StudioSettings settings: controller.settings
    contentWidth: availableWidth

    GridLayout {
        x: 24
        y: 24
        width: Math.min(page.availableWidth - 48, 820)
        columns: 2
        columnSpacing: 16
        rowSpacing: 12

        Label { text: qsTr("Model folders"); Layout.alignment: Qt.AlignTop }
        ColumnLayout {
            Layout.fillWidth: true
            TextArea {
                id: folders
                Layout.fillWidth: true
                text: page.settings.modelFolders.join("\n")
                wrapMode: TextEdit.NoWrap
                onEditingFinished: page.settings.modelFolders = text.split("\n").map(s => s.trim()).filter(s => s !== "")
            }
            Label {
                Layout.fillWidth: true
                wrapMode: Text.WordWrap
                text: qsTr("One folder a line, besides Atelier's own: an AUTOMATIC1111 or ComfyUI install (with its extra_model_paths.yaml), or any folder of checkpoints. atelier-cli uses them too.")
                opacity: 0.6
                font.pixelSize: 11
            }
            RowLayout {
                Button { text: qsTr("Rescan models"); enabled: !page.controller.models.scanning; onClicked: page.controller.rescanModels() }
                BusyIndicator { running: page.controller.models.scanning; visible: running; implicitHeight: 24; implicitWidth: 24 }
                Button { text: qsTr("Open first folder"); onClicked: page.controller.openFolder(page.settings.modelFolders[0]) }
            }
        }

        Label { text: qsTr("Output folder") }
        RowLayout {
            Layout.fillWidth: true
            TextField {
                Layout.fillWidth: true
                text: page.settings.outputFolder
                onEditingFinished: page.settings.outputFolder = text
            }
            Button { text: qsTr("Open"); onClicked: page.controller.openFolder(page.settings.outputFolder) }
        }

        Label { text: qsTr("Device") }
        ComboBox {
            model: page.controller.devices
            currentIndex: Math.max(0, find(page.settings.device))
            onActivated: page.settings.device = currentText
        }

        Label { text: qsTr("CPU threads") }
        RowLayout {
            SpinBox { from: 0; to: 256; value: page.settings.threads; editable: true; onValueModified: page.settings.threads = value }
            Label { text: qsTr("0 uses every hardware thread"); opacity: 0.6 }
        }

        Label { text: qsTr("VAE tiling") }
        ComboBox {
            model: ["auto", "on", "off"]
            currentIndex: Math.max(0, find(page.settings.vaeTiling))
            onActivated: page.settings.vaeTiling = currentText
        }

        Label { text: qsTr("Low memory") }
        RowLayout {
            Switch { checked: page.settings.lowMemory; onToggled: page.settings.lowMemory = checked }
            Label { text: qsTr("Weights read from the model file as needed: under 2 GB at 512×512, but slower"); opacity: 0.6 }
        }

        Label { text: qsTr("Live preview") }
        Switch { checked: page.settings.livePreview; onToggled: page.settings.livePreview = checked }

        Label { text: qsTr("A1111 API"); Layout.alignment: Qt.AlignTop }
        ColumnLayout {
            RowLayout {
                Switch {
                    objectName: "apiSwitch"
                    checked: page.settings.apiEnabled
                    onToggled: page.settings.apiEnabled = checked
                }
                Label { text: qsTr("Port") }
                SpinBox {
                    objectName: "apiPort"
                    from: 1
                    to: 65535
                    editable: true
                    value: page.settings.apiPort
                    textFromValue: (value) => String(value)  // no digit grouping in a port
                    onValueModified: page.settings.apiPort = value
                }
            }
            Label {
                text: qsTr("For tools made for AUTOMATIC1111 (Krita, SillyTavern, scripts) on this computer: their jobs join this queue and use the loaded model")
                opacity: 0.6
                wrapMode: Text.WordWrap
                Layout.fillWidth: true
            }
            Label { objectName: "apiStatus"; text: page.controller.apiStatus; opacity: 0.8 }
        }

        Label { text: qsTr("Theme") }
        ComboBox {
            model: ["dark", "light"]
            currentIndex: Math.max(0, find(page.settings.theme))
            onActivated: page.settings.theme = currentText
        }
    }
}
