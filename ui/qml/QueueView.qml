import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier

// The queue: the running job (cancel) and the pending ones (reorder, remove).
ColumnLayout {
    id: queueView
    required property StudioController controller

    Label { text: qsTr("Queue (%1)").arg(queueView.controller.queue.count); font.bold: true }
    ListView {
        id: list
        Layout.fillWidth: true
        Layout.fillHeight: true
        clip: true
        model: queueView.controller.queue
        spacing: 2
        delegate: ItemDelegate {
            id: row
            required property int index
            required property int jobId
            required property string prompt
            required property string summary
            required property bool running
            width: ListView.view.width
            contentItem: RowLayout {
                BusyIndicator { running: row.running; visible: row.running; Layout.preferredWidth: 24; Layout.preferredHeight: 24 }
                ColumnLayout {
                    Layout.fillWidth: true
                    spacing: 0
                    Label { text: row.prompt === "" ? qsTr("(empty prompt)") : row.prompt; elide: Text.ElideRight; Layout.fillWidth: true }
                    Label { text: row.summary; font.pixelSize: 11; opacity: 0.6 }
                }
                Button { text: "↑"; flat: true; visible: !row.running; enabled: row.index > (queueView.controller.queue.busy ? 1 : 0)
                    onClicked: queueView.controller.queue.move(row.index, row.index - 1) }
                Button { text: "↓"; flat: true; visible: !row.running; enabled: row.index < list.count - 1
                    onClicked: queueView.controller.queue.move(row.index, row.index + 1) }
                Button { text: row.running ? qsTr("Cancel") : "✕"; flat: true
                    onClicked: row.running ? queueView.controller.cancel() : queueView.controller.queue.remove(row.jobId) }
            }
        }
        Label { anchors.centerIn: parent; visible: list.count === 0; text: qsTr("Nothing queued"); opacity: 0.5 }
    }
}
