import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier

// First run, no model yet: where models go, what Atelier can run, and how to add one.
// The gallery and settings work meanwhile.
Item {
    id: page
    required property StudioController controller

    ColumnLayout {
        anchors.centerIn: parent
        width: Math.min(parent.width - 64, 720)
        spacing: 14

        Label { text: qsTr("Welcome to Atelier"); font.pixelSize: 28; font.bold: true }
        Label {
            text: qsTr("Atelier needs a Stable Diffusion model to generate images. None was found in:")
            wrapMode: Text.Wrap
            Layout.fillWidth: true
        }
        Repeater {
            model: page.controller.settings.modelFolders
            RowLayout {
                required property string modelData
                Label { text: modelData; font.family: "monospace"; Layout.fillWidth: true; elide: Text.ElideMiddle }
                Button { text: qsTr("Open folder"); onClicked: page.controller.openFolder(modelData) }
            }
        }
        Label { text: qsTr("Supported formats"); font.bold: true }
        Repeater {
            model: page.controller.supportedFormats
            Label { required property string modelData; text: "•  " + modelData; wrapMode: Text.Wrap; Layout.fillWidth: true }
        }
        Label { text: qsTr("How to add a model"); font.bold: true }
        Label {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            text: qsTr("1. Download a Stable Diffusion checkpoint: SD 1.x, SD 2.x or SDXL, as a .safetensors file (for example v1-5-pruned-emaonly.safetensors), a .ckpt or a diffusers folder.\n"
                     + "2. Put it in the folder above, or add your AUTOMATIC1111 or ComfyUI folder in Settings (its models are used where they are).\n"
                     + "3. Press Rescan.")
        }
        RowLayout {
            Button { text: qsTr("Rescan"); highlighted: true; onClicked: page.controller.rescanModels() }
            Label {
                visible: page.controller.models.count > 0
                text: qsTr("%1 file(s) found, none that Atelier can run yet.").arg(page.controller.models.count)
                opacity: 0.7
            }
        }
    }
}
