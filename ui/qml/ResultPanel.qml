import QtQuick
import QtQuick.Controls
import Atelier

// The live preview while a job runs, the finished image as soon as it exists.
Rectangle {
    id: panel
    required property StudioController controller
    readonly property bool showingPreview: controller.queue.busy && controller.previewUrl.toString() !== "" && controller.settings.livePreview

    color: Qt.rgba(0, 0, 0, 0.25)

    Image {
        id: image
        objectName: "resultImage"
        anchors.fill: parent
        anchors.margins: 12
        fillMode: Image.PreserveAspectFit
        smooth: true
        cache: false
        source: panel.showingPreview ? panel.controller.previewUrl : panel.controller.resultUrl
    }
    Label {
        anchors.centerIn: parent
        visible: image.status !== Image.Ready
        text: qsTr("Your image appears here. Write a prompt and press Ctrl+Enter.")
        opacity: 0.5
    }
    Label {
        anchors { left: parent.left; bottom: parent.bottom; margins: 16 }
        visible: image.status === Image.Ready
        text: panel.showingPreview ? qsTr("Preview") : panel.controller.lastResultPaths.length > 0 ? qsTr("Seed %1").arg(String(panel.controller.lastSeed)) : ""
        opacity: 0.7
    }
}
