import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Dialogs
import QtQuick.Layouts
import Atelier

// First run, no model yet: use the models of an AUTOMATIC1111 or ComfyUI install, or download a
// starter model (its licence shown before the download starts). The gallery and settings work meanwhile.
Item {
    id: page
    required property StudioController controller
    readonly property ModelDownloads downloads: controller.downloads
    readonly property ModelDownload download: downloads.current
    readonly property bool downloading: download !== null && download.state === ModelDownload.Running
    // The starter picked in the list: the suggested one until the user picks another.
    property string chosenName: downloads.suggestedStarter
    readonly property var chosen: downloads.starters.find(s => s.name === chosenName) || null

    FolderDialog {
        id: installDialog
        title: qsTr("Your AUTOMATIC1111 or ComfyUI folder")
        onAccepted: {
            const folder = decodeURIComponent(selectedFolder.toString().replace(/^file:\/\//, ""))
            if (page.controller.settings.modelFolders.indexOf(folder) < 0)
                page.controller.settings.modelFolders = page.controller.settings.modelFolders.concat([folder])
        }
    }

    Dialog {
        id: licenceDialog
        objectName: "licenceDialog"
        anchors.centerIn: parent
        modal: true
        title: page.chosen ? page.chosen.title : ""
        ColumnLayout {
            width: Math.min(page.width - 96, 520)
            spacing: 10
            Label {
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                text: page.chosen ? qsTr("%1, %2, from %3").arg(page.chosen.family).arg(page.chosen.sizeText).arg(page.chosen.url) : ""
            }
            Label { text: qsTr("Licence"); font.bold: true }
            Label { objectName: "licenceName"; text: page.chosen ? page.chosen.licence : ""; font.pixelSize: 18 }
            Label {
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                opacity: 0.7
                text: qsTr("Downloading the model means accepting its licence; the model's page gives its terms.")
            }
        }
        footer: DialogButtonBox {
            Button { text: qsTr("Cancel"); DialogButtonBox.buttonRole: DialogButtonBox.RejectRole }
            Button {
                objectName: "acceptLicence"
                text: qsTr("Accept and download")
                highlighted: true
                DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
            }
        }
        onAccepted: page.downloads.downloadStarter(page.chosenName)
    }

    ScrollView {
        anchors.fill: parent
        contentWidth: availableWidth

        ColumnLayout {
            x: Math.max(32, (parent.width - width) / 2)
            width: Math.min(page.width - 64, 1040)
            spacing: 14

            Item { Layout.preferredHeight: 16 }
            Label { text: qsTr("Welcome to Atelier"); font.pixelSize: 28; font.bold: true }
            Label {
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                text: qsTr("Atelier needs a Stable Diffusion model to generate images, and none was found yet.")
            }

            GroupBox {
                title: qsTr("Already have models?")
                Layout.fillWidth: true
                ColumnLayout {
                    anchors.fill: parent
                    Label {
                        Layout.fillWidth: true
                        wrapMode: Text.Wrap
                        text: qsTr("Atelier uses the models of an AUTOMATIC1111 or ComfyUI install where they are: nothing is copied.")
                    }
                    RowLayout {
                        Button {
                            objectName: "useInstallFolder"
                            text: qsTr("Use my AUTOMATIC1111 / ComfyUI folder…")
                            onClicked: installDialog.open()
                        }
                        Button { text: qsTr("Rescan"); onClicked: page.controller.rescanModels() }
                        Label {
                            visible: page.controller.models.count > 0
                            text: qsTr("%1 file(s) found, none that Atelier can run yet.").arg(page.controller.models.count)
                            opacity: 0.7
                        }
                    }
                }
            }

            GroupBox {
                title: qsTr("Download a starter model")
                Layout.fillWidth: true
                ColumnLayout {
                    anchors.fill: parent
                    spacing: 6
                    Label { text: page.downloads.suggestionReason; wrapMode: Text.Wrap; Layout.fillWidth: true; opacity: 0.7 }
                    ButtonGroup { id: starterGroup }
                    Repeater {
                        model: page.downloads.starters.filter(s => s.kind === "checkpoint")
                        RadioButton {
                            required property var modelData
                            objectName: "starter-" + modelData.name
                            ButtonGroup.group: starterGroup
                            enabled: !page.downloading
                            checked: modelData.name === page.chosenName
                            text: qsTr("%1  ·  %2  ·  licence: %3%4").arg(modelData.title).arg(modelData.sizeText).arg(modelData.licence)
                                  .arg(modelData.name === page.downloads.suggestedStarter ? qsTr("  (suggested)") : "")
                            onClicked: page.chosenName = modelData.name
                        }
                    }
                    Button {
                        objectName: "downloadStarter"
                        text: qsTr("Download…")
                        highlighted: true
                        enabled: page.chosen !== null && !page.downloading
                        onClicked: licenceDialog.open()
                    }

                    ColumnLayout {
                        objectName: "downloadProgress"
                        visible: page.download !== null
                        Layout.fillWidth: true
                        Label { text: page.download ? page.download.title : ""; font.bold: true }
                        ProgressBar {
                            Layout.fillWidth: true
                            indeterminate: page.download !== null && page.downloading && page.download.fraction < 0
                            value: page.download ? Math.max(0, page.download.fraction) : 0
                        }
                        RowLayout {
                            Label {
                                objectName: "downloadStatus"
                                Layout.fillWidth: true
                                text: !page.download ? ""
                                    : page.download.state === ModelDownload.Done ? qsTr("Downloaded to %1").arg(page.download.path)
                                    : page.download.state === ModelDownload.Failed ? page.download.error
                                    : page.download.state === ModelDownload.Cancelled ? qsTr("Cancelled; nothing was kept.")
                                    : [page.download.bytesText, page.download.speedText, page.download.etaText].filter(t => t !== "").join("   ")
                                color: page.download && page.download.state === ModelDownload.Failed ? "#e57373" : Material.foreground
                                wrapMode: Text.Wrap
                            }
                            Button {
                                objectName: "cancelDownload"
                                text: qsTr("Cancel")
                                visible: page.downloading
                                onClicked: page.download.cancel()
                            }
                        }
                    }
                }
            }

            Label {
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                opacity: 0.7
                text: qsTr("Or put a .safetensors checkpoint (SD 1.x, 2.x or SDXL) in %1 and press Rescan.")
                      .arg(page.controller.settings.modelFolders.length > 0 ? page.controller.settings.modelFolders[0] : qsTr("the models folder"))
            }
        }
    }
}
